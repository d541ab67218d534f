/* rrd_layout: the data sources and archives that collectd 5.12's rrdtool
 * plugin gives a new RRD file, from its StepSize, HeartBeat, RRARows,
 * RRATimespan and XFF settings. Pure: builds the definition strings that
 * rrd_create takes, so the importer's files equal the plugin's. */
#ifndef ITS_RRD_LAYOUT_H
#define ITS_RRD_LAYOUT_H

#include <stddef.h>

#define RRD_LAYOUT_MAX_SPANS 16
/* Three consolidation functions (AVERAGE, MIN, MAX) per timespan. */
#define RRD_LAYOUT_MAX_RRAS (3 * RRD_LAYOUT_MAX_SPANS)
#define RRD_LAYOUT_DEF_LEN 128

typedef struct {
  unsigned long step; /* StepSize, seconds */
  int heartbeat;      /* HeartBeat; 0: twice the step, as collectd does */
  int rra_rows;       /* RRARows */
  double xff;         /* XFF, [0, 1) */
  int spans[RRD_LAYOUT_MAX_SPANS]; /* RRATimespan, any order */
  int nspans;                      /* 0: collectd's built-in timespans */
} rrd_layout_t;

/* The shipped collectd.conf.d/rrdtool-mrtg.conf.example: 5 min x 730,
 * 30 min x 744, 2 h x 744, 1 day x 730. */
void rrd_layout_mrtg(rrd_layout_t *l);

/* collectd's defaults when an option is absent (RRARows 1200, XFF 0.1, the
 * timespans hour, day, week, month, year); step and heartbeat 0. */
void rrd_layout_collectd_defaults(rrd_layout_t *l);

/* Adds one RRATimespan. Returns 0, or -1 when there are too many. Like
 * collectd, a zero span is ignored. */
int rrd_layout_add_span(rrd_layout_t *l, int seconds);

/* A sentence saying what is wrong with the layout, or NULL when it is one
 * collectd would use. */
const char *rrd_layout_check(const rrd_layout_t *l);

/* The archive definitions ("RRA:AVERAGE:0.1000000000:1:730") in collectd's
 * order. Returns their number, or -1 (see rrd_layout_check). */
int rrd_layout_rras(const rrd_layout_t *l,
                    char out[RRD_LAYOUT_MAX_RRAS][RRD_LAYOUT_DEF_LEN]);

/* One DERIVE data source with minimum 0 and no maximum
 * ("DS:rx:DERIVE:600:0.000000:U"), as collectd writes it for if_octets and
 * if_packets. `source`, when not NULL, maps it to a data source of an
 * existing file (rrdtool create --source: "DS:rx=22_in:..."). */
void rrd_layout_ds(const rrd_layout_t *l, const char *name, const char *source,
                   char out[RRD_LAYOUT_DEF_LEN]);

#endif
