/* services: map service names, as iptraf prints them, back to port numbers.
 * iptraf-ng prints getservbyport()'s primary name cut to 10 characters
 * ("netbios-ss" for netbios-ssn), so a plain getservbyname() is not enough. */
#ifndef ITS_SERVICES_H
#define ITS_SERVICES_H

#include <stddef.h>

#include "its_proto.h"

typedef struct services_s services_t;

services_t *services_new(void);
void services_free(services_t *svc);

/* Adds one entry; `primary` is non-zero for the official name (the one
 * iptraf prints), zero for an alias. Returns 0 or -1 (out of memory). */
int services_add(services_t *svc, its_proto_t proto, const char *name, int port,
                 int primary);

/* Loads the system's services database (getservent: /etc/services via NSS).
 * Returns the number of entries loaded. */
size_t services_load_system(services_t *svc);

/* Loads "name port/proto alias..." lines from a buffer in /etc/services
 * format (used by tests, so they do not depend on the host's file). */
size_t services_load_text(services_t *svc, const char *text);

typedef enum {
  SERVICES_FOUND = 0,
  SERVICES_UNKNOWN = -1,
  SERVICES_AMBIGUOUS = -2, /* a cut name that several ports share */
} services_result_t;

/* Exact name or alias; with `allow_cut`, also a primary name that iptraf cut
 * to 10 characters. Stores the port in *port on SERVICES_FOUND. */
services_result_t services_lookup(const services_t *svc, its_proto_t proto,
                                  const char *name, int allow_cut, int *port);

#endif
