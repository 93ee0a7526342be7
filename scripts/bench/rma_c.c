/* The C + MPI side of scripts/bench-rma.sh: the same one-sided loops as mpikit's
 * (cli/src/bin/mpikit-bench/rma.rs), on the same MPI calls, in a window of 64-byte lines
 * (MPICH 4.0.2 misplaces memory for sizes not a multiple of 16 bytes), timed the same way.
 *   counter  every rank: MPI_Fetch_and_op(SUM, 1) on rank 0 + MPI_Win_flush_local(0), under
 *            one MPI_Win_lock_all (mpikit's Counter::next)
 *   mutex    every rank: lock + unlock of an MCS queue lock, step by step mpikit's
 *            rma::Mutex (atomic accumulates and fetch-and-ops, each flushed locally; polls
 *            that yield 64 times, then sleep 5 us more each time, at most 200 us)
 *   put      rank 0 into rank 1, under one lock_all: MPI_Put + MPI_Win_flush_local(1) +
 *            MPI_Win_flush(1) (mpikit's put then flush(1))
 *   get      rank 0 from rank 1: MPI_Get + MPI_Win_flush_local(1) (mpikit's get)
 * Each figure: the median over REPS of the slowest rank's seconds per operation (put, get:
 * rank 0's; the others time an empty call), after a warm-up. Rank 0 prints CSV rows "bench,bytes,ranks,VARIANT,seconds",
 * VARIANT "C" after MPI_Init (MPI_THREAD_SINGLE), or with --funneled "C-funneled" after
 * MPI_Init_thread(MPI_THREAD_FUNNELED), the level mpikit's World::init asks for (Open MPI
 * 4.1's one-sided calls cost more above MPI_THREAD_SINGLE).
 *   rma_c [--funneled] counter|mutex ITERS REPS
 *   rma_c [--funneled] put|get SIZES REPS        SIZES: bytes, comma-separated */
#include <mpi.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int rank, size;

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *s, int n) {
  qsort(s, (size_t)n, sizeof *s, cmp);
  return s[n / 2];
}

/* Whole 64-byte lines, as mpikit's Window::allocate. */
static MPI_Aint lines(MPI_Aint bytes) { return (bytes + 63) / 64 * 64; }

/* The median over REPS of the slowest rank's seconds per call of op, ITERS calls per timing,
 * after a warm-up of ITERS / 10 + 1 calls. */
static double timed(long iters, int reps, void (*op)(void)) {
  double s[64];
  for (int r = -1; r < reps; r++) { /* r = -1: warm-up */
    long n = r < 0 ? iters / 10 + 1 : iters;
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (long i = 0; i < n; i++) op();
    double mine = (MPI_Wtime() - t0) / (double)n, slowest;
    MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (r >= 0) s[r] = slowest;
  }
  return median(s, reps);
}

/* timed() under one lock of all of *win, opened after a closing fence; frees the window. */
static double timed_then_free(MPI_Win *win, long iters, int reps, void (*op)(void)) {
  MPI_Win_fence(MPI_MODE_NOSUCCEED, *win);
  MPI_Win_lock_all(0, *win);
  double t = timed(iters, reps, op);
  MPI_Win_unlock_all(*win);
  MPI_Win_free(win);
  return t;
}

/* --- counter ------------------------------------------------------------------------- */

static MPI_Win cwin;

static void fetch_and_add(void) {
  int64_t one = 1, prev;
  MPI_Fetch_and_op(&one, &prev, MPI_INT64_T, 0, 0, MPI_SUM, cwin);
  MPI_Win_flush_local(0, cwin);
}

static double counter(long iters, int reps) {
  int64_t *base;
  MPI_Win_allocate(rank == 0 ? lines(8) : 0, 8, MPI_INFO_NULL, MPI_COMM_WORLD, &base, &cwin);
  return timed_then_free(&cwin, iters, reps, fetch_and_add);
}

/* --- mutex (mpikit's rma::Mutex, in C) ---------------------------------------------- */

enum { FLAG = 0, NEXT = 1, TAIL = 2, NONE = -1 };
static MPI_Win mwin;

static void replace(int value, int target, int slot) {
  MPI_Accumulate(&value, 1, MPI_INT, target, slot, 1, MPI_INT, MPI_REPLACE, mwin);
  MPI_Win_flush_local(target, mwin);
}

static int fetch_op(int value, int target, int slot, MPI_Op op) {
  int before;
  MPI_Fetch_and_op(&value, &before, MPI_INT, target, slot, op, mwin);
  MPI_Win_flush_local(target, mwin);
  return before;
}

static void backoff(unsigned *k) {
  if (++*k <= 64) {
    sched_yield();
  } else {
    unsigned us = (*k - 64) * 5 > 200 ? 200 : (*k - 64) * 5;
    struct timespec ts = {0, (long)us * 1000};
    nanosleep(&ts, NULL);
  }
}

