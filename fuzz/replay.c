/* replay: runs a fuzz harness's LLVMFuzzerTestOneInput on each file named on
 * the command line (directories: each regular file in them), without
 * libFuzzer, so that seeds and regression inputs can be checked with any
 * compiler (gcc -fsanitize=address,undefined in `make check`).
 * Exit status: 0 when every input ran, 1 when a file could not be read;
 * a harness's abort() or a sanitizer report ends the process itself. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    perror(path);
    return -1;
  }
  size_t cap = 4096, len = 0;
  uint8_t *buf = malloc(cap);
  if (buf == NULL) {
    fclose(f);
    return -1;
  }
  size_t n;
  while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
    len += n;
    if (len == cap) {
      uint8_t *nb = realloc(buf, cap * 2);
      if (nb == NULL) {
        free(buf);
        fclose(f);
        return -1;
      }
      buf = nb;
      cap *= 2;
    }
  }
  int err = ferror(f);
  fclose(f);
  if (err) {
    fprintf(stderr, "%s: read error\n", path);
    free(buf);
    return -1;
  }
  /* An exact-size copy, so that reads past the input's end are caught. */
  uint8_t *exact = malloc(len ? len : 1);
  if (exact == NULL) {
    free(buf);
    return -1;
  }
  memcpy(exact, buf, len);
  free(buf);
  fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
  LLVMFuzzerTestOneInput(exact, len);
  free(exact);
  return 0;
}

static int run_path(const char *path, unsigned *count) {
  struct stat st;
  if (stat(path, &st) != 0) {
    perror(path);
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    (*count)++;
    return run_file(path);
  }
  struct dirent **names;
  int n = scandir(path, &names, NULL, alphasort);
  if (n < 0) {
    perror(path);
    return -1;
  }
  int rc = 0;
  for (int i = 0; i < n; i++) {
    const char *name = names[i]->d_name;
    if (name[0] != '.') { /* skips ., .. and .keep */
      size_t len = strlen(path) + strlen(name) + 2;
      char *full = malloc(len);
      if (full != NULL) {
        snprintf(full, len, "%s/%s", path, name);
        struct stat fst;
        if (stat(full, &fst) == 0 && S_ISREG(fst.st_mode)) {
          (*count)++;
          if (run_file(full) != 0)
            rc = -1;
        }
        free(full);
      }
    }
    free(names[i]);
  }
  free(names);
  return rc;
}

int main(int argc, char **argv) {
  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize(&argc, &argv);
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
    return 2;
  }
  int rc = 0;
  unsigned count = 0;
  for (int i = 1; i < argc; i++)
    if (run_path(argv[i], &count) != 0)
      rc = 1;
  fprintf(stderr, "replay: %u inputs, %s\n", count,
          rc ? "some unreadable" : "all ran");
  return rc;
}
