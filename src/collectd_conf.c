#define _GNU_SOURCE
#include "collectd_conf.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define DEFAULT_BASEDIR "/var/lib/collectd"
#define MAX_VALUES 32
#define MAX_DEPTH 8

/* One parsed statement: a key and its values, or a block. */
typedef struct item_s {
  char *key;
  char *values[MAX_VALUES];
  int quoted[MAX_VALUES];
  int nvalues;
  struct item_s *children, *next;
  const char *file;
  int line;
} item_t;

typedef struct {
  char **files; /* kept for item->file */
  size_t nfiles;
  char *err;
  size_t errlen;
} parser_t;

static void free_items(item_t *it) {
  while (it) {
    item_t *n = it->next;
    free(it->key);
    for (int i = 0; i < it->nvalues; i++)
      free(it->values[i]);
    free_items(it->children);
    free(it);
    it = n;
  }
}

static int fail(parser_t *p, const char *file, int line, const char *what) {
  snprintf(p->err, p->errlen, "%s line %d: %s", file, line, what);
  return -1;
}

/* Splits a logical line into key and values. Returns 0 or -1. */
static int tokenize(parser_t *p, char *s, item_t *it) {
  while (*s == ' ' || *s == '\t')
    s++;
  char *k = s;
  while (*s && *s != ' ' && *s != '\t')
    s++;
  it->key = strndup(k, (size_t)(s - k));
  for (;;) {
    while (*s == ' ' || *s == '\t')
      s++;
    if (*s == '\0' || *s == '#')
      return 0;
    if (it->nvalues == MAX_VALUES)
      return fail(p, it->file, it->line, "too many values");
    char *v = malloc(strlen(s) + 1), *o = v;
    if (v == NULL)
      return fail(p, it->file, it->line, "out of memory");
    if (*s == '"') {
      s++;
      while (*s && *s != '"') {
        if (*s == '\\' && s[1])
          s++;
        *o++ = *s++;
      }
      if (*s != '"') {
        free(v);
        return fail(p, it->file, it->line, "a string is not closed");
      }
      s++;
      it->quoted[it->nvalues] = 1;
    } else {
      while (*s && *s != ' ' && *s != '\t' && *s != '#')
        *o++ = *s++;
    }
    *o = '\0';
    it->values[it->nvalues++] = v;
  }
}

static int parse_file(parser_t *p, const char *file, item_t **out, int depth);

/* Include "path" [filter]: a file, every file of a directory (sorted,
 * recursively), or a glob. */
static int include_path(parser_t *p, const char *path, const char *filter,
                        item_t ***tail, int depth) {
  struct stat sb;
  if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort);
    if (n < 0) {
      snprintf(p->err, p->errlen, "%s: cannot read the directory: %s", path,
               strerror(errno));
      return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
      const char *name = names[i]->d_name;
      if (rc == 0 && name[0] != '.') {
        char sub[4096];
        snprintf(sub, sizeof(sub), "%s/%s", path, name);
        struct stat ss;
        int dir = stat(sub, &ss) == 0 && S_ISDIR(ss.st_mode);
        if (dir || filter == NULL || fnmatch(filter, name, 0) == 0)
          rc = include_path(p, sub, filter, tail, depth);
      }
      free(names[i]);
    }
    free(names);
    return rc;
  }
  if (strpbrk(path, "*?[") != NULL) {
    glob_t g;
    int rc = 0;
    if (glob(path, 0, NULL, &g) == 0) {
      for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
        rc = include_path(p, g.gl_pathv[i], filter, tail, depth);
      globfree(&g);
    }
    return rc;
  }
  item_t *items = NULL;
  if (parse_file(p, path, &items, depth + 1) != 0)
    return -1;
  **tail = items;
  while (**tail)
    *tail = &(**tail)->next;
  return 0;
}

static char *dir_of(const char *file) {
  const char *slash = strrchr(file, '/');
  return slash ? strndup(file, (size_t)(slash - file)) : strdup(".");
}

