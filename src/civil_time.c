#include "civil_time.h"

#include <string.h>

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr",
                                            "May", "Jun", "Jul", "Aug",
                                            "Sep", "Oct", "Nov", "Dec"};
static const char *const day_names[7] = {"Sun", "Mon", "Tue", "Wed",
                                         "Thu", "Fri", "Sat"};

static size_t skip_blanks(const char *s, size_t len, size_t i) {
  while (i < len && s[i] == ' ')
    i++;
  return i;
}

/* Reads 1..max_digits decimal digits; returns new index or 0 on failure. */
static size_t read_int(const char *s, size_t len, size_t i, int max_digits,
                       int *out) {
  int v = 0, n = 0;
  while (i < len && s[i] >= '0' && s[i] <= '9' && n < max_digits) {
    v = v * 10 + (s[i] - '0');
    i++;
    n++;
  }
  if (n == 0 || (i < len && s[i] >= '0' && s[i] <= '9'))
    return 0;
  *out = v;
  return i;
}

static int match_name(const char *s, size_t len, size_t i,
                      const char *const *names, int count) {
  if (i + 3 > len)
    return -1;
  for (int k = 0; k < count; k++)
    if (memcmp(s + i, names[k], 3) == 0)
      return k;
  return -1;
}

size_t civil_time_parse(const char *s, size_t len, civil_time_t *out) {
  size_t i = 0;
  civil_time_t ct;

  if (match_name(s, len, i, day_names, 7) < 0)
    return 0;
  i += 3;
  if (i >= len || s[i] != ' ')
    return 0;
  i = skip_blanks(s, len, i);
  int mon = match_name(s, len, i, month_names, 12);
  if (mon < 0)
    return 0;
  ct.month = mon + 1;
  i += 3;
  if (i >= len || s[i] != ' ')
    return 0;
  i = skip_blanks(s, len, i);
  if (!(i = read_int(s, len, i, 2, &ct.day)))
    return 0;
  if (i >= len || s[i] != ' ')
    return 0;
  i = skip_blanks(s, len, i);
  if (!(i = read_int(s, len, i, 2, &ct.hour)) || i >= len || s[i] != ':')
    return 0;
  if (!(i = read_int(s, len, i + 1, 2, &ct.minute)) || i >= len || s[i] != ':')
    return 0;
  if (!(i = read_int(s, len, i + 1, 2, &ct.second)))
    return 0;
  if (i >= len || s[i] != ' ')
    return 0;
  i = skip_blanks(s, len, i);
  if (!(i = read_int(s, len, i, 6, &ct.year)))
    return 0;

  if (ct.day < 1 || ct.day > 31 || ct.hour > 23 || ct.minute > 59 ||
      ct.second > 60 || ct.year < 1970)
    return 0;
  *out = ct;
  return i;
}

static time_t to_epoch_with_dst(const civil_time_t *ct, int isdst) {
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  tm.tm_year = ct->year - 1900;
  tm.tm_mon = ct->month - 1;
  tm.tm_mday = ct->day;
  tm.tm_hour = ct->hour;
  tm.tm_min = ct->minute;
  tm.tm_sec = ct->second;
  tm.tm_isdst = isdst;
  time_t t = mktime(&tm);
  if (t == (time_t)-1)
    return t;
  /* mktime normalises a reading that does not exist in the requested DST
   * state; only keep readings that come back unchanged. */
  if (isdst >= 0 && (tm.tm_isdst != isdst || tm.tm_hour != ct->hour ||
                     tm.tm_min != ct->minute || tm.tm_mday != ct->day))
    return (time_t)-1;
  return t;
}

/* 1 when the reading at t is exactly ct and the zone's UTC offset is the
 * same two days either side of t (more than any offset change spans): then
 * ct occurs exactly once and t is the answer. */
static int unique_reading(const civil_time_t *ct, time_t t) {
  struct tm tm;
  if (t == (time_t)-1 || localtime_r(&t, &tm) == NULL)
    return 0;
  if (tm.tm_year != ct->year - 1900 || tm.tm_mon != ct->month - 1 ||
      tm.tm_mday != ct->day || tm.tm_hour != ct->hour ||
      tm.tm_min != ct->minute || tm.tm_sec != ct->second)
    return 0;
  long offset = tm.tm_gmtoff;
  static const int days[] = {-2, -1, 1, 2};
  for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
    time_t other = t + (time_t)days[i] * 86400;
    if (localtime_r(&other, &tm) == NULL || tm.tm_gmtoff != offset)
      return 0;
  }
  return 1;
}

time_t civil_time_to_epoch(const civil_time_t *ct, time_t not_before) {
  /* Far from a DST change (nearly always) one mktime settles it; asking
   * mktime for a DST state the zone lacks, as the exact path below does,
   * costs glibc a long search (tens of microseconds a block header). */
  time_t guess = to_epoch_with_dst(ct, -1);
  if (unique_reading(ct, guess))
    return guess;

  time_t std = to_epoch_with_dst(ct, 0);
  time_t dst = to_epoch_with_dst(ct, 1);

  if (std != (time_t)-1 && dst != (time_t)-1 && std != dst) {
    /* Ambiguous (clocks went back): the earlier reading is the DST one. */
    time_t early = std < dst ? std : dst;
    time_t late = std < dst ? dst : std;
    return (early >= not_before) ? early : late;
  }
  if (std != (time_t)-1)
    return std;
  if (dst != (time_t)-1)
    return dst;
  /* A reading inside the skipped hour (clocks went forward): let mktime
   * decide, as the writer's own clock would have. */
  return to_epoch_with_dst(ct, -1);
}
