/* Unit tests of Port specs, the port set and service-name mapping. */
#include "portspec.h"
#include "services.h"
#include "unit.h"

static const char *SERVICES_TEXT =
    "ssh\t\t22/tcp\n"
    "domain\t\t53/tcp\n"
    "domain\t\t53/udp\n"
    "http\t\t80/tcp\t\twww  # WorldWideWeb HTTP\n"
    "echo\t\t7/tcp\n"
    "echo\t\t7/udp\n"
    "netbios-ssn\t139/tcp\n"
    "http-alt\t8080/tcp\twebcache\n"
    "printer-a\t9000/tcp\n" /* made up: two cut names collide */
    "microsoft-ds\t445/tcp\n"
    "microsoft-dsx\t446/tcp\n";

static services_t *svc;

static void test_numbers_and_ranges(void) {
  port_set_t set;
  char err[256];
  port_set_clear(&set);
  CHECK(portspec_add(&set, "tcp/22", svc, err, sizeof(err)) == 0);
  CHECK(portspec_add(&set, "udp/53", svc, err, sizeof(err)) == 0);
  CHECK(portspec_add(&set, "119", svc, err, sizeof(err)) == 0);
  CHECK(portspec_add(&set, "tcp/6000-6063", svc, err, sizeof(err)) == 0);
  CHECK(portspec_add(&set, "UDP/0-1", svc, err, sizeof(err)) == 0);
  CHECK(port_set_has(&set, ITS_PROTO_TCP, 22));
  CHECK(!port_set_has(&set, ITS_PROTO_UDP, 22));
  CHECK(port_set_has(&set, ITS_PROTO_UDP, 53));
  CHECK(!port_set_has(&set, ITS_PROTO_TCP, 53));
  CHECK(port_set_has(&set, ITS_PROTO_TCP, 119));
  CHECK(port_set_has(&set, ITS_PROTO_UDP, 119));
  CHECK(port_set_has(&set, ITS_PROTO_TCP, 6000));
  CHECK(port_set_has(&set, ITS_PROTO_TCP, 6063));
  CHECK(!port_set_has(&set, ITS_PROTO_TCP, 6064));
  CHECK(!port_set_has(&set, ITS_PROTO_TCP, 5999));
  CHECK(port_set_has(&set, ITS_PROTO_UDP, 0));
  CHECK_U64(set.count, 1 + 1 + 2 + 64 + 2);
  CHECK(portspec_add(&set, "0-65535", svc, err, sizeof(err)) == 0);
  CHECK_U64(set.count, 2 * 65536);
  CHECK(port_set_has(&set, ITS_PROTO_UDP, 65535));
  CHECK(!port_set_has(&set, ITS_PROTO_UDP, 65536));
}

static void test_names(void) {
  port_set_t set;
  char err[256];
  port_set_clear(&set);
  CHECK(portspec_add(&set, "tcp/ssh", svc, err, sizeof(err)) == 0);
  CHECK(portspec_add(&set, "tcp/www", svc, err, sizeof(err)) == 0);
  CHECK(port_set_has(&set, ITS_PROTO_TCP, 22));
  CHECK(port_set_has(&set, ITS_PROTO_TCP, 80));
  CHECK_U64(set.count, 2);
  /* ssh is tcp only in this database */
  CHECK(portspec_add(&set, "udp/ssh", svc, err, sizeof(err)) != 0);
  CHECK(strstr(err, "udp/ssh") != NULL);
}

static void test_errors_name_the_value(void) {
  port_set_t set;
  char err[256];
  const char *bad[] = {
      "tcp/", "tcp/65536", "sctp/22", "tcp/10-5", "tcp/nosuchservice",
      "ssh",  "",          "tcp/1-",  "-5",       "tcp/22/3",
      "99999"};
  port_set_clear(&set);
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err[0] = '\0';
    CHECK(portspec_add(&set, bad[i], svc, err, sizeof(err)) != 0);
    char quoted[64];
    snprintf(quoted, sizeof(quoted), "\"%s\"", bad[i]);
    CHECK(strstr(err, quoted) != NULL);
  }
  CHECK_U64(set.count, 0);
}

static void test_cut_names(void) {
  int port = -1;
  CHECK(services_lookup(svc, ITS_PROTO_TCP, "netbios-ss", 1, &port) ==
        SERVICES_FOUND);
  CHECK_U64(port, 139);
  CHECK(services_lookup(svc, ITS_PROTO_TCP, "netbios-ss", 0, &port) ==
        SERVICES_UNKNOWN);
  CHECK(services_lookup(svc, ITS_PROTO_TCP, "http-alt", 1, &port) ==
        SERVICES_FOUND);
  CHECK_U64(port, 8080);
  CHECK(services_lookup(svc, ITS_PROTO_UDP, "echo", 1, &port) ==
        SERVICES_FOUND);
  CHECK_U64(port, 7);
  /* "microsoft-" is the cut of two names on two ports. */
  CHECK(services_lookup(svc, ITS_PROTO_TCP, "microsoft-", 1, &port) ==
        SERVICES_AMBIGUOUS);
  CHECK(services_lookup(svc, ITS_PROTO_UDP, "netbios-ss", 1, &port) ==
        SERVICES_UNKNOWN);
}

static void test_system_database(void) {
  /* netbase's /etc/services: the names iptraf-ng printed in the samples. */
  services_t *sys = services_new();
  size_t n = services_load_system(sys);
  if (n == 0) {
    printf("skip test_system_database: no services database\n");
    services_free(sys);
    return;
  }
  int port = -1;
  CHECK(services_lookup(sys, ITS_PROTO_TCP, "netbios-ss", 1, &port) ==
        SERVICES_FOUND);
  CHECK_U64(port, 139);
  CHECK(services_lookup(sys, ITS_PROTO_TCP, "http", 1, &port) ==
        SERVICES_FOUND);
  CHECK_U64(port, 80);
  services_free(sys);
}

int main(void) {
  svc = services_new();
  services_load_text(svc, SERVICES_TEXT);
  RUN(test_numbers_and_ranges);
  RUN(test_names);
  RUN(test_errors_name_the_value);
  RUN(test_cut_names);
  RUN(test_system_database);
  services_free(svc);
  UNIT_MAIN_END();
}