static int parse_file(parser_t *p, const char *file, item_t **out, int depth) {
  if (depth > MAX_DEPTH) {
    snprintf(p->err, p->errlen, "%s: Include nested too deep", file);
    return -1;
  }
  FILE *f = fopen(file, "r");
  if (f == NULL) {
    snprintf(p->err, p->errlen, "%s: cannot open: %s", file, strerror(errno));
    return -1;
  }
  char **files = realloc(p->files, (p->nfiles + 1) * sizeof(*files));
  if (files == NULL) {
    fclose(f);
    return -1;
  }
  p->files = files;
  char *fname = p->files[p->nfiles++] = strdup(file);
  item_t *stack[MAX_DEPTH + 2];
  item_t **tails[MAX_DEPTH + 2];
  int top = 0;
  tails[0] = out;
  stack[0] = NULL;
  char *line = NULL, *logical = NULL;
  size_t cap = 0, llen = 0;
  int lineno = 0, start_line = 0, rc = 0;
  while (rc == 0 && getline(&line, &cap, f) >= 0) {
    lineno++;
    size_t n = strcspn(line, "\r\n");
    line[n] = '\0';
    if (llen == 0)
      start_line = lineno;
    char *nl = realloc(logical, llen + n + 2);
    if (nl == NULL) {
      rc = fail(p, fname, lineno, "out of memory");
      break;
    }
    logical = nl;
    memcpy(logical + llen, line, n + 1);
    llen += n;
    if (llen > 0 && logical[llen - 1] == '\\') { /* continued */
      logical[--llen] = '\0';
      continue;
    }
    llen = 0;
    char *s = logical;
    while (*s == ' ' || *s == '\t')
      s++;
    if (*s == '\0' || *s == '#')
      continue;
    if (s[0] == '<' && s[1] == '/') {
      if (top == 0) {
        rc = fail(p, fname, start_line, "a closing tag without a block");
        break;
      }
      top--;
      continue;
    }
    item_t *it = calloc(1, sizeof(*it));
    if (it == NULL) {
      rc = fail(p, fname, start_line, "out of memory");
      break;
    }
    it->file = fname;
    it->line = start_line;
    int block = s[0] == '<';
    if (block) {
      char *gt = strrchr(s, '>');
      if (gt == NULL) {
        free(it);
        rc = fail(p, fname, start_line, "a block tag without '>'");
        break;
      }
      *gt = '\0';
      s++;
    }
    if (tokenize(p, s, it) != 0) {
      free_items(it);
      rc = -1;
      break;
    }
    if (!block && strcasecmp(it->key, "Include") == 0 && it->nvalues >= 1) {
      char *path = it->values[0];
      char *full = NULL;
      if (path[0] != '/') { /* relative to the including file */
        char *d = dir_of(fname);
        full = malloc(strlen(d) + strlen(path) + 2);
        if (full)
          sprintf(full, "%s/%s", d, path);
        free(d);
      }
      rc = include_path(p, full ? full : path,
                        it->nvalues > 1 ? it->values[1] : NULL, &tails[top],
                        depth);
      free(full);
      free_items(it);
      continue;
    }
    *tails[top] = it;
    tails[top] = &it->next;
    if (block) {
      if (top == MAX_DEPTH) {
        rc = fail(p, fname, start_line, "blocks nested too deep");
        break;
      }
      stack[++top] = it;
      tails[top] = &it->children;
    }
  }
  free(line);
  free(logical);
  fclose(f);
  if (rc == 0 && top != 0)
    rc = fail(p, fname, stack[top]->line, "this block is not closed");
  return rc;
}

/* <Include "dir"> Filter "*.conf" </Include>: expanded after parsing. */
static int expand_include_blocks(parser_t *p, item_t **list, int depth) {
  for (item_t **pp = list; *pp;) {
    item_t *it = *pp;
    if (strcasecmp(it->key, "Include") == 0 && it->nvalues >= 1) {
      const char *filter = NULL;
      for (item_t *c = it->children; c; c = c->next)
        if (strcasecmp(c->key, "Filter") == 0 && c->nvalues == 1)
          filter = c->values[0];
      item_t *inc = NULL, **tail = &inc;
      if (include_path(p, it->values[0], filter, &tail, depth) != 0)
        return -1;
      if (expand_include_blocks(p, &inc, depth + 1) != 0) {
        free_items(inc);
        return -1;
      }
      *tail = it->next;
      *pp = inc ? inc : it->next;
      it->next = NULL;
      free_items(it);
      if (inc)
        pp = tail;
      continue;
    }
    if (expand_include_blocks(p, &it->children, depth) != 0)
      return -1;
    pp = &it->next;
  }
  return 0;
}

