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

dnl librrd: iptraf-services-import writes the rrdtool plugin's files with it
dnl (rrd_create_r2 for --from-rrd's prefill, batched rrd_update_r, rrdc_*).
AC_DEFUN([ITS_CHECK_LIBRRD], [
  PKG_CHECK_MODULES([RRD], [librrd >= 1.5], [],
    [AC_CHECK_HEADER([rrd.h],
       [AC_CHECK_LIB([rrd], [rrd_create_r2], [RRD_LIBS=-lrrd],
          [AC_MSG_ERROR([librrd 1.5 or later was not found; iptraf-services-import needs it to write RRD files. On Debian/Ubuntu: apt-get install librrd-dev])])],
       [AC_MSG_ERROR([librrd headers were not found; iptraf-services-import needs them to write RRD files. On Debian/Ubuntu: apt-get install librrd-dev])])])
])

dnl zlib: iptraf-services-import reads rotated, gzip-compressed logs.
AC_DEFUN([ITS_CHECK_ZLIB], [
  PKG_CHECK_MODULES([ZLIB], [zlib], [],
    [AC_CHECK_HEADER([zlib.h],
       [AC_CHECK_LIB([z], [gzopen], [ZLIB_LIBS=-lz],
          [AC_MSG_ERROR([zlib was not found; iptraf-services-import needs it to read .gz logs. On Debian/Ubuntu: apt-get install zlib1g-dev])])],
       [AC_MSG_ERROR([zlib headers were not found; iptraf-services-import needs them to read .gz logs. On Debian/Ubuntu: apt-get install zlib1g-dev])])])
])

dnl The eBPF counting method (<Capture> Method "ebpf"): clang with the BPF
dnl target, bpftool (to embed the object as a skeleton) and libbpf. Optional:
dnl without them the plugin is built with the libpcap method only.
AC_DEFUN([ITS_CHECK_EBPF], [
  AC_ARG_ENABLE([ebpf],
    [AS_HELP_STRING([--disable-ebpf], [build without the eBPF counting method @<:@default: when clang, bpftool and libbpf are found@:>@])],
    [], [enable_ebpf=auto])
  its_ebpf_missing=""
  AS_IF([test "x$enable_ebpf" != xno], [
    AC_ARG_VAR([BPF_CLANG], [clang used for the BPF target])
    AC_ARG_VAR([BPFTOOL], [bpftool used to generate the BPF skeleton])
    AC_PATH_PROGS([BPF_CLANG], [clang clang-16 clang-15 clang-14], [], [$PATH])
    AC_PATH_PROG([BPFTOOL], [bpftool], [], [$PATH:/usr/sbin:/sbin])
    its_multiarch=`$CC -print-multiarch 2>/dev/null`
    AS_IF([test -z "$its_multiarch"], [its_multiarch=`$CC -dumpmachine 2>/dev/null`])
    BPF_CPPFLAGS=""
    AS_IF([test -n "$its_multiarch" && test -d "/usr/include/$its_multiarch"],
      [BPF_CPPFLAGS="-I/usr/include/$its_multiarch"])
    AS_IF([test -z "$BPF_CLANG"], [its_ebpf_missing="$its_ebpf_missing clang"], [
      AC_MSG_CHECKING([whether $BPF_CLANG compiles for the BPF target])
      cat > conftest.bpf.c <<_ITS_EOF
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("socket") int p(struct __sk_buff *skb) { return 0; }
char LICENSE@<:@@:>@ SEC("license") = "GPL";
_ITS_EOF
      AS_IF([$BPF_CLANG -O2 -g -target bpf $BPF_CPPFLAGS -c conftest.bpf.c -o conftest.bpf.o >&AS_MESSAGE_LOG_FD 2>&1],
        [AC_MSG_RESULT([yes])],
        [AC_MSG_RESULT([no])
         its_ebpf_missing="$its_ebpf_missing clang-BPF-target(libbpf-dev)"])
      rm -f conftest.bpf.c conftest.bpf.o])
    AS_IF([test -z "$BPFTOOL"], [its_ebpf_missing="$its_ebpf_missing bpftool"])
    PKG_CHECK_MODULES([LIBBPF], [libbpf >= 0.7], [],
      [its_ebpf_missing="$its_ebpf_missing libbpf-dev"])
    AS_IF([test -n "$its_ebpf_missing" && test "x$enable_ebpf" = xyes],
      [AC_MSG_ERROR([--enable-ebpf: missing:$its_ebpf_missing. On Debian/Ubuntu: apt-get install clang bpftool libbpf-dev libelf-dev zlib1g-dev])])
    AS_IF([test -z "$its_ebpf_missing"], [enable_ebpf=yes], [enable_ebpf=no])
  ])
  AC_SUBST([BPF_CPPFLAGS])
  dnl No -DITS_HAVE_EBPF: the build links src/ebpf_source.c or
  dnl src/ebpf_none.c, and the code asks capture_ebpf_built.
  AM_CONDITIONAL([HAVE_EBPF], [test "x$enable_ebpf" = xyes])
])
