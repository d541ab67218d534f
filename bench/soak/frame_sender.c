/* frame_sender: replays a capture file's frames on an interface, LOOPS
 * times, as fast as one core can (or at --pps), and says exactly how many
 * frames the kernel took. A faster stand-in for `tcpreplay -K` in the soak:
 * frames are loaded once and handed to the kernel 64 at a time (sendmmsg
 * on an AF_PACKET socket), so the sender is no longer the bottleneck.
 *
 *   cc -O2 -o frame_sender bench/soak/frame_sender.c -lpcap
 *   frame_sender -i IFACE -l LOOPS [-p PPS] FILE.pcap
 *
 * Prints tcpreplay's summary lines ("Successful packets: N", "Failed
 * packets: N", "Retried packets (ENOBUFS): N") so bench/soak/run reads
 * either. A frame the kernel refuses for good (too large for the MTU, say)
 * counts as failed and is not retried. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  const char *dev = NULL;
  long loops = 1;
  double pps = 0;
  int opt;
  while ((opt = getopt(argc, argv, "i:l:p:")) != -1) {
    switch (opt) {
    case 'i':
      dev = optarg;
      break;
    case 'l':
      loops = atol(optarg);
      break;
    case 'p':
      pps = atof(optarg);
      break;
    default:
      goto usage;
    }
  }
  if (dev == NULL || optind != argc - 1 || loops < 1) {
  usage:
    fprintf(stderr,
            "usage: frame_sender -i IFACE -l LOOPS [-p PPS] FILE.pcap\n");
    return 2;
  }

  char err[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline(argv[optind], err);
  if (p == NULL) {
    fprintf(stderr, "frame_sender: %s\n", err);
    return 2;
  }
  struct iovec *frames = NULL;
  size_t nframes = 0, cap = 0;
  struct pcap_pkthdr *h;
  const u_char *data;
  while (pcap_next_ex(p, &h, &data) == 1) {
    if (nframes == cap) {
      cap = cap ? cap * 2 : 1024;
      frames = realloc(frames, cap * sizeof(*frames));
    }
    void *copy = malloc(h->caplen);
    memcpy(copy, data, h->caplen);
    frames[nframes].iov_base = copy;
    frames[nframes].iov_len = h->caplen;
    nframes++;
  }
  pcap_close(p);
  if (nframes == 0) {
    fprintf(stderr, "frame_sender: no frames in %s\n", argv[optind]);
    return 2;
  }

  int fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: send only */
  if (fd < 0) {
    perror("frame_sender: socket");
    return 2;
  }
  struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                            .sll_ifindex = (int)if_nametoindex(dev)};
  if (sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
    fprintf(stderr, "frame_sender: %s: %s\n", dev, strerror(errno));
    return 2;
  }

  struct mmsghdr msgs[BATCH];
  uint64_t ok = 0, failed = 0, retried = 0, bytes = 0;
  uint64_t total = (uint64_t)loops * nframes, next = 0;
  double start = now();
  while (next < total) {
    size_t n = 0;
    for (; n < BATCH && next + n < total; n++) {
      memset(&msgs[n], 0, sizeof(msgs[n]));
      msgs[n].msg_hdr.msg_iov = &frames[(next + n) % nframes];
      msgs[n].msg_hdr.msg_iovlen = 1;
    }
    int r = sendmmsg(fd, msgs, (unsigned)n, 0);
    if (r < 0) {
      if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
        retried++;
        usleep(20);
        continue;
      }
      failed++; /* the first frame of the batch was refused: skip it */
      next++;
      continue;
    }
    for (int k = 0; k < r; k++)
      bytes += msgs[k].msg_len;
    ok += (uint64_t)r;
    next += (uint64_t)r;
    if (pps > 0) {
      double ahead = start + (double)next / pps - now();
      if (ahead > 0)
        usleep((useconds_t)(ahead * 1e6));
    }
  }
  double secs = now() - start;
  printf("Actual: %llu packets (%llu bytes) sent in %.2f seconds\n",
         (unsigned long long)ok, (unsigned long long)bytes, secs);
  printf("Rated: %.1f pps\n", secs > 0 ? ok / secs : 0.0);
  printf("Statistics for network device: %s\n", dev);
  printf("\tSuccessful packets:        %llu\n", (unsigned long long)ok);
  printf("\tFailed packets:            %llu\n", (unsigned long long)failed);
  printf("\tRetried packets (ENOBUFS): %llu\n", (unsigned long long)retried);
  for (size_t i = 0; i < nframes; i++)
    free(frames[i].iov_base);
  free(frames);
  close(fd);
  return 0;
}