static int wait_for(int slot, int until_not) {
  unsigned k = 0;
  for (;;) {
    int v = fetch_op(0, rank, slot, MPI_NO_OP);
    if (until_not ? v != NONE : v == 1) return v;
    backoff(&k);
  }
}

static void mcs_lock(void) {
  replace(NONE, rank, NEXT);
  replace(0, rank, FLAG);
  MPI_Win_flush(rank, mwin);
  int prev = fetch_op(rank, 0, TAIL, MPI_REPLACE);
  if (prev != NONE) {
    replace(rank, prev, NEXT);
    MPI_Win_flush(prev, mwin);
    wait_for(FLAG, 0);
  }
}

static void mcs_unlock(void) {
  int me = rank, none = NONE, tail;
  MPI_Compare_and_swap(&none, &me, &tail, MPI_INT, 0, TAIL, mwin);
  MPI_Win_flush_local(0, mwin);
  if (tail != rank) {
    int next = wait_for(NEXT, 1);
    replace(1, next, FLAG);
    MPI_Win_flush(next, mwin);
  }
}

static void lock_unlock(void) {
  mcs_lock();
  mcs_unlock();
}

static double mutex(long iters, int reps) {
  int *base;
  int n = rank == 0 ? 3 : 2;
  MPI_Win_allocate(lines(n * 4), 4, MPI_INFO_NULL, MPI_COMM_WORLD, &base, &mwin);
  for (int i = 0; i < n; i++) base[i] = NONE;
  base[FLAG] = 0;
  MPI_Win_fence(0, mwin);
  return timed_then_free(&mwin, iters, reps, lock_unlock);
}

/* --- put / get ----------------------------------------------------------------------- */

/* Operations per timing: 32 MiB moved, 4 to 20000 (mpikit-bench's rma::transfers). */
static long iterations(long bytes) {
  long n = (32L << 20) / (bytes > 0 ? bytes : 1);
  return n < 4 ? 4 : n > 20000 ? 20000 : n;
}

/* One transfer from rank 0 (the other ranks time an empty call). */
static long xfer_bytes;
static char *xfer_src;
static MPI_Win xwin;

static void put(void) {
  if (rank != 0) return;
  MPI_Put(xfer_src, (int)xfer_bytes, MPI_UINT8_T, 1, 0, (int)xfer_bytes, MPI_UINT8_T, xwin);
  MPI_Win_flush_local(1, xwin);
  MPI_Win_flush(1, xwin);
}

static void get(void) {
  if (rank != 0) return;
  MPI_Get(xfer_src, (int)xfer_bytes, MPI_UINT8_T, 1, 0, (int)xfer_bytes, MPI_UINT8_T, xwin);
  MPI_Win_flush_local(1, xwin);
}

int main(int argc, char **argv) {
  int funneled = argc > 1 && !strcmp(argv[1], "--funneled"), provided;
  if (funneled) {
    argv[1] = argv[0];
    argc--, argv++;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  } else {
    MPI_Init(&argc, &argv);
  }
  const char *variant = funneled ? "C-funneled" : "C";
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int reps = argc == 4 ? atoi(argv[3]) : 0;
  if (argc != 4 || reps < 1 || reps > 64 || size < 2) {
    if (rank == 0)
      fprintf(stderr, "usage: rma_c [--funneled] counter|mutex ITERS REPS | rma_c [--funneled] put|get SIZES REPS"
                      " (2+ ranks, 1-64 reps)\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const char *bench = argv[1];
  if (!strcmp(bench, "counter") || !strcmp(bench, "mutex")) {
    long iters = atol(argv[2]);
    double t = !strcmp(bench, "counter") ? counter(iters, reps) : mutex(iters, reps);
    if (rank == 0) printf("%s,8,%d,%s,%e\n", bench, size, variant, t);
  } else if (!strcmp(bench, "put") || !strcmp(bench, "get")) {
    long sizes[64], most = 8;
    int k = 0;
    for (char *p = strtok(argv[2], ","); p && k < 64; p = strtok(NULL, ","), k++) {
      sizes[k] = atol(p);
      if (sizes[k] > most) most = sizes[k];
    }
    char *base;
    xfer_src = malloc((size_t)most);
    memset(xfer_src, 1, (size_t)most);
    MPI_Win_allocate(lines(most), 1, MPI_INFO_NULL, MPI_COMM_WORLD, &base, &xwin);
    memset(base, 0, (size_t)most);
    MPI_Win_fence(MPI_MODE_NOSUCCEED, xwin);
    MPI_Win_lock_all(0, xwin);
    for (int i = 0; i < k; i++) {
      xfer_bytes = sizes[i];
      double t = timed(iterations(sizes[i]), reps, !strcmp(bench, "put") ? put : get);
      if (rank == 0) printf("%s,%ld,%d,%s,%e\n", bench, sizes[i], size, variant, t);
    }
    MPI_Win_unlock_all(xwin);
    MPI_Win_free(&xwin);
    free(xfer_src);
  } else {
    if (rank == 0) fprintf(stderr, "rma_c: unknown benchmark %s\n", bench);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  MPI_Finalize();
  return 0;
}
