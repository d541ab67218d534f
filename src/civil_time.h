/* civil_time: ctime(3)-style timestamps as written by iptraf, and their
 * conversion from local time to epoch seconds across DST changes. */
#ifndef ITS_CIVIL_TIME_H
#define ITS_CIVIL_TIME_H

#include <stddef.h>
#include <time.h>

typedef struct {
  int year, month, day; /* month 1-12 */
  int hour, minute, second;
} civil_time_t;

/* Parses "Sun Nov  1 14:34:12 2009" (weekday, month, day, time, year; runs of
 * blanks allowed between fields). Returns the number of bytes consumed, or 0
 * when [s, s+len) does not start with such a timestamp. Pure. */
size_t civil_time_parse(const char *s, size_t len, civil_time_t *out);

/* Local civil time -> epoch seconds. During the hour that a DST change makes
 * occur twice, picks the earliest reading not before `not_before` (pass 0
 * when there is no previous time), so a log's blocks stay in order.
 * Returns (time_t)-1 for an impossible time. */
time_t civil_time_to_epoch(const civil_time_t *ct, time_t not_before);

#endif
