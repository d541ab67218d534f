#include "portspec.h"

#include "its_defaults.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void port_set_clear(port_set_t *set) { memset(set, 0, sizeof(*set)); }

void port_set_add_range(port_set_t *set, its_proto_t proto, unsigned first,
                        unsigned last) {
  for (unsigned p = first; p <= last && p < ITS_NPORTS; p++) {
    uint64_t bit = (uint64_t)1 << (p & 63);
    if (!(set->bits[proto][p >> 6] & bit)) {
      set->bits[proto][p >> 6] |= bit;
      set->count++;
    }
  }
}

void port_set_add_defaults(port_set_t *set) {
  port_set_add_range(set, ITS_PROTO_TCP, ITS_DEFAULT_PORT_FIRST,
                     ITS_DEFAULT_PORT_LAST);
  port_set_add_range(set, ITS_PROTO_UDP, ITS_DEFAULT_PORT_FIRST,
                     ITS_DEFAULT_PORT_LAST);
}

/* Parses a whole decimal port; -1 if not one. */
static long parse_port_number(const char *s, size_t len) {
  if (len == 0 || len > 5)
    return -1;
  long v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v <= 65535 ? v : -1;
}

static int is_number_like(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (s[i] < '0' || s[i] > '9')
      return 0;
  return len > 0;
}

static int add_one_proto(port_set_t *set, its_proto_t proto, const char *body,
                         const char *spec, const services_t *svc, char *err,
                         size_t errlen) {
  size_t len = strlen(body);
  const char *dash = strchr(body, '-');

  if (len == 0) {
    snprintf(err, errlen, "\"%s\": the port is missing", spec);
    return -1;
  }
  if (dash != NULL && is_number_like(body, (size_t)(dash - body)) &&
      is_number_like(dash + 1, strlen(dash + 1))) {
    long first = parse_port_number(body, (size_t)(dash - body));
    long last = parse_port_number(dash + 1, strlen(dash + 1));
    if (first < 0 || last < 0) {
      snprintf(err, errlen, "\"%s\": ports are 0 to 65535", spec);
      return -1;
    }
    if (first > last) {
      snprintf(err, errlen, "\"%s\": the range's first port is above its last",
               spec);
      return -1;
    }
    port_set_add_range(set, proto, (unsigned)first, (unsigned)last);
    return 0;
  }
  if (is_number_like(body, len)) {
    long port = parse_port_number(body, len);
    if (port < 0) {
      snprintf(err, errlen, "\"%s\": ports are 0 to 65535", spec);
      return -1;
    }
    port_set_add_range(set, proto, (unsigned)port, (unsigned)port);
    return 0;
  }
  int port;
  if (services_lookup(svc, proto, body, 0, &port) != SERVICES_FOUND) {
    snprintf(err, errlen,
             "\"%s\": no %s service named \"%s\" in the services database "
             "(/etc/services)",
             spec, its_proto_name(proto), body);
    return -1;
  }
  port_set_add_range(set, proto, (unsigned)port, (unsigned)port);
  return 0;
}

int portspec_add(port_set_t *set, const char *spec, const services_t *svc,
                 char *err, size_t errlen) {
  const char *slash = strchr(spec, '/');
  if (slash == NULL) {
    /* "119", "6000-6063": both protocols. A bare name is refused: it is too
     * easy to mistake for a typo of "tcp/..." and rarely means both. */
    if (!is_number_like(spec, strcspn(spec, "-"))) {
      snprintf(err, errlen,
               "\"%s\": expected tcp/PORT, udp/PORT, PORT or a range such as "
               "tcp/6000-6063 (service names need a protocol: tcp/ssh)",
               spec);
      return -1;
    }
    if (add_one_proto(set, ITS_PROTO_TCP, spec, spec, svc, err, errlen) != 0)
      return -1;
    return add_one_proto(set, ITS_PROTO_UDP, spec, spec, svc, err, errlen);
  }
  size_t plen = (size_t)(slash - spec);
  its_proto_t proto;
  if (plen == 3 && strncasecmp(spec, "tcp", 3) == 0)
    proto = ITS_PROTO_TCP;
  else if (plen == 3 && strncasecmp(spec, "udp", 3) == 0)
    proto = ITS_PROTO_UDP;
  else {
    snprintf(err, errlen, "\"%s\": the protocol must be tcp or udp", spec);
    return -1;
  }
  return add_one_proto(set, proto, slash + 1, spec, svc, err, errlen);
}
