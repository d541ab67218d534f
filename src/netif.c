#include "netif.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* One SIOCGIF* request on `dev`: 0 with *ifr filled, or -1 (errno set). */
static int ifreq_get(const char *dev, unsigned long request,
                     struct ifreq *ifr) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  memset(ifr, 0, sizeof(*ifr));
  snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", dev);
  int rc = ioctl(fd, request, ifr);
  int e = errno;
  close(fd);
  errno = e;
  return rc;
}

int netif_type(const char *dev) {
  struct ifreq ifr;
  return ifreq_get(dev, SIOCGIFHWADDR, &ifr) == 0 ? ifr.ifr_hwaddr.sa_family
                                                  : -1;
}

int netif_is_up(const char *dev) {
  struct ifreq ifr;
  if (ifreq_get(dev, SIOCGIFFLAGS, &ifr) != 0)
    return -1;
  return (ifr.ifr_flags & IFF_UP) ? 1 : 0;
}

int netif_events_open(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
                  NETLINK_ROUTE);
  if (fd < 0)
    return -1;
  struct sockaddr_nl a = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
  if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void netif_events_drain(int fd) {
  char buf[8192];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0 || (n < 0 && errno == ENOBUFS)) /* overrun: looked at anyway */
      continue;
    break;
  }
}
