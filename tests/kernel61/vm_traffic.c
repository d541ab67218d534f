/* vm_traffic: the traffic of tests/kernel61/run-in-vm, built statically and
 * run inside the virtual machine.
 *
 *   vm_traffic lo
 *       Known traffic on the loopback interface (set to MTU 1500 by the
 *       caller, so that large UDP datagrams are fragmented). Each part is
 *       checked end to end (every datagram arrives whole, every echo comes
 *       back, every TCP segment is acknowledged before the next is sent)
 *       and announced on standard output as one line
 *           SENT <kind> <family> <port> <numbers...>
 *       from which tests/integration/test_kernel61.py computes the exact
 *       counts: nothing here predicts a count, it only says what was sent.
 *
 *   vm_traffic replay IFACE FILE.pcap
 *       Sends every frame of a classic pcap file out of IFACE (a packet
 *       socket), like tcpreplay --topspeed; says how many.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The client end of the UDP echo: a fixed port nobody monitors. */
#define UDP_CLIENT_PORT 40007

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "vm_traffic: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

static void address(int family, int port, struct sockaddr_storage *ss,
                    socklen_t *len) {
  memset(ss, 0, sizeof(*ss));
  if (family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *len = sizeof(*a);
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    a->sin6_addr = in6addr_loopback;
    *len = sizeof(*a);
  }
}

