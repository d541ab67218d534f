/* source_options: a block's options as a table, read by one loop. Each kind
 * of block (<Log>, <Capture>) declares its options next to its settings:
 *
 *   { "SnapLen", OPT_NUMBER, offsetof(capture_settings_t, snaplen), 64, 65535 }
 *
 * and opt_apply() checks the value's type and range, stores it, and writes
 * what is wrong into err. Pure: the collectd layer turns its oconfig items
 * into opt_item_t. */
#ifndef ITS_SOURCE_OPTIONS_H
#define ITS_SOURCE_OPTIONS_H

#include <stddef.h>

typedef enum {
  OPT_VALUE_STRING,
  OPT_VALUE_NUMBER,
  OPT_VALUE_BOOLEAN,
} opt_value_type_t;

typedef struct {
  opt_value_type_t type;
  const char *string;
  double number;
  int boolean;
} opt_value_t;

/* One option as written: Key value... */
typedef struct {
  const char *key;
  const opt_value_t *values;
  int nvalues;
} opt_item_t;

typedef enum {
  OPT_STRING, /* char *, strdup'ed (the old value freed) */
  OPT_BOOL,   /* int, 0 or 1 */
  OPT_NUMBER, /* double, in [min, max] */
} opt_type_t;

typedef struct opt_def_s {
  const char *key; /* matched without regard to case */
  opt_type_t type;
  size_t offset; /* of the field in the settings */
  double min, max;
  /* NULL, or a check of the stored value: 0, or -1 with a sentence in err
   * (the option's name included). */
  int (*check)(void *settings, char *err, size_t errlen);
} opt_def_t;
/* A table ends with { NULL }. */

/* 0: stored; -1: a bad value, err says why (starting with the option's
 * name); 1: `it` is not in the table. */
int opt_apply(const opt_def_t *table, void *settings, const opt_item_t *it,
              char *err, size_t errlen);

/* The values as written, for messages: "text", 42, true ("nothing"). */
void opt_given(const opt_item_t *it, char *buf, size_t len);

/* Appends ", Key" for each option of the table to buf (a NUL-terminated
 * string of size len). */
void opt_known(const opt_def_t *table, char *buf, size_t len);

/* Frees the OPT_STRING fields of the table in settings. */
void opt_free_strings(const opt_def_t *table, void *settings);

#endif
