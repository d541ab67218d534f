/* iptraf_line: classify and decode one line of an iptraf / iptraf-ng
 * "TCP/UDP service monitor" log. Pure: no I/O, no allocation, no collectd. */
#ifndef ITS_IPTRAF_LINE_H
#define ITS_IPTRAF_LINE_H

#include <stddef.h>
#include <stdint.h>

#include "civil_time.h"
#include "its_proto.h"

typedef enum {
  IPTRAF_LINE_BLANK,
  /* "<ctime>; ******** TCP/UDP service monitor started ********" */
  IPTRAF_LINE_STARTED,
  /* "... monitor stopped ..." */
  IPTRAF_LINE_STOPPED,
  /* "... USR1 signal received, preparing to reopen log file ..." */
  IPTRAF_LINE_USR1,
  /* "... Logfile reopened ..." */
  IPTRAF_LINE_REOPENED,
  /* "*** TCP/UDP traffic log, generated <ctime>" */
  IPTRAF_LINE_BLOCK_HEADER,
  /* "TCP/80: 98 packets, 606926 bytes total, ..." */
  IPTRAF_LINE_PORT,
  /* "Running time: 32 seconds" */
  IPTRAF_LINE_RUNNING_TIME,
  IPTRAF_LINE_INVALID,
} iptraf_line_kind_t;

typedef struct {
  iptraf_line_kind_t kind;

  /* Event lines and block headers. */
  civil_time_t time;
  /* Event lines only: bytes of a cut-off earlier line glued in front of the
   * timestamp (iptraf died mid-line, then a new run appended to the file). */
  size_t garbage_prefix;

  /* IPTRAF_LINE_PORT */
  its_proto_t proto;
  int port;                            /* -1 when the log shows a name */
  char name[ITS_SERVICE_NAME_MAX + 1]; /* the text after "TCP/" */
  uint64_t total_packets, total_bytes;
  uint64_t in_packets, in_bytes;
  uint64_t out_packets, out_bytes;

  /* IPTRAF_LINE_RUNNING_TIME */
  uint64_t running_time;

  /* IPTRAF_LINE_INVALID: a static string saying what is wrong. */
  const char *error;
} iptraf_line_t;

/* Parses the line [line, line+len) (without its newline; a trailing '\r' is
 * ignored). Always fills out->kind; returns 0, or -1 for IPTRAF_LINE_INVALID.
 */
int iptraf_line_parse(const char *line, size_t len, iptraf_line_t *out);

#endif
