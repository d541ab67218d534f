/* its_grow: the one growable-array step of every module. */
#ifndef ITS_GROW_H
#define ITS_GROW_H

#include <stdlib.h>
#include <string.h>

/* Makes the array *bufp (of `size`-byte elements, *cap of them) hold at
 * least `need`: *cap doubles from `first`. 0, or -1 when out of memory
 * (the array is left as it was). bufp points to the array's pointer. */
static inline int its_grow(void *bufp, size_t *cap, size_t need, size_t size,
                           size_t first) {
  if (need <= *cap)
    return 0;
  size_t n = *cap ? *cap : first;
  while (n < need)
    n *= 2;
  void *old;
  memcpy(&old, bufp, sizeof(old));
  void *p = realloc(old, n * size);
  if (p == NULL)
    return -1;
  memcpy(bufp, &p, sizeof(p));
  *cap = n;
  return 0;
}

#endif
