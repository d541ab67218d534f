#include "source_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void *field(void *settings, const opt_def_t *d) {
  return (char *)settings + d->offset;
}

void opt_given(const opt_item_t *it, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  if (it->nvalues == 0) {
    snprintf(buf, len, "nothing");
    return;
  }
  for (int i = 0; i < it->nvalues && used < len - 1; i++) {
    const opt_value_t *v = &it->values[i];
    const char *sep = i ? " " : "";
    int n;
    if (v->type == OPT_VALUE_STRING)
      n = snprintf(buf + used, len - used, "%s\"%s\"", sep, v->string);
    else if (v->type == OPT_VALUE_NUMBER)
      n = snprintf(buf + used, len - used, "%s%g", sep, v->number);
    else
      n = snprintf(buf + used, len - used, "%s%s", sep,
                   v->boolean ? "true" : "false");
    if (n < 0)
      break;
    used += (size_t)n;
    if (used >= len)
      used = len - 1;
  }
}

/* Stores one value of the option's type; -1 with err when it is not one. */
static int store(const opt_def_t *d, void *settings, const opt_item_t *it,
                 char *err, size_t errlen) {
  const opt_value_t *v = it->nvalues == 1 ? &it->values[0] : NULL;
  char given[256];
  opt_given(it, given, sizeof(given));
  switch (d->type) {
  case OPT_STRING: {
    if (v == NULL || v->type != OPT_VALUE_STRING) {
      snprintf(err, errlen,
               "option \"%s\" takes one string argument, e.g. %s \"value\", "
               "not %s",
               it->key, it->key, given);
      return -1;
    }
    char *copy = strdup(v->string);
    if (copy == NULL) {
      snprintf(err, errlen, "option \"%s\": out of memory", it->key);
      return -1;
    }
    char **dst = field(settings, d);
    free(*dst);
    *dst = copy;
    return 0;
  }
  case OPT_BOOL:
    if (v == NULL || v->type != OPT_VALUE_BOOLEAN) {
      snprintf(err, errlen, "option \"%s\" takes true or false, not %s",
               it->key, given);
      return -1;
    }
    *(int *)field(settings, d) = v->boolean ? 1 : 0;
    return 0;
  case OPT_NUMBER:
    if (v == NULL || v->type != OPT_VALUE_NUMBER) {
      snprintf(err, errlen, "option \"%s\" takes one number, not %s", it->key,
               given);
      return -1;
    }
    if (!(v->number >= d->min && v->number <= d->max)) {
      snprintf(err, errlen, "option \"%s\": %g is out of range (%g to %g)",
               it->key, v->number, d->min, d->max);
      return -1;
    }
    *(double *)field(settings, d) = v->number;
    return 0;
  }
  return -1;
}

int opt_apply(const opt_def_t *table, void *settings, const opt_item_t *it,
              char *err, size_t errlen) {
  for (const opt_def_t *d = table; d->key; d++) {
    if (strcasecmp(d->key, it->key) != 0)
      continue;
    if (store(d, settings, it, err, errlen) != 0)
      return -1;
    return d->check ? d->check(settings, err, errlen) : 0;
  }
  return 1;
}

void opt_known(const opt_def_t *table, char *buf, size_t len) {
  for (const opt_def_t *d = table; d->key; d++) {
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s%s", used ? ", " : "", d->key);
  }
}

void opt_free_strings(const opt_def_t *table, void *settings) {
  for (const opt_def_t *d = table; d->key; d++)
    if (d->type == OPT_STRING) {
      char **p = field(settings, d);
      free(*p);
      *p = NULL;
    }
}
