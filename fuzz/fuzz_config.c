/* fuzz_config: drives the real configuration code of src/iptraf_services.c
 * (linked with fuzz/collectd_stub.c) with oconfig trees built from the input.
 *
 * Input syntax (one item per line, leading/trailing blanks ignored):
 *
 *   <Log "/var/log/x.log">        opens a block (any key: <Capture eth0>,
 *   Port "tcp/22" 119 "udp/53"    <Foo>, nested blocks, ...); an option is
 *   ReplayHistory true            a key and values
 *   </Log>                        closes the innermost open block
 *   %%                            ends one <Plugin iptraf_services> block and
 *                                 starts another (collectd calls the config
 *                                 callback once per <Plugin> block)
 *   # comment
 *
 * Values: "quoted strings" (\" and \\ escapes), unquoted true/false/yes/no/
 * on/off are booleans, numbers look like collectd's (123, -4, 0.5, 1e3,
 * 0x1f), anything else is an unquoted string. Unclosed blocks close at the
 * end of their <Plugin> block, stray closing lines are ignored.
 *
 * For each input: the config callback for each <Plugin> block, then the
 * shutdown callback (never init: it would start capture threads), then the
 * tree is freed. Checks: config returns 0 and leaves the tree unchanged;
 * after shutdown the number of live heap blocks is what it was before the
 * input (counted with the sanitizers' malloc/free hooks), so module state
 * still reachable from a static pointer, which LeakSanitizer does not
 * report, is caught too; LeakSanitizer reports unreachable blocks. */
#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collectd_stub.h"

/* From the sanitizers' allocator interface (ASan's runtime, clang's or
 * gcc's); weak, so that a build without sanitizers still links. */
__attribute__((weak)) int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void *, size_t),
    void (*free_hook)(const volatile void *));

#define MAX_DEPTH 16

/* A node under construction (children as a growable array of pointers, so
 * that the final oconfig arrays can be laid out once with correct parent
 * pointers). */
typedef struct node_s {
  char *key;
  oconfig_value_t *values;
  int values_num;
  struct node_s **children;
  int children_num, children_cap;
} node_t;

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (q == NULL)
    abort();
  return q;
}

static char *xstrndup(const char *s, size_t n) {
  char *d = xrealloc(NULL, n + 1);
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

static node_t *node_new(void) {
  node_t *n = calloc(1, sizeof(*n));
  if (n == NULL)
    abort();
  return n;
}

static void node_add_child(node_t *parent, node_t *child) {
  if (parent->children_num == parent->children_cap) {
    parent->children_cap = parent->children_cap ? parent->children_cap * 2 : 4;
    parent->children = xrealloc(parent->children, (size_t)parent->children_cap *
                                                      sizeof(node_t *));
  }
  parent->children[parent->children_num++] = child;
}

static void node_free(node_t *n) {
  if (n == NULL)
    return;
  for (int i = 0; i < n->children_num; i++)
    node_free(n->children[i]);
  free(n->children);
  for (int i = 0; i < n->values_num; i++)
    if (n->values[i].type == OCONFIG_TYPE_STRING)
      free(n->values[i].value.string);
  free(n->values);
  free(n->key);
  free(n);
}

/* --- tokens ------------------------------------------------------------ */

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static int looks_like_number(const char *s, size_t n) {
  size_t i = 0;
  if (n == 0)
    return 0;
  if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    for (i = 2; i < n; i++)
      if (!isxdigit((unsigned char)s[i]))
        return 0;
    return 1;
  }
  if (s[i] == '+' || s[i] == '-')
    i++;
  size_t digits = 0;
  while (i < n && isdigit((unsigned char)s[i]))
    i++, digits++;
  if (i < n && s[i] == '.') {
    i++;
    while (i < n && isdigit((unsigned char)s[i]))
      i++, digits++;
  }
  if (digits == 0)
    return 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-'))
      i++;
    size_t ed = 0;
    while (i < n && isdigit((unsigned char)s[i]))
      i++, ed++;
    if (ed == 0)
      return 0;
  }
  return i == n;
}

