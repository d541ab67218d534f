#include "rrd_layout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int collectd_spans[] = {3600, 86400, 604800, 2678400, 31622400};
static const char *const cfs[] = {"AVERAGE", "MIN", "MAX"};

void rrd_layout_collectd_defaults(rrd_layout_t *l) {
  memset(l, 0, sizeof(*l));
  l->rra_rows = 1200;
  l->xff = 0.1;
}

void rrd_layout_mrtg(rrd_layout_t *l) {
  rrd_layout_collectd_defaults(l);
  l->step = 300;
  l->heartbeat = 600;
  l->rra_rows = 730;
  rrd_layout_add_span(l, 172800);
  rrd_layout_add_span(l, 1339200);
  rrd_layout_add_span(l, 5356800);
  rrd_layout_add_span(l, 63072000);
}

int rrd_layout_add_span(rrd_layout_t *l, int seconds) {
  if (seconds == 0)
    return 0;
  if (l->nspans >= RRD_LAYOUT_MAX_SPANS)
    return -1;
  l->spans[l->nspans++] = seconds;
  return 0;
}

const char *rrd_layout_check(const rrd_layout_t *l) {
  if (l->step == 0)
    return "the step must be at least 1 second";
  if (l->rra_rows <= 0)
    return "RRARows must be greater than 0";
  if (!(l->xff >= 0.0 && l->xff < 1.0))
    return "XFF must be in the range 0 to 1 (exclusive)";
  if (l->heartbeat < 0)
    return "the heartbeat must be positive";
  for (int i = 0; i < l->nspans; i++)
    if (l->spans[i] < 0)
      return "a timespan must be positive";
  return NULL;
}

static int by_value(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

int rrd_layout_rras(const rrd_layout_t *l,
                    char out[RRD_LAYOUT_MAX_RRAS][RRD_LAYOUT_DEF_LEN]) {
  if (rrd_layout_check(l) != NULL)
    return -1;
  int spans[RRD_LAYOUT_MAX_SPANS];
  int nspans;
  if (l->nspans > 0) {
    nspans = l->nspans;
    memcpy(spans, l->spans, sizeof(int) * (size_t)nspans);
    /* collectd sorts its RRATimespan values as they are read. */
    qsort(spans, (size_t)nspans, sizeof(int), by_value);
  } else {
    nspans = (int)(sizeof(collectd_spans) / sizeof(collectd_spans[0]));
    memcpy(spans, collectd_spans, sizeof(collectd_spans));
  }
  int ss = (int)l->step;
  int n = 0, cdp_len = 0;
  for (int i = 0; i < nspans; i++) {
    int span = spans[i];
    /* A span shorter than RRARows steps is raised to it; the first span
     * gets one step per row, later ones as many as fit RRARows rows. */
    if (span / ss < l->rra_rows)
      span = ss * l->rra_rows;
    if (cdp_len == 0)
      cdp_len = 1;
    else
      cdp_len = (int)floor((double)span / (double)(l->rra_rows * ss));
    int cdp_num = (int)ceil((double)span / (double)(cdp_len * ss));
    for (int j = 0; j < 3; j++)
      snprintf(out[n++], RRD_LAYOUT_DEF_LEN, "RRA:%s:%.10f:%u:%u", cfs[j],
               l->xff, (unsigned)cdp_len, (unsigned)cdp_num);
  }
  return n;
}

void rrd_layout_ds(const rrd_layout_t *l, const char *name, const char *source,
                   char out[RRD_LAYOUT_DEF_LEN]) {
  int hb = l->heartbeat > 0 ? l->heartbeat : 2 * (int)l->step;
  snprintf(out, RRD_LAYOUT_DEF_LEN, "DS:%s%s%s:DERIVE:%i:%f:U", name,
           source ? "=" : "", source ? source : "", hb, 0.0);
}