static int is_true(const char *v) {
  return strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
         strcasecmp(v, "on") == 0;
}

static void set(char **dst, const char *v) {
  free(*dst);
  *dst = strdup(v);
}

void collectd_conf_init(collectd_conf_t *c) {
  memset(c, 0, sizeof(*c));
  c->fqdn_lookup = 1;
  rrd_layout_collectd_defaults(&c->layout);
}

void collectd_conf_free(collectd_conf_t *c) {
  free(c->hostname);
  free(c->basedir);
  free(c->datadir);
  free(c->rrdcached_daemon);
  free(c->state_file);
  free(c->log_instance);
  memset(c, 0, sizeof(*c));
}

static int one_value(parser_t *p, const item_t *it) {
  if (it->nvalues == 1)
    return 0;
  snprintf(p->err, p->errlen, "%s line %d: %s takes one value", it->file,
           it->line, it->key);
  return -1;
}

static int rrdtool_block(parser_t *p, collectd_conf_t *c, const item_t *b,
                         char **datadir) {
  c->has_rrdtool_layout = 1;
  for (const item_t *it = b->children; it; it = it->next) {
    if (it->nvalues < 1)
      continue;
    const char *v = it->values[0];
    if (strcasecmp(it->key, "DataDir") == 0) {
      if (one_value(p, it))
        return -1;
      set(datadir, v);
    } else if (strcasecmp(it->key, "StepSize") == 0) {
      unsigned long s = strtoul(v, NULL, 0);
      if (s > 0)
        c->layout.step = s;
    } else if (strcasecmp(it->key, "HeartBeat") == 0) {
      int h = atoi(v);
      if (h > 0)
        c->layout.heartbeat = h;
    } else if (strcasecmp(it->key, "RRARows") == 0) {
      int r = atoi(v);
      if (r <= 0) {
        snprintf(p->err, p->errlen,
                 "%s line %d: RRARows must be greater "
                 "than 0",
                 it->file, it->line);
        return -1;
      }
      c->layout.rra_rows = r;
    } else if (strcasecmp(it->key, "RRATimespan") == 0) {
      /* collectd's simple config hands over the value as one string, which
       * may hold several spans. */
      for (int i = 0; i < it->nvalues; i++) {
        char *copy = strdup(it->values[i]), *save = NULL;
        for (char *t = strtok_r(copy, ", \t", &save); t;
             t = strtok_r(NULL, ", \t", &save))
          if (rrd_layout_add_span(&c->layout, atoi(t)) != 0) {
            free(copy);
            snprintf(p->err, p->errlen,
                     "%s line %d: too many RRATimespan "
                     "values",
                     it->file, it->line);
            return -1;
          }
        free(copy);
      }
    } else if (strcasecmp(it->key, "XFF") == 0) {
      double x = atof(v);
      if (x < 0 || x >= 1) {
        snprintf(p->err, p->errlen,
                 "%s line %d: XFF must be in the range 0 "
                 "to 1 (exclusive)",
                 it->file, it->line);
        return -1;
      }
      c->layout.xff = x;
    }
  }
  return 0;
}