/* Reads one token at s[*i..n). Returns 0 at the end of the line. */
static int next_token(const char *s, size_t n, size_t *i, oconfig_value_t *v) {
  while (*i < n && is_blank(s[*i]))
    (*i)++;
  if (*i >= n)
    return 0;
  if (s[*i] == '"') {
    char *buf = xrealloc(NULL, n - *i + 1);
    size_t len = 0;
    (*i)++;
    while (*i < n && s[*i] != '"') {
      if (s[*i] == '\\' && *i + 1 < n)
        (*i)++;
      buf[len++] = s[(*i)++];
    }
    if (*i < n)
      (*i)++; /* closing quote */
    buf[len] = '\0';
    v->type = OCONFIG_TYPE_STRING;
    v->value.string = buf;
    return 1;
  }
  size_t start = *i;
  while (*i < n && !is_blank(s[*i]))
    (*i)++;
  const char *t = s + start;
  size_t len = *i - start;
  static const char *const truths[] = {"true", "yes", "on"};
  static const char *const lies[] = {"false", "no", "off"};
  for (int k = 0; k < 3; k++) {
    if (strlen(truths[k]) == len && strncasecmp(t, truths[k], len) == 0) {
      v->type = OCONFIG_TYPE_BOOLEAN;
      v->value.boolean = 1;
      return 1;
    }
    if (strlen(lies[k]) == len && strncasecmp(t, lies[k], len) == 0) {
      v->type = OCONFIG_TYPE_BOOLEAN;
      v->value.boolean = 0;
      return 1;
    }
  }
  if (looks_like_number(t, len)) {
    char *tmp = xstrndup(t, len);
    v->type = OCONFIG_TYPE_NUMBER;
    v->value.number = strtod(tmp, NULL);
    free(tmp);
    return 1;
  }
  v->type = OCONFIG_TYPE_STRING;
  v->value.string = xstrndup(t, len);
  return 1;
}

/* "Key v1 v2 ..." into a node; NULL when the line has no key. */
static node_t *parse_item(const char *s, size_t n) {
  size_t i = 0;
  oconfig_value_t v;
  if (!next_token(s, n, &i, &v))
    return NULL;
  node_t *node = node_new();
  if (v.type == OCONFIG_TYPE_STRING)
    node->key = v.value.string;
  else
    node->key = xstrndup(s, i); /* a key that looks like a number */
  while (next_token(s, n, &i, &v)) {
    node->values = xrealloc(node->values, (size_t)(node->values_num + 1) *
                                              sizeof(oconfig_value_t));
    node->values[node->values_num++] = v;
  }
  return node;
}

/* --- node tree -> oconfig tree ---------------------------------------- */

static void to_oconfig(const node_t *n, oconfig_item_t *ci,
                       oconfig_item_t *parent) {
  memset(ci, 0, sizeof(*ci));
  ci->key = n->key ? strdup(n->key) : NULL;
  ci->parent = parent;
  ci->values_num = n->values_num;
  if (n->values_num > 0) {
    ci->values = calloc((size_t)n->values_num, sizeof(oconfig_value_t));
    if (ci->values == NULL)
      abort();
    for (int i = 0; i < n->values_num; i++) {
      ci->values[i] = n->values[i];
      if (n->values[i].type == OCONFIG_TYPE_STRING)
        ci->values[i].value.string = strdup(n->values[i].value.string);
    }
  }
  ci->children_num = n->children_num;
  if (n->children_num > 0) {
    ci->children = calloc((size_t)n->children_num, sizeof(oconfig_item_t));
    if (ci->children == NULL)
      abort();
    for (int i = 0; i < n->children_num; i++)
      to_oconfig(n->children[i], &ci->children[i], ci);
  }
}

static void oconfig_free_item(oconfig_item_t *ci) {
  for (int i = 0; i < ci->values_num; i++)
    if (ci->values[i].type == OCONFIG_TYPE_STRING)
      free(ci->values[i].value.string);
  free(ci->values);
  for (int i = 0; i < ci->children_num; i++)
    oconfig_free_item(&ci->children[i]);
  free(ci->children);
  free(ci->key);
}

/* Copy of the tree as given, to check that the plugin did not change it. */
static int same_tree(const oconfig_item_t *a, const node_t *n) {
  if (strcmp(a->key, n->key) != 0 || a->values_num != n->values_num ||
      a->children_num != n->children_num)
    return 0;
  for (int i = 0; i < a->values_num; i++) {
    if (a->values[i].type != n->values[i].type)
      return 0;
    switch (a->values[i].type) {
    case OCONFIG_TYPE_STRING:
      if (strcmp(a->values[i].value.string, n->values[i].value.string) != 0)
        return 0;
      break;
    case OCONFIG_TYPE_BOOLEAN:
      if (a->values[i].value.boolean != n->values[i].value.boolean)
        return 0;
      break;
    default:
      if (memcmp(&a->values[i].value.number, &n->values[i].value.number,
                 sizeof(double)) != 0)
        return 0;
    }
  }
  for (int i = 0; i < a->children_num; i++)
    if (a->children[i].parent != a ||
        !same_tree(&a->children[i], n->children[i]))
      return 0;
  return 1;
}

