/* byte_count: how many times a byte occurs in a buffer (newlines in a
 * stretch of log skipped in bulk). Pure. */
#ifndef ITS_BYTE_COUNT_H
#define ITS_BYTE_COUNT_H

#include <stddef.h>
#include <stdint.h>

uint64_t byte_count(const char *p, size_t n, unsigned char c);

#endif
