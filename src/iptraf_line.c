#include "iptraf_line.h"

#include <string.h>

typedef struct {
  const char *s;
  size_t len;
  size_t i;
} cursor_t;

static void skip_ws(cursor_t *c) {
  while (c->i < c->len && (c->s[c->i] == ' ' || c->s[c->i] == '\t'))
    c->i++;
}

static int expect(cursor_t *c, const char *word) {
  size_t n = strlen(word);
  if (c->len - c->i < n || memcmp(c->s + c->i, word, n) != 0)
    return -1;
  c->i += n;
  return 0;
}

/* Unsigned decimal that must fit 64 bits. Returns 0, -1 (no digits) or
 * -2 (overflow). */
static int read_u64(cursor_t *c, uint64_t *out) {
  uint64_t v = 0;
  size_t start = c->i;
  while (c->i < c->len && c->s[c->i] >= '0' && c->s[c->i] <= '9') {
    unsigned d = (unsigned)(c->s[c->i] - '0');
    if (v > (UINT64_MAX - d) / 10)
      return -2;
    v = v * 10 + d;
    c->i++;
  }
  if (c->i == start)
    return -1;
  *out = v;
  return 0;
}

static const char *const ERR_NUMBER = "expected a number";
static const char *const ERR_OVERFLOW = "number does not fit in 64 bits";

/* "<packets> packets, <bytes> bytes <label>" */
static const char *read_group(cursor_t *c, const char *label, uint64_t *packets,
                              uint64_t *bytes) {
  uint64_t *const value[] = {packets, bytes};
  static const char *const word[] = {"packets,", "bytes"};
  static const char *const missing[] = {"expected \"packets,\"",
                                        "expected \"bytes\""};
  for (int i = 0; i < 2; i++) {
    int rc;
    skip_ws(c);
    if ((rc = read_u64(c, value[i])) != 0)
      return rc == -2 ? ERR_OVERFLOW : ERR_NUMBER;
    skip_ws(c);
    if (expect(c, word[i]) != 0)
      return missing[i];
  }
  skip_ws(c);
  if (expect(c, label) != 0)
    return "unexpected counter label";
  return NULL;
}

/* The optional rate after a group: ", 114.72 kbits/s" or ",   1,23 kBps".
 * Its content is not needed (it is derived from the counters) but must look
 * like a rate, so that a damaged line is not taken for a good one. Stops at
 * `stop` or at the end of the line. */