static int bound(int family, int type, int port) {
  int fd = socket(family, type, 0);
  if (fd < 0)
    die("socket: %s", strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct timeval tv = {.tv_sec = 5};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  struct sockaddr_storage ss;
  socklen_t len;
  address(family, port, &ss, &len);
  if (bind(fd, (struct sockaddr *)&ss, len) != 0)
    die("bind to port %d: %s", port, strerror(errno));
  return fd;
}

static const char *fam(int family) {
  return family == AF_INET ? "ipv4" : "ipv6";
}

static void say_sizes(const char *kind, int family, int port, const int *sizes,
                      int n) {
  printf("SENT %s %s %d", kind, fam(family), port);
  for (int i = 0; i < n; i++)
    printf(" %d", sizes[i]);
  printf("\n");
  fflush(stdout);
}

static char buf[70000];

/* Datagrams of these payload sizes from UDP_CLIENT_PORT to `port`, each
 * echoed back by the server: `port` sees each size once in, once out. */
static void udp_echo(int family, int port, const int *sizes, int n) {
  int srv = bound(family, SOCK_DGRAM, port);
  int cli = bound(family, SOCK_DGRAM, UDP_CLIENT_PORT);
  struct sockaddr_storage to, from;
  socklen_t tolen, fromlen;
  address(family, port, &to, &tolen);
  for (int i = 0; i < n; i++) {
    memset(buf, 'e', (size_t)sizes[i]);
    if (sendto(cli, buf, (size_t)sizes[i], 0, (struct sockaddr *)&to, tolen) !=
        sizes[i])
      die("udp echo send: %s", strerror(errno));
    fromlen = sizeof(from);
    ssize_t r =
        recvfrom(srv, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
    if (r != sizes[i])
      die("udp echo: the server got %zd bytes of %d", r, sizes[i]);
    if (sendto(srv, buf, (size_t)r, 0, (struct sockaddr *)&from, fromlen) != r)
      die("udp echo reply: %s", strerror(errno));
    r = recv(cli, buf, sizeof(buf), 0);
    if (r != sizes[i])
      die("udp echo: the client got %zd bytes back of %d", r, sizes[i]);
  }
  close(srv);
  close(cli);
  say_sizes("udp-echo", family, port, sizes, n);
}

/* Datagrams to `port` from UDP_CLIENT_PORT + 1, not answered; larger than
 * the MTU they leave as fragments. */
static void udp_oneway(int family, int port, const int *sizes, int n) {
  int srv = bound(family, SOCK_DGRAM, port);
  int cli = bound(family, SOCK_DGRAM, UDP_CLIENT_PORT + 1);
  struct sockaddr_storage to;
  socklen_t tolen;
  address(family, port, &to, &tolen);
  for (int i = 0; i < n; i++) {
    memset(buf, 'o', (size_t)sizes[i]);
    if (sendto(cli, buf, (size_t)sizes[i], 0, (struct sockaddr *)&to, tolen) !=
        sizes[i])
      die("udp send of %d bytes: %s", sizes[i], strerror(errno));
    ssize_t r = recv(srv, buf, sizeof(buf), 0);
    if (r != sizes[i])
      die("udp: the server got %zd bytes of %d", r, sizes[i]);
  }
  close(srv);
  close(cli);
  say_sizes("udp-oneway", family, port, sizes, n);
}

static uint16_t checksum(const void *data, size_t len, uint32_t sum) {
  const uint8_t *p = data;
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len & 1)
    sum += (uint32_t)p[len - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* TCP segments with RST|ACK from `sport` to `dport` on 127.0.0.1, built by
 * hand (20-byte IPv4 and TCP headers, `sizes` bytes of payload): nothing
 * answers a reset. */
static void tcp_resets(int sport, int dport, const int *sizes, int n) {
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW); /* implies IP_HDRINCL */
  if (fd < 0)
    die("raw socket: %s", strerror(errno));
  struct sockaddr_in to = {.sin_family = AF_INET,
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  for (int i = 0; i < n; i++) {
    uint8_t pkt[1500];
    size_t len = 40 + (size_t)sizes[i];
    if (len > sizeof(pkt))
      die("segment too large");
    memset(pkt, 0, len);
    uint8_t *ip = pkt, *tcp = pkt + 20;
    ip[0] = 0x45;
    ip[2] = (uint8_t)(len >> 8);
    ip[3] = (uint8_t)len;
    ip[8] = 64;
    ip[9] = IPPROTO_TCP;
    memcpy(ip + 12, &to.sin_addr, 4);
    memcpy(ip + 16, &to.sin_addr, 4);
    tcp[0] = (uint8_t)(sport >> 8);
    tcp[1] = (uint8_t)sport;
    tcp[2] = (uint8_t)(dport >> 8);
    tcp[3] = (uint8_t)dport;
    tcp[7] = (uint8_t)(i + 1); /* seq */
    tcp[11] = 1;               /* ack */
    tcp[12] = 5 << 4;          /* data offset: no options */
    tcp[13] = 0x04 | 0x10;     /* RST, ACK */
    memset(tcp + 20, 'r', (size_t)sizes[i]);
    uint8_t pseudo[12];
    memcpy(pseudo, ip + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = IPPROTO_TCP;
    pseudo[10] = (uint8_t)((len - 20) >> 8);
    pseudo[11] = (uint8_t)(len - 20);
    uint32_t sum = 0;
    for (int k = 0; k < 12; k += 2)
      sum += (uint32_t)(pseudo[k] << 8 | pseudo[k + 1]);
    uint16_t c = checksum(tcp, len - 20, sum);
    tcp[16] = (uint8_t)(c >> 8);
    tcp[17] = (uint8_t)c;
    if (sendto(fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)) !=
        (ssize_t)len)
      die("raw send: %s", strerror(errno));
  }
  close(fd);
  printf("SENT tcp-resets ipv4 %d %d", sport, dport);
  for (int i = 0; i < n; i++)
    printf(" %d", sizes[i]);
  printf("\n");
  fflush(stdout);
}

static void sysctl_set(const char *path, const char *value) {
  FILE *f = fopen(path, "w");
  if (f == NULL || fputs(value, f) < 0 || fclose(f) != 0)
    die("%s: %s", path, strerror(errno));
}

/* Until every byte sent on `fd` is acknowledged. */
static void wait_acked(int fd, const char *what) {
  for (int i = 0; i < 10000; i++) {
    int q = 0;
    if (ioctl(fd, SIOCOUTQ, &q) != 0)
      die("SIOCOUTQ: %s", strerror(errno));
    if (q == 0)
      return;
    usleep(1000);
  }
  die("%s: not acknowledged within 10 s", what);
}

static void read_exactly(int fd, size_t n, const char *what) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = recv(fd, buf, n - got, 0);
    if (r <= 0)
      die("%s: got %zu of %zu bytes (%s)", what, got, n,
          r < 0 ? strerror(errno) : "end of stream");
    got += (size_t)r;
  }
}

static struct tcp_info info_of(int fd) {
  struct tcp_info ti;
  socklen_t len = sizeof(ti);
  memset(&ti, 0, sizeof(ti));
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
    die("TCP_INFO: %s", strerror(errno));
  return ti;
}

/* A real TCP connection to `port` in lock step, so that every segment is
 * known: without timestamps, SACK and window scaling the SYN and SYN-ACK
 * carry only the MSS option and every other segment has a 20-byte header;
 * the client sends a request, the server acknowledges it, then sends
 * `sizes` one at a time, each acknowledged before the next; the client
 * then aborts (SO_LINGER 0: one RST, which nothing answers). The kernel's
 * own segment counts are checked against that sequence. */
static void tcp_lockstep(int port, int request, const int *sizes, int n) {
  sysctl_set("/proc/sys/net/ipv4/tcp_timestamps", "0");
  sysctl_set("/proc/sys/net/ipv4/tcp_sack", "0");
  sysctl_set("/proc/sys/net/ipv4/tcp_window_scaling", "0");
  int lst = bound(AF_INET, SOCK_STREAM, port);
  if (listen(lst, 1) != 0)
    die("listen: %s", strerror(errno));
  int cli = socket(AF_INET, SOCK_STREAM, 0);
  if (cli < 0)
    die("socket: %s", strerror(errno));
  int one = 1;
  setsockopt(cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  struct timeval tv = {.tv_sec = 5};
  setsockopt(cli, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  struct sockaddr_storage to;
  socklen_t tolen;
  address(AF_INET, port, &to, &tolen);
  if (connect(cli, (struct sockaddr *)&to, tolen) != 0)
    die("connect: %s", strerror(errno));
  int srv = accept(lst, NULL, NULL); /* after the client's ACK arrived */
  if (srv < 0)
    die("accept: %s", strerror(errno));
  close(lst);
  setsockopt(srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

  memset(buf, 'q', (size_t)request);
  if (send(cli, buf, (size_t)request, 0) != request)
    die("request: %s", strerror(errno));
  wait_acked(cli, "the request");
  read_exactly(srv, (size_t)request, "the request");
  for (int i = 0; i < n; i++) {
    memset(buf, 'd', (size_t)sizes[i]);
    if (send(srv, buf, (size_t)sizes[i], 0) != sizes[i])
      die("data: %s", strerror(errno));
    wait_acked(srv, "a data segment");
    read_exactly(cli, (size_t)sizes[i], "a data segment");
  }
  /* The connection's sequence as the kernel saw it: the client sent SYN,
   * ACK, the request and one ACK per segment; the server (whose SYN-ACK
   * its listener sent) one ACK and the segments. */
  struct tcp_info c = info_of(cli), s = info_of(srv);
  if (c.tcpi_segs_out != (uint32_t)(3 + n) ||
      s.tcpi_segs_out != (uint32_t)(1 + n) || c.tcpi_total_retrans ||
      s.tcpi_total_retrans)
    die("TCP did not go in lock step: client sent %u segments (expected %d), "
        "server %u (expected %d), retransmissions %u and %u",
        c.tcpi_segs_out, 3 + n, s.tcpi_segs_out, 1 + n, c.tcpi_total_retrans,
        s.tcpi_total_retrans);
  struct linger lg = {.l_onoff = 1, .l_linger = 0};
  setsockopt(cli, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  close(cli); /* RST */
  char c1;
  if (recv(srv, &c1, 1, 0) >= 0 || errno != ECONNRESET)
    die("the server did not see the reset");
  close(srv); /* already closed by the reset: sends nothing */
  printf("SENT tcp-lockstep ipv4 %d %d", port, request);
  for (int i = 0; i < n; i++)
    printf(" %d", sizes[i]);
  printf("\n");
  fflush(stdout);
}

static int on_lo(void) {
  static const int echo4[] = {0, 1, 100, 1000, 1472};
  static const int echo6[] = {0, 10, 1452};
  static const int frag4[] = {3000, 5000};
  static const int frag6[] = {3000};
  static const int other[] = {50, 50, 50};
  static const int resets[] = {0, 20, 100};
  static const int other_resets[] = {0, 0};
  static const int data[] = {1, 100, 500, 1000, 1400};
  udp_echo(AF_INET, 7, echo4, N(echo4));
  udp_echo(AF_INET6, 7, echo6, N(echo6));
  udp_oneway(AF_INET, 9, frag4, N(frag4));
  udp_oneway(AF_INET6, 9, frag6, N(frag6));
  udp_oneway(AF_INET, 5353, other, N(other)); /* no monitored port */
  tcp_resets(1000, 81, resets, N(resets));
  tcp_resets(2000, 2001, other_resets, N(other_resets)); /* neither */
  tcp_lockstep(80, 18, data, N(data));
  return 0;
}

static uint32_t swap32(uint32_t v, int swap) {
  return swap ? __builtin_bswap32(v) : v;
}

static int replay(const char *dev, const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    die("%s: %s", path, strerror(errno));
  uint32_t gh[6];
  if (fread(gh, 4, 6, f) != 6)
    die("%s: no pcap header", path);
  int swap;
  if (gh[0] == 0xa1b2c3d4 || gh[0] == 0xa1b23c4d)
    swap = 0;
  else if (gh[0] == 0xd4c3b2a1 || gh[0] == 0x4d3cb2a1)
    swap = 1;
  else
    die("%s: not a classic pcap file", path);
  if (swap32(gh[5], swap) != 1)
    die("%s: link type %u, not Ethernet", path, swap32(gh[5], swap));
  int ifindex = (int)if_nametoindex(dev);
  if (ifindex == 0)
    die("%s: no such interface", dev);
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0)
    die("packet socket: %s", strerror(errno));
  struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex};
  if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
    die("bind to %s: %s", dev, strerror(errno));
  unsigned long sent = 0;
  uint32_t rh[4];
  while (fread(rh, 4, 4, f) == 4) {
    uint32_t caplen = swap32(rh[2], swap);
    if (caplen > sizeof(buf) || fread(buf, 1, caplen, f) != caplen)
      die("%s: truncated record", path);
    if (send(fd, buf, caplen, 0) != (ssize_t)caplen)
      die("frame %lu (%u bytes): %s", sent + 1, caplen, strerror(errno));
    sent++;
  }
  fclose(f);
  close(fd);
  printf("SENT replay %s %lu frames\n", dev, sent);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 2 && strcmp(argv[1], "lo") == 0)
    return on_lo();
  if (argc == 4 && strcmp(argv[1], "replay") == 0)
    return replay(argv[2], argv[3]);
  fprintf(stderr, "usage: vm_traffic lo | vm_traffic replay IFACE FILE.pcap\n");
  return 2;
}
