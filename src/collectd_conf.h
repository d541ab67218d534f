/* collectd_conf: what the importer needs from a collectd configuration:
 * Hostname, FQDNLookup, BaseDir, the <Plugin rrdtool> settings (all such
 * blocks, in order, as collectd merges them), and from <Plugin
 * iptraf_services> the StateFile and the <Log> block of the live log.
 * Include "path" (a file, a directory, a glob; Filter pattern) is
 * followed as collectd does. */
#ifndef ITS_COLLECTD_CONF_H
#define ITS_COLLECTD_CONF_H

#include <stddef.h>

#include "portspec.h"
#include "rrd_layout.h"

typedef struct {
  char *hostname;  /* NULL: not set */
  int fqdn_lookup; /* default 1, as collectd's */
  char *basedir;   /* default /var/lib/collectd (Debian's build) */
  char *datadir;   /* the rrdtool plugin's, or BaseDir when it sets none */
  int has_rrdtool_layout;
  rrd_layout_t layout;
  char *rrdcached_daemon; /* <Plugin rrdcached> DaemonAddress */
  char *state_file;       /* absolute; NULL: the plugin's default */
  int state_file_off;
  char *log_instance; /* the matching <Log> block's Instance */
  int log_has_ports;
  port_set_t log_ports;
} collectd_conf_t;

void collectd_conf_init(collectd_conf_t *c);
void collectd_conf_free(collectd_conf_t *c);

/* Reads `file`. live_log: the log path whose <Log> block is wanted (may be
 * NULL). Returns 0, or -1 with err naming the file and line. */
int collectd_conf_read(collectd_conf_t *c, const char *file,
                       const char *live_log, char *err, size_t errlen);

#endif