static int plugin_block(parser_t *p, collectd_conf_t *c, const item_t *b,
                        const char *live_log, int *log_found) {
  for (const item_t *it = b->children; it; it = it->next) {
    if (strcasecmp(it->key, "StateFile") == 0 && it->nvalues == 1) {
      if (!it->quoted[0] && !is_true(it->values[0])) {
        c->state_file_off = 1;
      } else if (it->quoted[0]) {
        c->state_file_off = 0;
        set(&c->state_file, it->values[0]);
      }
    } else if (strcasecmp(it->key, "Log") == 0 && it->nvalues == 1 &&
               live_log && strcmp(it->values[0], live_log) == 0) {
      *log_found = 1;
      for (const item_t *o = it->children; o; o = o->next) {
        if (strcasecmp(o->key, "Instance") == 0 && o->nvalues == 1)
          set(&c->log_instance, o->values[0]);
        else if (strcasecmp(o->key, "Port") == 0)
          for (int i = 0; i < o->nvalues; i++) {
            char err[256];
            if (portspec_add(&c->log_ports, o->values[i], NULL, err,
                             sizeof(err)) != 0) {
              snprintf(p->err, p->errlen, "%s line %d: Port %s", o->file,
                       o->line, err);
              return -1;
            }
            c->log_has_ports = 1;
          }
      }
    }
  }
  return 0;
}

int collectd_conf_read(collectd_conf_t *c, const char *file,
                       const char *live_log, char *err, size_t errlen) {
  parser_t p = {.err = err, .errlen = errlen};
  item_t *items = NULL;
  int rc = parse_file(&p, file, &items, 0);
  if (rc == 0)
    rc = expand_include_blocks(&p, &items, 0);
  char *rrd_datadir = NULL, *cached_datadir = NULL;
  int rrdtool_loaded = 0, log_found = 0;
  for (item_t *it = items; rc == 0 && it; it = it->next) {
    const char *v = it->nvalues >= 1 ? it->values[0] : "";
    if (strcasecmp(it->key, "Hostname") == 0)
      set(&c->hostname, v);
    else if (strcasecmp(it->key, "FQDNLookup") == 0)
      c->fqdn_lookup = is_true(v);
    else if (strcasecmp(it->key, "BaseDir") == 0)
      set(&c->basedir, v);
    else if (strcasecmp(it->key, "LoadPlugin") == 0 &&
             strcasecmp(v, "rrdtool") == 0)
      rrdtool_loaded = 1;
    else if (strcasecmp(it->key, "Plugin") == 0 &&
             strcasecmp(v, "rrdtool") == 0)
      rc = rrdtool_block(&p, c, it, &rrd_datadir);
    else if (strcasecmp(it->key, "Plugin") == 0 &&
             strcasecmp(v, "rrdcached") == 0) {
      for (const item_t *o = it->children; o; o = o->next)
        if (o->nvalues == 1 && strcasecmp(o->key, "DaemonAddress") == 0)
          set(&c->rrdcached_daemon, o->values[0]);
        else if (o->nvalues == 1 && strcasecmp(o->key, "DataDir") == 0)
          set(&cached_datadir, o->values[0]);
    } else if (strcasecmp(it->key, "Plugin") == 0 &&
               strcasecmp(v, "iptraf_services") == 0)
      rc = plugin_block(&p, c, it, live_log, &log_found);
  }
  if (rc == 0) {
    const char *base = c->basedir ? c->basedir : DEFAULT_BASEDIR;
    if (rrd_datadir || rrdtool_loaded || !c->rrdcached_daemon) {
      free(c->rrdcached_daemon);
      c->rrdcached_daemon = NULL; /* the rrdtool plugin writes the files */
      set(&c->datadir, rrd_datadir ? rrd_datadir : base);
    } else if (cached_datadir)
      set(&c->datadir, cached_datadir);
    size_t n = strlen(c->datadir ? c->datadir : "");
    while (n > 1 && c->datadir[n - 1] == '/')
      c->datadir[--n] = '\0';
    if (c->state_file && c->state_file[0] != '/') {
      char *abs = malloc(strlen(base) + strlen(c->state_file) + 2);
      if (abs)
        sprintf(abs, "%s/%s", base, c->state_file);
      free(c->state_file);
      c->state_file = abs;
    } else if (c->state_file == NULL && !c->state_file_off) {
      c->state_file = malloc(strlen(base) + 32);
      if (c->state_file)
        sprintf(c->state_file, "%s/iptraf_services.state", base);
    }
  }
  free(rrd_datadir);
  free(cached_datadir);
  free_items(items);
  for (size_t i = 0; i < p.nfiles; i++)
    free(p.files[i]);
  free(p.files);
  (void)log_found;
  return rc;
}
