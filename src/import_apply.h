/* import_apply: fold a complete log block into a series table the way the
 * <Log> source does (an iptraf restart, with or without its "started" line,
 * continues each series on top of its last values; a service name maps to
 * its port), and hand each series' continuous totals to a callback. Pure:
 * no I/O. */
#ifndef ITS_IMPORT_APPLY_H
#define ITS_IMPORT_APPLY_H

#include <stdint.h>

#include "its_message.h"
#include "log_blocks.h"
#include "series_table.h"
#include "services.h"

typedef struct import_names_s import_names_t;

/* Name -> port, looked up once per name; an unknown or ambiguous name is
 * reported once (severity 4) and kept as a name. */
import_names_t *import_names_new(const services_t *svc);
void import_names_free(import_names_t *n);
int import_names_resolve(import_names_t *n, const block_entry_t *e,
                         const char *file, its_message_cb_t log, void *ud);

typedef void (*import_total_cb_t)(void *ud, series_t *s, time_t t,
                                  const uint64_t total[SERIES_NCOUNTERS]);

/* Applies block b (of `file`, for messages) to t, calling cb for each entry
 * with the series' totals after it. Returns 1 when the block started a new
 * iptraf run, 0 otherwise, -1 when out of memory (reported). */
int import_apply_block(series_table_t *t, import_names_t *names,
                       const log_block_t *b, const char *file,
                       import_total_cb_t cb, void *cb_ud, its_message_cb_t log,
                       void *log_ud);

#endif
