/* its_defaults: every default of the plugin, the command-line tool and the
 * eBPF loader, named once. doc/iptraf_services.5 documents them. */
#ifndef ITS_DEFAULTS_H
#define ITS_DEFAULTS_H

/* <Log> */
#define ITS_DEFAULT_INCOMPLETE_BLOCK_TIMEOUT 10 /* seconds */
#define ITS_DEFAULT_MAX_LINE 8192               /* bytes */

/* <Capture> */
#define ITS_DEFAULT_BUFFER_MIB 32 /* libpcap's ring */
#define ITS_DEFAULT_SNAPLEN 128   /* bytes of each packet captured */
#define ITS_DEFAULT_FRAG_SLOTS 4096
#define ITS_DEFAULT_FRAG_TIMEOUT 60  /* seconds */
#define ITS_DEFAULT_RETRY_INTERVAL 1 /* seconds */
/* iptraf's default ports: the well-known ones, TCP and UDP. */
#define ITS_DEFAULT_PORT_FIRST 0
#define ITS_DEFAULT_PORT_LAST 1023

/* StateFile: this name in collectd's BaseDir, or in FALLBACK_BASEDIR when
 * collectd tells none (its own default). */
#define ITS_DEFAULT_STATE_FILE "iptraf_services.state"
#define ITS_FALLBACK_BASEDIR "/var/lib/collectd"

#endif
