/* portspec: the `Port` option's values ("tcp/22", "udp/53", "119",
 * "tcp/6000-6063", "tcp/ssh") and the set of monitored ports they build. */
#ifndef ITS_PORTSPEC_H
#define ITS_PORTSPEC_H

#include <stddef.h>
#include <stdint.h>

#include "its_proto.h"
#include "services.h"

typedef struct {
  /* One bit per (protocol, port): 2 x 65536 bits, 16 KiB, so a lookup is a
   * shift and a mask whatever the number of ports configured. */
  uint64_t bits[ITS_NPROTOS][ITS_NPORTS / 64];
  size_t count; /* (protocol, port) pairs set */
} port_set_t;

void port_set_clear(port_set_t *set);
static inline int port_set_has(const port_set_t *set, its_proto_t proto,
                               unsigned port) {
  return port < ITS_NPORTS &&
         ((set->bits[proto][port >> 6] >> (port & 63)) & 1);
}
void port_set_add_range(port_set_t *set, its_proto_t proto, unsigned first,
                        unsigned last);
/* iptraf's default: the well-known ports of both protocols
 * (its_defaults.h). */
void port_set_add_defaults(port_set_t *set);

/* Adds one spec to `set`. Names are looked up in `svc` (may be NULL: then
 * names are an error). On error returns -1 and writes a sentence saying what
 * is wrong with the value into err. */
int portspec_add(port_set_t *set, const char *spec, const services_t *svc,
                 char *err, size_t errlen);

#endif
