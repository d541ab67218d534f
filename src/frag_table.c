#include "frag_table.h"

#include <stdlib.h>
#include <string.h>

#define PROBE_WINDOW 8

typedef struct {
  frag_key_t key;
  uint32_t expires; /* 0: empty */
  uint8_t proto;
  uint16_t sport, dport;
} frag_slot_t;

struct frag_table_s {
  frag_slot_t *slots;
  size_t mask;
  uint32_t ttl;
};

frag_table_t *frag_table_new(size_t slots, uint32_t ttl) {
  size_t n = 16;
  while (n < slots && n < ((size_t)1 << 24))
    n <<= 1;
  frag_table_t *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return NULL;
  t->slots = calloc(n, sizeof(frag_slot_t));
  if (t->slots == NULL) {
    free(t);
    return NULL;
  }
  t->mask = n - 1;
  t->ttl = ttl ? ttl : 60;
  return t;
}

void frag_table_free(frag_table_t *t) {
  if (t == NULL)
    return;
  free(t->slots);
  free(t);
}

static int key_equal(const frag_key_t *a, const frag_key_t *b) {
  size_t alen = a->family == 4 ? 4 : 16;
  return a->family == b->family && a->proto == b->proto && a->id == b->id &&
         memcmp(a->src, b->src, alen) == 0 && memcmp(a->dst, b->dst, alen) == 0;
}

static size_t key_hash(const frag_key_t *k) {
  uint64_t h = 1469598103934665603ULL;
  size_t alen = k->family == 4 ? 4 : 16;
#define MIX(byte)                                                              \
  do {                                                                         \
    h ^= (uint8_t)(byte);                                                      \
    h *= 1099511628211ULL;                                                     \
  } while (0)
  MIX(k->family);
  MIX(k->proto);
  for (int i = 0; i < 4; i++)
    MIX(k->id >> (8 * i));
  for (size_t i = 0; i < alen; i++) {
    MIX(k->src[i]);
    MIX(k->dst[i]);
  }
#undef MIX
  return (size_t)(h ^ (h >> 29));
}

/* Slot expiry is kept as now + ttl, with 0 meaning empty: */
static uint32_t expiry(const frag_table_t *t, uint32_t now) {
  uint32_t e = now + t->ttl;
  return e ? e : 1;
}

void frag_table_put(frag_table_t *t, const frag_key_t *key, uint8_t proto,
                    uint16_t sport, uint16_t dport, uint32_t now) {
  size_t h = key_hash(key);
  frag_slot_t *victim = NULL;
  for (size_t i = 0; i < PROBE_WINDOW; i++) {
    frag_slot_t *s = &t->slots[(h + i) & t->mask];
    if (s->expires != 0 && key_equal(&s->key, key)) {
      victim = s;
      break;
    }
    if (s->expires == 0 || s->expires <= now) {
      if (victim == NULL || victim->expires != 0)
        victim = s;
      continue;
    }
    if (victim == NULL ||
        (victim->expires != 0 && s->expires < victim->expires))
      victim = s;
  }
  victim->key = *key;
  victim->proto = proto;
  victim->sport = sport;
  victim->dport = dport;
  victim->expires = expiry(t, now);
}

int frag_table_get(frag_table_t *t, const frag_key_t *key, uint32_t now,
                   uint8_t *proto, uint16_t *sport, uint16_t *dport) {
  size_t h = key_hash(key);
  for (size_t i = 0; i < PROBE_WINDOW; i++) {
    frag_slot_t *s = &t->slots[(h + i) & t->mask];
    if (s->expires != 0 && s->expires > now && key_equal(&s->key, key)) {
      *proto = s->proto;
      *sport = s->sport;
      *dport = s->dport;
      return 1;
    }
  }
  return 0;
}

size_t frag_table_used(const frag_table_t *t, uint32_t now) {
  size_t n = 0;
  for (size_t i = 0; i <= t->mask; i++)
    n += t->slots[i].expires > now;
  return n;
}
