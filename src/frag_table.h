/* frag_table: remembers the ports of fragmented datagrams' first fragments
 * so that later fragments (which carry no ports) count for the same ports.
 * Bounded: a fixed number of slots, stale entries expire, and when a probe
 * window is full the entry closest to expiry is replaced. Pure. */
#ifndef ITS_FRAG_TABLE_H
#define ITS_FRAG_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "packet_decode.h"

typedef struct frag_table_s frag_table_t;

/* `slots` is rounded up to a power of two; `ttl` seconds. */
frag_table_t *frag_table_new(size_t slots, uint32_t ttl);
void frag_table_free(frag_table_t *t);

void frag_table_put(frag_table_t *t, const frag_key_t *key, uint8_t proto,
                    uint16_t sport, uint16_t dport, uint32_t now);
/* Returns 1 and fills proto/ports when the datagram is known and fresh.
 * For IPv6 keys the protocol comes from the table. */
int frag_table_get(frag_table_t *t, const frag_key_t *key, uint32_t now,
                   uint8_t *proto, uint16_t *sport, uint16_t *dport);

size_t frag_table_used(const frag_table_t *t, uint32_t now);

#endif