/* --- driver -------------------------------------------------------------- */

static void run_plugin_block(node_t *root) {
  oconfig_item_t ci;
  to_oconfig(root, &ci, NULL);
  int rc = collectd_stub_config()(&ci);
  /* The plugin reports errors through init, never by failing config (that
   * would stop the whole collectd). */
  if (rc != 0)
    abort();
  /* The configuration tree belongs to collectd: it must be left as it was. */
  if (!same_tree(&ci, root))
    abort();
  oconfig_free_item(&ci);
}

static node_t *new_root(void) {
  node_t *root = node_new();
  root->key = strdup("Plugin");
  root->values = xrealloc(NULL, sizeof(oconfig_value_t));
  root->values[0].type = OCONFIG_TYPE_STRING;
  root->values[0].value.string = strdup("iptraf_services");
  root->values_num = 1;
  return root;
}

/* Live heap blocks of the whole process (no other thread allocates while
 * an input runs: init, which starts threads, is never called). */
static long live_blocks;

static void on_malloc(const volatile void *p, size_t n) {
  (void)n;
  if (p)
    __atomic_add_fetch(&live_blocks, 1, __ATOMIC_RELAXED);
}
static void on_free(const volatile void *p) {
  if (p)
    __atomic_sub_fetch(&live_blocks, 1, __ATOMIC_RELAXED);
}

static void run_input(const uint8_t *data, size_t size);

static int hooks_on;

static void init_once(void) {
  static int done;
  if (done)
    return;
  done = 1;
  module_register();
  if (collectd_stub_config() == NULL || collectd_stub_shutdown() == NULL ||
      strcmp(collectd_stub_config_name(), "iptraf_services") != 0)
    abort();
  if (__sanitizer_install_malloc_and_free_hooks)
    hooks_on = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
  /* Warm-up: the C library keeps some buffers of its own once used (the
   * services database's reader), which are not the plugin's state. */
  static const char warm[] = "<Log \"/x/tcp_udp_services-a.log\">\n"
                             "Port \"tcp/ssh\"\n</Log>\n"
                             "<Capture \"b\">\n</Capture>\n";
  run_input((const uint8_t *)warm, sizeof(warm) - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  init_once();
  long before = __atomic_load_n(&live_blocks, __ATOMIC_RELAXED);
  run_input(data, size);
  long after = __atomic_load_n(&live_blocks, __ATOMIC_RELAXED);
  if (hooks_on && after != before) {
    fprintf(stderr,
            "fuzz_config: %ld heap blocks more after config + shutdown than "
            "before (state that shutdown did not free)\n",
            after - before);
    abort();
  }
  return 0;
}

static void run_input(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  node_t *root = new_root();
  node_t *stack[MAX_DEPTH + 1];
  int depth = 0;
  stack[0] = root;

  size_t pos = 0;
  while (pos <= size) {
    const char *nl = memchr(s + pos, '\n', size - pos);
    size_t end = nl ? (size_t)(nl - s) : size;
    const char *line = s + pos;
    size_t len = end - pos;
    pos = end + 1;
    while (len > 0 && is_blank(line[0]))
      line++, len--;
    while (len > 0 && is_blank(line[len - 1]))
      len--;
    /* oconfig strings are C strings: a NUL ends the line here. */
    const char *nul = memchr(line, '\0', len);
    if (nul)
      len = (size_t)(nul - line);

    if (len == 0 || line[0] == '#') {
      /* nothing */
    } else if (len == 2 && line[0] == '%' && line[1] == '%') {
      run_plugin_block(root);
      node_free(root);
      root = new_root();
      stack[0] = root;
      depth = 0;
    } else if (len >= 2 && line[0] == '<' && line[1] == '/') {
      if (depth > 0)
        depth--;
    } else if (line[0] == '<') {
      size_t inner = len - 1;
      if (line[len - 1] == '>')
        inner--;
      node_t *n = parse_item(line + 1, inner);
      if (n != NULL) {
        node_add_child(stack[depth], n);
        if (depth < MAX_DEPTH)
          stack[++depth] = n;
      }
    } else {
      node_t *n = parse_item(line, len);
      if (n != NULL)
        node_add_child(stack[depth], n);
    }
    if (nl == NULL)
      break;
  }
  run_plugin_block(root);
  node_free(root);

  if (collectd_stub_shutdown()() != 0)
    abort();
}
