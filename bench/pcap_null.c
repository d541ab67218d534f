/* pcap_null: the libpcap limit for reading a capture file. pcap_loop over
 * the whole file with a callback that does nothing; no decoding, no output.
 *
 *   cc -O2 -o pcap_null bench/pcap_null.c -lpcap
 *   pcap_null FILE.pcap
 *
 * Exit status 0 when the whole file was read, 2 on an error. */
#include <pcap/pcap.h>
#include <stdio.h>

static void on_packet(u_char *user, const struct pcap_pkthdr *h,
                      const u_char *bytes) {
  (void)user;
  (void)h;
  (void)bytes;
}

int main(int argc, char **argv) {
  char err[PCAP_ERRBUF_SIZE];
  if (argc != 2) {
    fprintf(stderr, "usage: pcap_null FILE.pcap\n");
    return 2;
  }
  pcap_t *p = pcap_open_offline(argv[1], err);
  if (p == NULL) {
    fprintf(stderr, "pcap_null: %s\n", err);
    return 2;
  }
  if (pcap_loop(p, -1, on_packet, NULL) == PCAP_ERROR) {
    fprintf(stderr, "pcap_null: %s: %s\n", argv[1], pcap_geterr(p));
    pcap_close(p);
    return 2;
  }
  pcap_close(p);
  return 0;
}
