/* The read-bandwidth yardstick for scripts/bench-parsum.sh: a streaming sum over N doubles
 * (the bytes parsum reduces), with OpenMP threads, compiled -O3 -march=native -ffast-math so
 * the loop is as fast as this machine's memory allows. Prints the median GB/s of REPS runs
 * and the sum (so the loop cannot be optimised away).
 *   stream_read [N] [REPS]
 */
#define _GNU_SOURCE
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)strtod(argv[1], NULL) : 100000000;
    int reps = argc > 2 ? atoi(argv[2]) : 7;
    size_t huge = 2u << 20, bytes = (n * sizeof(double) + huge - 1) / huge * huge;
    double *x = aligned_alloc(huge, bytes);
    if (!x) { perror("aligned_alloc"); return 1; }
    madvise(x, bytes, MADV_HUGEPAGE); /* as numpy and parsum do */
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) x[i] = (double)i;
    double *gbs = malloc(reps * sizeof(double)), check = 0;
    for (int r = 0; r < reps; r++) {
        double s = 0, t0 = omp_get_wtime();
#pragma omp parallel for reduction(+ : s) schedule(static)
        for (size_t i = 0; i < n; i++) s += x[i];
        gbs[r] = n * sizeof(double) / (omp_get_wtime() - t0) / 1e9;
        check += s;
    }
    qsort(gbs, reps, sizeof(double), cmp);
    printf("%.3f %d %.6e\n", gbs[reps / 2], omp_get_max_threads(), check / reps);
    return 0;
}
