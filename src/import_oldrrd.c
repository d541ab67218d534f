#include "import_oldrrd.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rrd.h>

#define MAX_PORTS 65536

static const char *rrd_error(void) {
  const char *e = rrd_get_error();
  return e && *e ? e : "librrd gave no reason";
}

/* "22_in" -> 22 and dir 0; "22_out" -> 22, dir 1; else -1. */
static int recipe_ds(const char *name, int *dir) {
  char *end;
  errno = 0;
  long port = strtol(name, &end, 10);
  if (end == name || errno || port < 0 || port > 65535)
    return -1;
  if (strcmp(end, "_in") == 0)
    *dir = 0;
  else if (strcmp(end, "_out") == 0)
    *dir = 1;
  else
    return -1;
  return (int)port;
}

static int mkdirs(const char *dir) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof(buf), "%s", dir);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -1;
      *p = '/';
    }
  return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int import_oldrrd(const char *old, const char *datadir, const char *host,
                  const char *plugin, const char *instance,
                  const rrd_layout_t *layout, const char *daemon,
                  its_message_cb_t log, void *ud) {
  if (daemon) {
    its_message(log, ud, 3,
                "--from-rrd writes local files (librrd's --source prefill "
                "reads the old file directly); leave out --daemon");
    return -1;
  }
  if (access(old, R_OK) != 0) {
    its_message(log, ud, 3, "%s: cannot read: %s", old, strerror(errno));
    return -1;
  }
  rrd_clear_error();
  rrd_info_t *info = rrd_info_r(old);
  if (info == NULL) {
    its_message(log, ud, 3, "%s: not an RRD librrd can read: %s", old,
                rrd_error());
    return -1;
  }
  /* has[port]: bit 0 PORT_in, bit 1 PORT_out */
  unsigned char *has = calloc(MAX_PORTS, 1);
  int nports = 0, other = 0;
  for (rrd_info_t *i = info; i && has; i = i->next) {
    /* ds[NAME].type */
    if (strncmp(i->key, "ds[", 3) != 0)
      continue;
    const char *close = strstr(i->key, "].type");
    if (close == NULL || close[6] != '\0')
      continue;
    char name[64];
    size_t n = (size_t)(close - (i->key + 3));
    if (n >= sizeof(name))
      continue;
    memcpy(name, i->key + 3, n);
    name[n] = '\0';
    int dir, port = recipe_ds(name, &dir);
    if (port < 0) {
      other++;
      its_message(log, ud, 4,
                  "%s: data source \"%s\" is not PORT_in or PORT_out; left "
                  "out",
                  old, name);
      continue;
    }
    if (!has[port])
      nports++;
    has[port] |= (unsigned char)(1 << dir);
  }
  rrd_info_free(info);
  if (has == NULL) {
    its_message(log, ud, 3, "out of memory");
    return -1;
  }
  if (nports == 0) {
    its_message(log, ud, 3,
                "%s: no PORT_in / PORT_out data source: not the recipe's "
                "database",
                old);
    free(has);
    return -1;
  }

  char dir[PATH_MAX - 64];
  snprintf(dir, sizeof(dir), "%s/%s/%s-%s", datadir, host, plugin, instance);
  /* Every target is checked before anything is written. */
  int rc = 0;
  for (int port = 0; port < MAX_PORTS; port++) {
    if (!has[port])
      continue;
    char path[PATH_MAX];
    /* dir is 64 bytes shorter than PATH_MAX: the name fits */
    snprintf(path, sizeof(path), "%s/if_octets-tcp-%d.rrd", dir, port);
    if (access(path, F_OK) == 0) {
      its_message(log, ud, 3,
                  "%s already exists: converting %s would replace what it "
                  "holds; move it away and run again",
                  path, old);
      rc = -1;
    }
  }
  if (rc == 0 && mkdirs(dir) != 0) {
    its_message(log, ud, 3, "cannot create the directory %s: %s", dir,
                strerror(errno));
    rc = -1;
  }
  char ds[2][RRD_LAYOUT_DEF_LEN], rras[RRD_LAYOUT_MAX_RRAS][RRD_LAYOUT_DEF_LEN];
  const char *argv[2 + RRD_LAYOUT_MAX_RRAS];
  int nrra = rrd_layout_rras(layout, rras);
  if (nrra < 0) {
    its_message(log, ud, 3, "the RRD layout: %s", rrd_layout_check(layout));
    rc = -1;
  }
  int done = 0;
  char(*tmps)[PATH_MAX] = rc == 0 ? calloc((size_t)nports, PATH_MAX) : NULL;
  char(*finals)[PATH_MAX] = rc == 0 ? calloc((size_t)nports, PATH_MAX) : NULL;
  if (rc == 0 && (tmps == NULL || finals == NULL)) {
    its_message(log, ud, 3, "out of memory");
    rc = -1;
  }
  for (int port = 0; rc == 0 && port < MAX_PORTS; port++) {
    if (!has[port])
      continue;
    char src_in[32], src_out[32];
    snprintf(src_in, sizeof(src_in), "%d_in", port);
    snprintf(src_out, sizeof(src_out), "%d_out", port);
    rrd_layout_ds(layout, "rx", (has[port] & 1) ? src_in : NULL, ds[0]);
    rrd_layout_ds(layout, "tx", (has[port] & 2) ? src_out : NULL, ds[1]);
    for (int i = 0; i < nrra + 2; i++)
      argv[i] = i < 2 ? ds[i] : rras[i - 2];
    snprintf(finals[done], PATH_MAX, "%s/if_octets-tcp-%d.rrd", dir, port);
    snprintf(tmps[done], PATH_MAX, "%s/.if_octets-tcp-%d.rrd.import-%ld", dir,
             port, (long)getpid());
    const char *sources[] = {old, NULL};
    rrd_clear_error();
    /* last_up -1: the old file's last update, so the new file goes on from
     * where it stopped. */
    if (rrd_create_r2(tmps[done], layout->step, (time_t)-1, 0, sources, NULL,
                      nrra + 2, argv) != 0) {
      its_message(log, ud, 3, "cannot create %s from %s: %s", tmps[done], old,
                  rrd_error());
      unlink(tmps[done]);
      rc = -1;
      break;
    }
    done++;
  }
  for (int i = 0; i < done; i++) {
    if (rc == 0 && rename(tmps[i], finals[i]) != 0) {
      its_message(log, ud, 3, "cannot rename %s to %s: %s", tmps[i], finals[i],
                  strerror(errno));
      rc = -1;
    }
    if (rc != 0)
      unlink(tmps[i]);
  }
  if (rc == 0)
    printf("iptraf-services-import: %d ports from %s into %s "
           "(if_octets-tcp-PORT.rrd, every resolution the old file has; the "
           "recipe kept no packet counts, so there is no if_packets "
           "history)%s\n",
           done, old, dir, other ? "; other data sources left out" : "");
  free(tmps);
  free(finals);
  free(has);
  return rc;
}