static const char *skip_rate(cursor_t *c, char stop) {
  skip_ws(c);
  if (c->i == c->len || c->s[c->i] == stop)
    return NULL;
  if (c->s[c->i] != ',')
    return "unexpected text after a counter";
  c->i++;
  int digits = 0;
  while (c->i < c->len && c->s[c->i] != stop) {
    char ch = c->s[c->i];
    if (ch >= '0' && ch <= '9')
      digits++;
    else if (!(ch == ' ' || ch == '.' || ch == ',' || ch == '/' ||
               (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
      return "unexpected character in a rate";
    c->i++;
  }
  if (digits == 0)
    return "rate without a number";
  return NULL;
}

/* One left-to-right scan of the port line's fields. */
static int parse_port_line(cursor_t *c, iptraf_line_t *out) {
  const char *err;

  if (expect(c, "TCP/") == 0)
    out->proto = ITS_PROTO_TCP;
  else if (expect(c, "UDP/") == 0)
    out->proto = ITS_PROTO_UDP;
  else
    return -1;

  size_t name_start = c->i;
  while (c->i < c->len && c->s[c->i] != ':')
    c->i++;
  size_t name_len = c->i - name_start;
  if (c->i == c->len) {
    out->error = "missing ':' after the port";
    goto invalid;
  }
  if (name_len == 0 || name_len > ITS_SERVICE_NAME_MAX) {
    out->error = "bad port or service name";
    goto invalid;
  }
  int all_digits = 1;
  for (size_t k = 0; k < name_len; k++) {
    char ch = c->s[name_start + k];
    if (ch < '0' || ch > '9')
      all_digits = 0;
    /* Service names are printable ASCII without blanks. */
    if (ch <= ' ' || ch > '~' || ch == '/') {
      out->error = "bad port or service name";
      goto invalid;
    }
  }
  memcpy(out->name, c->s + name_start, name_len);
  out->name[name_len] = '\0';
  out->port = -1;
  if (all_digits) {
    if (name_len > 5) {
      out->error = "port number out of range";
      goto invalid;
    }
    int p = 0;
    for (size_t k = 0; k < name_len; k++)
      p = p * 10 + (c->s[name_start + k] - '0');
    if (p > 65535) {
      out->error = "port number out of range";
      goto invalid;
    }
    out->port = p;
  }
  c->i++; /* ':' */

  /* "N packets, N bytes total, N kbps avg; ... incoming, ...; ... outgoing" */
  const struct {
    const char *name;
    uint64_t *packets, *bytes;
    const char *no_semicolon; /* NULL: the last group */
  } groups[] = {
      {"total", &out->total_packets, &out->total_bytes,
       "expected ';' after the total"},
      {"incoming", &out->in_packets, &out->in_bytes,
       "expected ';' after the incoming counters"},
      {"outgoing", &out->out_packets, &out->out_bytes, NULL},
  };
  for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
    if ((err = read_group(c, groups[g].name, groups[g].packets,
                          groups[g].bytes)) ||
        (err = skip_rate(c, ';')))
      goto bad;
    if (groups[g].no_semicolon && expect(c, ";") != 0) {
      err = groups[g].no_semicolon;
      goto bad;
    }
  }
  skip_ws(c);
  if (c->i != c->len) {
    err = "unexpected text at the end of the line";
    goto bad;
  }
  out->kind = IPTRAF_LINE_PORT;
  return 0;

bad:
  out->error = err;
invalid:
  out->kind = IPTRAF_LINE_INVALID;
  return -1;
}

typedef struct {
  const char *marker;
  iptraf_line_kind_t kind;
} event_marker_t;

static const event_marker_t event_markers[] = {
    {"; ******** TCP/UDP service monitor started ********",
     IPTRAF_LINE_STARTED},
    {"; ******** TCP/UDP service monitor stopped ********",
     IPTRAF_LINE_STOPPED},
    {"; ***** USR1 signal received, preparing to reopen log file *****",
     IPTRAF_LINE_USR1},
    {"; ***** Logfile reopened *****", IPTRAF_LINE_REOPENED},
};

/* "<ctime>; ****** ... ******" lines. The ctime may be preceded by a line
 * that a crashed iptraf left without its newline. */
static int parse_event_line(const char *s, size_t len, iptraf_line_t *out) {
  if (len == 0 || s[len - 1] != '*')
    return -1;
  for (size_t k = 0; k < sizeof(event_markers) / sizeof(event_markers[0]);
       k++) {
    const char *m = event_markers[k].marker;
    size_t mlen = strlen(m);
    if (len < mlen || memcmp(s + len - mlen, m, mlen) != 0)
      continue;
    size_t stamp_end = len - mlen;
    /* ctime is 24 characters; find where it starts by trying each weekday
     * position at or before stamp_end - 24. */
    if (stamp_end < 24)
      break;
    for (size_t start = stamp_end - 24 + 1; start-- > 0;) {
      civil_time_t ct;
      size_t used = civil_time_parse(s + start, stamp_end - start, &ct);
      if (used == stamp_end - start) {
        out->kind = event_markers[k].kind;
        out->time = ct;
        out->garbage_prefix = start;
        return 0;
      }
      if (stamp_end - start > 40)
        break;
    }
    break;
  }
  return -1;
}

/* Marks the line invalid, saying why; -1. */
static int invalid(iptraf_line_t *out, const char *why) {
  out->kind = IPTRAF_LINE_INVALID;
  out->error = why;
  return -1;
}

/* One dispatch on the line's shape; each branch is a few lines. */
int iptraf_line_parse(const char *line, size_t len, iptraf_line_t *out) {
  memset(out, 0, sizeof(*out));
  out->port = -1;
  if (len > 0 && line[len - 1] == '\r')
    len--;

  cursor_t c = {.s = line, .len = len, .i = 0};
  skip_ws(&c);
  if (c.i == len) {
    out->kind = IPTRAF_LINE_BLANK;
    return 0;
  }

  if (line[c.i] == 'T' || line[c.i] == 'U') {
    if (parse_port_line(&c, out) == 0)
      return 0;
    if (out->kind == IPTRAF_LINE_INVALID) {
      /* A port line cut off by a crash may have a new run's "started" line
       * glued to it. */
      iptraf_line_t ev;
      memset(&ev, 0, sizeof(ev));
      if (parse_event_line(line, len, &ev) == 0) {
        *out = ev;
        return 0;
      }
      return -1;
    }
  }

  c.i = 0;
  skip_ws(&c);
  if (expect(&c, "*** TCP/UDP traffic log, generated ") == 0) {
    skip_ws(&c);
    size_t used = civil_time_parse(line + c.i, len - c.i, &out->time);
    if (used == 0)
      return invalid(out, "block header with a bad timestamp");
    c.i += used;
    skip_ws(&c);
    if (c.i != len)
      return invalid(out, "unexpected text after the block header");
    out->kind = IPTRAF_LINE_BLOCK_HEADER;
    return 0;
  }

  c.i = 0;
  skip_ws(&c);
  if (expect(&c, "Running time:") == 0) {
    skip_ws(&c);
    int rc = read_u64(&c, &out->running_time);
    skip_ws(&c);
    if (rc != 0 || expect(&c, "seconds") != 0)
      return invalid(out,
                     rc == -2 ? ERR_OVERFLOW : "bad \"Running time\" line");
    skip_ws(&c);
    if (c.i != len)
      return invalid(out, "unexpected text after \"Running time\"");
    out->kind = IPTRAF_LINE_RUNNING_TIME;
    return 0;
  }

  if (parse_event_line(line, len, out) == 0)
    return 0;

  return invalid(out, "not an iptraf service monitor line");
}
