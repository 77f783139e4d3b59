/* Helpers shared by the benchmark programs in bench/.
 *
 * Each program defines BENCH_NAME (its name, "envs" for bench/envs) before
 * including this header, so that die() names the program that failed. */
#ifndef MIMIC_BENCH_UTIL_H
#define MIMIC_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "mimic/core.h"

#ifndef BENCH_NAME
#error "define BENCH_NAME before including bench_util.h"
#endif

/* Prints "bench/NAME: what: <mimic error>" on stderr and exits with status 1. */
static inline void die(const char *what) {
  fprintf(stderr, "bench/" BENCH_NAME ": %s: %s\n", what, mimic_errmsg());
  exit(1);
}

/* qsort comparator for doubles, ascending. */
static inline int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts v[0..n) in place; returns its median (the mean of the middle two for even n). */
static inline double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Seconds on a clock_gettime clock. */
static inline double clock_seconds(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of the calling thread (time slices lost to other jobs do not count). */
static inline double cpu_now(void) { return clock_seconds(CLOCK_THREAD_CPUTIME_ID); }

/* CPU seconds of the whole process, all threads together. */
static inline double process_cpu_now(void) { return clock_seconds(CLOCK_PROCESS_CPUTIME_ID); }

/* Peak resident set size of this process so far, in KiB (ru_maxrss on Linux). */
static inline long peak_rss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* The data folder: $MIMIC_DATA, else shared/data beside the source tree (written into buf). */
static inline const char *bench_data_dir(char *buf, size_t cap) {
  const char *dir = getenv("MIMIC_DATA");
  if (dir) return dir;
  snprintf(buf, cap, "%s/../shared/data", MIMIC_SOURCE_DIR);
  return buf;
}

#endif
