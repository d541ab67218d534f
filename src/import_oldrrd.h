/* import_oldrrd: convert the old recipe's tcp_services.rrd (data sources
 * PORT_in / PORT_out, COUNTER, bytes per second) into one
 * if_octets-tcp-PORT.rrd per port, rx from PORT_in and tx from PORT_out, with
 * the importer's layout, every archive prefilled from the old file's at each
 * resolution it has (librrd's rrdtool create --source). The recipe kept no
 * packet counts: no if_packets file can be made. */
#ifndef ITS_IMPORT_OLDRRD_H
#define ITS_IMPORT_OLDRRD_H

#include "its_message.h"
#include "rrd_layout.h"

/* Returns 0, or -1 (said through log, severity 3). No file is left half
 * written; an existing target file is never changed. */
int import_oldrrd(const char *old, const char *datadir, const char *host,
                  const char *plugin, const char *instance,
                  const rrd_layout_t *layout, const char *daemon,
                  its_message_cb_t log, void *ud);

#endif
