/* Unit tests of source_options: a table stores each type, checks the range
 * and the value's type, runs the option's check, says what is wrong with
 * the option's name and the value as written, and lists the keys. */
#include <stddef.h>
#include <stdlib.h>

#include "source_options.h"
#include "unit.h"

typedef struct {
  char *name;
  int flag;
  double size;
} settings_t;

static int check_name(void *settings, char *err, size_t errlen) {
  settings_t *s = settings;
  if (strcmp(s->name, "bad") != 0)
    return 0;
  snprintf(err, errlen, "option \"Name\": \"bad\" is not allowed");
  return -1;
}

static const opt_def_t table[] = {
    {"Name", OPT_STRING, offsetof(settings_t, name), 0, 0, check_name},
    {"Flag", OPT_BOOL, offsetof(settings_t, flag), 0, 0, NULL},
    {"Size", OPT_NUMBER, offsetof(settings_t, size), 1, 100, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static int apply(settings_t *s, const char *key, const opt_value_t *v, int n,
                 char *err) {
  opt_item_t it = {key, v, n};
  return opt_apply(table, s, &it, err, 256);
}

static void test_each_type_is_stored(void) {
  settings_t s = {0};
  char err[256] = "";
  opt_value_t name = {OPT_VALUE_STRING, "eth0", 0, 0};
  opt_value_t yes = {OPT_VALUE_BOOLEAN, NULL, 0, 1};
  opt_value_t size = {OPT_VALUE_NUMBER, NULL, 42, 0};
  CHECK(apply(&s, "name", &name, 1, err) == 0); /* case does not matter */
  CHECK(apply(&s, "FLAG", &yes, 1, err) == 0);
  CHECK(apply(&s, "Size", &size, 1, err) == 0);
  CHECK_STR(s.name, "eth0");
  CHECK(s.flag == 1);
  CHECK(s.size == 42);
  opt_value_t other = {OPT_VALUE_STRING, "lo", 0, 0};
  CHECK(apply(&s, "Name", &other, 1, err) == 0); /* the old one freed */
  CHECK_STR(s.name, "lo");
  opt_free_strings(table, &s);
  CHECK(s.name == NULL);
}

static void test_bad_values_are_named(void) {
  settings_t s = {0};
  char err[256];
  opt_value_t num = {OPT_VALUE_NUMBER, NULL, 7, 0};
  opt_value_t str = {OPT_VALUE_STRING, "x", 0, 0};
  opt_value_t big = {OPT_VALUE_NUMBER, NULL, 101, 0};
  opt_value_t two[] = {{OPT_VALUE_STRING, "a", 0, 0},
                       {OPT_VALUE_BOOLEAN, NULL, 0, 0}};
  CHECK(apply(&s, "Name", &num, 1, err) == -1);
  CHECK_STR(err, "option \"Name\" takes one string argument, e.g. Name "
                 "\"value\", not 7");
  CHECK(apply(&s, "Flag", &str, 1, err) == -1);
  CHECK_STR(err, "option \"Flag\" takes true or false, not \"x\"");
  CHECK(apply(&s, "Size", &big, 1, err) == -1);
  CHECK_STR(err, "option \"Size\": 101 is out of range (1 to 100)");
  CHECK(s.size == 0); /* nothing stored */
  CHECK(apply(&s, "Size", two, 2, err) == -1);
  CHECK_STR(err, "option \"Size\" takes one number, not \"a\" false");
  CHECK(apply(&s, "Size", NULL, 0, err) == -1);
  CHECK_STR(err, "option \"Size\" takes one number, not nothing");
  opt_value_t bad = {OPT_VALUE_STRING, "bad", 0, 0};
  CHECK(apply(&s, "Name", &bad, 1, err) == -1);
  CHECK_STR(err, "option \"Name\": \"bad\" is not allowed");
  opt_free_strings(table, &s);
}

static void test_unknown_and_known(void) {
  settings_t s = {0};
  char err[256];
  opt_value_t v = {OPT_VALUE_NUMBER, NULL, 1, 0};
  CHECK(apply(&s, "Sniff", &v, 1, err) == 1);
  char known[128] = "Instance";
  opt_known(table, known, sizeof(known));
  CHECK_STR(known, "Instance, Name, Flag, Size");
}

int main(void) {
  RUN(test_each_type_is_stored);
  RUN(test_bad_values_are_named);
  RUN(test_unknown_and_known);
  UNIT_MAIN_END();
}
