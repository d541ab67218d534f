/* rrd_layout: the archives collectd 5.12's rrdtool plugin derives. */
#include "rrd_layout.h"
#include "unit.h"

static void test_layouts(void) {
  char rras[RRD_LAYOUT_MAX_RRAS][RRD_LAYOUT_DEF_LEN], ds[RRD_LAYOUT_DEF_LEN];
  rrd_layout_t l;

  /* The shipped MRTG example: 5 min x 730, 30 min x 744, 2 h x 744,
   * 1 day x 730. */
  rrd_layout_mrtg(&l);
  CHECK(rrd_layout_rras(&l, rras) == 12);
  CHECK_STR(rras[0], "RRA:AVERAGE:0.1000000000:1:730");
  CHECK_STR(rras[1], "RRA:MIN:0.1000000000:1:730");
  CHECK_STR(rras[2], "RRA:MAX:0.1000000000:1:730");
  CHECK_STR(rras[3], "RRA:AVERAGE:0.1000000000:6:744");
  CHECK_STR(rras[6], "RRA:AVERAGE:0.1000000000:24:744");
  CHECK_STR(rras[11], "RRA:MAX:0.1000000000:288:730");
  rrd_layout_ds(&l, "rx", NULL, ds);
  CHECK_STR(ds, "DS:rx:DERIVE:600:0.000000:U");
  rrd_layout_ds(&l, "tx", "22_out", ds);
  CHECK_STR(ds, "DS:tx=22_out:DERIVE:600:0.000000:U");

  /* collectd's defaults with a 10 s step: the hour is raised to RRARows
   * steps; the day gets floor(86400 / 12000) = 7 steps per row; the
   * heartbeat is twice the step. Spans are sorted, as collectd does. */
  rrd_layout_collectd_defaults(&l);
  l.step = 10;
  CHECK(rrd_layout_rras(&l, rras) == 15);
  CHECK_STR(rras[0], "RRA:AVERAGE:0.1000000000:1:1200");
  CHECK_STR(rras[3], "RRA:AVERAGE:0.1000000000:7:1235");
  rrd_layout_ds(&l, "rx", NULL, ds);
  CHECK_STR(ds, "DS:rx:DERIVE:20:0.000000:U");
  rrd_layout_collectd_defaults(&l);
  l.step = 60;
  l.rra_rows = 100;
  rrd_layout_add_span(&l, 604800);
  rrd_layout_add_span(&l, 0); /* ignored, as collectd does */
  rrd_layout_add_span(&l, 3600);
  CHECK(rrd_layout_rras(&l, rras) == 6);
  CHECK_STR(rras[0], "RRA:AVERAGE:0.1000000000:1:100");
  CHECK_STR(rras[3], "RRA:AVERAGE:0.1000000000:100:101");

  /* What collectd refuses. */
  l.xff = 1.0;
  CHECK(rrd_layout_check(&l) != NULL && rrd_layout_rras(&l, rras) == -1);
  l.xff = 0.5;
  l.rra_rows = 0;
  CHECK(rrd_layout_check(&l) != NULL);
}

int main(void) {
  RUN(test_layouts);
  UNIT_MAIN_END();
}
