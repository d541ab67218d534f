#include "services.h"

#include <ctype.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "its_grow.h"

/* iptraf-ng's service column is 10 characters wide. */
#define IPTRAF_NAME_WIDTH 10

typedef struct {
  char *name;
  int port;
  its_proto_t proto;
  int primary;
} service_entry_t;

struct services_s {
  service_entry_t *entries;
  size_t count, cap;
};

services_t *services_new(void) { return calloc(1, sizeof(services_t)); }

void services_free(services_t *svc) {
  if (svc == NULL)
    return;
  for (size_t i = 0; i < svc->count; i++)
    free(svc->entries[i].name);
  free(svc->entries);
  free(svc);
}

int services_add(services_t *svc, its_proto_t proto, const char *name, int port,
                 int primary) {
  if (port < 0 || port > 65535 || name == NULL || name[0] == '\0')
    return -1;
  if (its_grow(&svc->entries, &svc->cap, svc->count + 1, sizeof(*svc->entries),
               256) != 0)
    return -1;
  char *copy = strdup(name);
  if (copy == NULL)
    return -1;
  svc->entries[svc->count++] = (service_entry_t){
      .name = copy, .port = port, .proto = proto, .primary = primary};
  return 0;
}

static int proto_from_string(const char *s, its_proto_t *proto) {
  if (strcasecmp(s, "tcp") == 0)
    *proto = ITS_PROTO_TCP;
  else if (strcasecmp(s, "udp") == 0)
    *proto = ITS_PROTO_UDP;
  else
    return -1;
  return 0;
}

size_t services_load_system(services_t *svc) {
  size_t n = 0;
  struct servent *se;
  setservent(0);
  while ((se = getservent()) != NULL) {
    its_proto_t proto;
    if (se->s_proto == NULL || proto_from_string(se->s_proto, &proto) != 0)
      continue;
    int port = ntohs((uint16_t)se->s_port);
    if (services_add(svc, proto, se->s_name, port, 1) == 0)
      n++;
    for (char **a = se->s_aliases; a && *a; a++)
      if (services_add(svc, proto, *a, port, 0) == 0)
        n++;
  }
  endservent();
  return n;
}

size_t services_load_text(services_t *svc, const char *text) {
  size_t n = 0;
  const char *p = text;
  while (*p) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    char line[512];
    if (len >= sizeof(line))
      len = sizeof(line) - 1;
    memcpy(line, p, len);
    line[len] = '\0';
    char *hash = strchr(line, '#');
    if (hash)
      *hash = '\0';
    char *save = NULL;
    char *name = strtok_r(line, " \t", &save);
    char *portproto = name ? strtok_r(NULL, " \t", &save) : NULL;
    char *slash = portproto ? strchr(portproto, '/') : NULL;
    its_proto_t proto;
    if (slash && proto_from_string(slash + 1, &proto) == 0) {
      *slash = '\0';
      int port = atoi(portproto);
      if (services_add(svc, proto, name, port, 1) == 0)
        n++;
      char *alias;
      while ((alias = strtok_r(NULL, " \t", &save)) != NULL)
        if (services_add(svc, proto, alias, port, 0) == 0)
          n++;
    }
    p = eol ? eol + 1 : p + len;
  }
  return n;
}

services_result_t services_lookup(const services_t *svc, its_proto_t proto,
                                  const char *name, int allow_cut, int *port) {
  if (svc == NULL || name == NULL)
    return SERVICES_UNKNOWN;
  for (size_t i = 0; i < svc->count; i++) {
    const service_entry_t *e = &svc->entries[i];
    if (e->proto == proto && strcmp(e->name, name) == 0) {
      *port = e->port;
      return SERVICES_FOUND;
    }
  }
  if (!allow_cut || strlen(name) != IPTRAF_NAME_WIDTH)
    return SERVICES_UNKNOWN;

  int found = -1;
  for (size_t i = 0; i < svc->count; i++) {
    const service_entry_t *e = &svc->entries[i];
    if (e->proto != proto || !e->primary ||
        strncmp(e->name, name, IPTRAF_NAME_WIDTH) != 0)
      continue;
    if (found >= 0 && found != e->port)
      return SERVICES_AMBIGUOUS;
    found = e->port;
  }
  if (found < 0)
    return SERVICES_UNKNOWN;
  *port = found;
  return SERVICES_FOUND;
}
