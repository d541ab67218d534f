/* Accessors for what src/iptraf_services.c registered with the collectd
 * stub (fuzz/collectd_stub.c). Include after the collectd headers. */
#ifndef FUZZ_COLLECTD_STUB_H
#define FUZZ_COLLECTD_STUB_H

typedef int (*collectd_stub_config_cb)(oconfig_item_t *);

collectd_stub_config_cb collectd_stub_config(void);
const char *collectd_stub_config_name(void);
plugin_init_cb collectd_stub_init(void);
plugin_shutdown_cb collectd_stub_shutdown(void);
unsigned long collectd_stub_reads_registered(void);

/* Defined by src/iptraf_services.c. */
void module_register(void);

#endif
