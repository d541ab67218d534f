# Dependency checks for iptraf_services. Each failure names the Debian
# package that provides the missing piece, because that is what a
# sysadmin needs to know next.

AC_DEFUN([ITS_CHECK_COLLECTD], [
  AC_ARG_WITH([collectd-include],
    [AS_HELP_STRING([--with-collectd-include=DIR], [collectd plugin headers @<:@default: /usr/include/collectd@:>@])],
    [collectd_include="$withval"], [collectd_include=/usr/include/collectd])
  COLLECTD_CPPFLAGS="-DHAVE_CONFIG_H -I$collectd_include -I$collectd_include/core"
  AC_SUBST([COLLECTD_CPPFLAGS])
  its_save_CPPFLAGS="$CPPFLAGS"
  CPPFLAGS="$CPPFLAGS $COLLECTD_CPPFLAGS"
  AC_CACHE_CHECK([for collectd plugin headers], [its_cv_collectd_headers], [
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[
#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"
#include "collectd/core/utils/common/common.h"
]], [[value_list_t vl = VALUE_LIST_INIT; (void)vl; return plugin_dispatch_values == 0;]])],
      [its_cv_collectd_headers=yes], [its_cv_collectd_headers=no])])
  CPPFLAGS="$its_save_CPPFLAGS"
  AS_IF([test "x$its_cv_collectd_headers" != xyes],
    [AC_MSG_ERROR([collectd's plugin headers were not found in $collectd_include.
    On Debian/Ubuntu: apt-get install collectd-dev
    Elsewhere: pass --with-collectd-include=DIR (the directory holding core/daemon/plugin.h).])])
])

AC_DEFUN([ITS_CHECK_LIBPCAP], [
  PKG_CHECK_MODULES([PCAP], [libpcap], [],
    [AC_CHECK_HEADER([pcap/pcap.h],
       [AC_CHECK_LIB([pcap], [pcap_create], [PCAP_LIBS=-lpcap],
          [AC_MSG_ERROR([libpcap was not found. On Debian/Ubuntu: apt-get install libpcap-dev])])],
       [AC_MSG_ERROR([libpcap headers were not found. On Debian/Ubuntu: apt-get install libpcap-dev])])])
])

AC_DEFUN([ITS_CHECK_LIBRRD], [
  PKG_CHECK_MODULES([RRD], [librrd], [],
    [AC_CHECK_HEADER([rrd.h],
       [AC_CHECK_LIB([rrd], [rrd_lastupdate_r], [RRD_LIBS=-lrrd],
          [AC_MSG_ERROR([librrd was not found. On Debian/Ubuntu: apt-get install librrd-dev])])],
       [AC_MSG_ERROR([librrd headers were not found. On Debian/Ubuntu: apt-get install librrd-dev])])])
])
