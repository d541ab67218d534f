/* netif: what both capture engines ask about a network interface by name,
 * and the rtnetlink socket that wakes a watcher when any interface
 * changes. */
#ifndef ITS_NETIF_H
#define ITS_NETIF_H

/* The ARPHRD_* type of an interface, or -1 (errno set). */
int netif_type(const char *dev);

/* 1 up, 0 down, -1 when it cannot be told (no such interface, no
 * socket). */
int netif_is_up(const char *dev);

/* A non-blocking socket told of every interface's changes (RTMGRP_LINK),
 * so that a rename is seen at once rather than at the next retry; -1 when
 * none can be had (poll() skips a negative descriptor). */
int netif_events_open(void);

/* Reads the pending events: they only wake the watcher, which then looks
 * for itself. */
void netif_events_drain(int fd);

#endif
