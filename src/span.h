/* span: a bounded view of captured bytes with checked reads, so that the
 * decoder's bounds checks hold by construction (as tcpdump's GET_ macros,
 * but without longjmp on the hot path).
 *
 * A read past the end returns 0 and sets the caller's `short_read` flag; a
 * decoder checks the flag once per header and reports what was cut. No
 * pointer is ever formed past the end: span_from() of an offset beyond the
 * end gives an empty span at the end. After an explicit span_has() the
 * compiler folds the per-read checks away (everything is inline). */
#ifndef ITS_SPAN_H
#define ITS_SPAN_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const uint8_t *p;
  size_t len;
} span_t;

static inline span_t span_make(const uint8_t *p, size_t len) {
  span_t s = {p, len};
  return s;
}

/* Whether bytes [off, off + n) lie inside the span (no overflow). */
static inline int span_has(span_t s, size_t off, size_t n) {
  return off <= s.len && n <= s.len - off;
}

static inline uint8_t span_u8(span_t s, size_t off, int *short_read) {
  if (!span_has(s, off, 1)) {
    *short_read = 1;
    return 0;
  }
  return s.p[off];
}

static inline uint16_t span_be16(span_t s, size_t off, int *short_read) {
  if (!span_has(s, off, 2)) {
    *short_read = 1;
    return 0;
  }
  return (uint16_t)((s.p[off] << 8) | s.p[off + 1]);
}

static inline uint16_t span_le16(span_t s, size_t off, int *short_read) {
  if (!span_has(s, off, 2)) {
    *short_read = 1;
    return 0;
  }
  return (uint16_t)(s.p[off] | (s.p[off + 1] << 8));
}

static inline uint32_t span_be32(span_t s, size_t off, int *short_read) {
  if (!span_has(s, off, 4)) {
    *short_read = 1;
    return 0;
  }
  return ((uint32_t)s.p[off] << 24) | ((uint32_t)s.p[off + 1] << 16) |
         ((uint32_t)s.p[off + 2] << 8) | s.p[off + 3];
}

static inline uint32_t span_le32(span_t s, size_t off, int *short_read) {
  if (!span_has(s, off, 4)) {
    *short_read = 1;
    return 0;
  }
  return (uint32_t)s.p[off] | ((uint32_t)s.p[off + 1] << 8) |
         ((uint32_t)s.p[off + 2] << 16) | ((uint32_t)s.p[off + 3] << 24);
}

/* Copies n bytes at off to dst (zeros and *short_read when cut). */
static inline void span_copy(span_t s, size_t off, void *dst, size_t n,
                             int *short_read) {
  uint8_t *d = dst;
  if (!span_has(s, off, n)) {
    *short_read = 1;
    for (size_t i = 0; i < n; i++)
      d[i] = 0;
    return;
  }
  for (size_t i = 0; i < n; i++)
    d[i] = s.p[off + i];
}

/* The bytes from off to the end (empty when off is past the end). */
static inline span_t span_from(span_t s, size_t off) {
  if (off > s.len)
    off = s.len;
  return span_make(s.p + off, s.len - off);
}

/* The first n bytes (all of them when shorter). */
static inline span_t span_head(span_t s, size_t n) {
  return span_make(s.p, n < s.len ? n : s.len);
}

#endif
