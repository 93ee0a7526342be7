/* The FFTW side of scripts/bench-fft.sh: a 3-D complex transform of an n^3 double-complex
 * field in slabs (axis 0 split over the ranks as fftw_mpi_local_size_3d chooses), forward and
 * backward, out of place, the result in the input's layout (no FFTW_MPI_TRANSPOSED_OUT), as
 * mpikit's FftPlan::forward_into / inverse_into in cli/src/bin/mpikit-bench/fft.rs. Plans with
 * FFTW_MEASURE (FFTW at its best; planning not timed), one thread per rank. Each figure: the
 * median over REPS of the slowest rank's seconds per call, after a warm-up.
 * With a third argument "line": the 1-D transform of N points split over the ranks
 * (fftw_mpi_plan_dft_1d, in order), as mpikit's `fft-line` benchmark.
 * Rank 0 prints CSV rows "BENCH,N,RANKS,VARIANT,seconds" (BENCH fft or fft-line; VARIANT
 * fftw-forward, fftw-inverse).
 *   fftw_mpi N REPS [line] */
#include <fftw3-mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double timed(fftw_plan plan) {
  MPI_Barrier(MPI_COMM_WORLD);
  double t0 = MPI_Wtime();
  fftw_execute(plan);
  double mine = MPI_Wtime() - t0, slowest;
  MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return slowest;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  fftw_mpi_init();
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int line = argc == 4 && argv[3][0] == 'l';
  if ((argc != 3 && !line) || atol(argv[1]) < 1 || atoi(argv[2]) < 1) {
    if (rank == 0) fprintf(stderr, "usage: fftw_mpi N REPS [line]\n");
    MPI_Finalize();
    return 2;
  }
  ptrdiff_t n = atol(argv[1]), local_n0, local_0_start, local_no, local_o_start;
  int reps = atoi(argv[2]);
  ptrdiff_t alloc, count;
  if (line) {
    alloc = fftw_mpi_local_size_1d(n, MPI_COMM_WORLD, FFTW_FORWARD, FFTW_MEASURE, &local_n0,
                                   &local_0_start, &local_no, &local_o_start);
    count = local_n0;
  } else {
    alloc = fftw_mpi_local_size_3d(n, n, n, MPI_COMM_WORLD, &local_n0, &local_0_start);
    count = local_n0 * n * n;
    local_0_start *= n * n;
  }
  fftw_complex *in = fftw_alloc_complex(alloc), *out = fftw_alloc_complex(alloc),
               *back = fftw_alloc_complex(alloc);
  fftw_plan fwd, inv;
  if (line) {
    fwd = fftw_mpi_plan_dft_1d(n, in, out, MPI_COMM_WORLD, FFTW_FORWARD, FFTW_MEASURE);
    inv = fftw_mpi_plan_dft_1d(n, out, back, MPI_COMM_WORLD, FFTW_BACKWARD, FFTW_MEASURE);
  } else {
    fwd = fftw_mpi_plan_dft_3d(n, n, n, in, out, MPI_COMM_WORLD, FFTW_FORWARD, FFTW_MEASURE);
    inv = fftw_mpi_plan_dft_3d(n, n, n, out, back, MPI_COMM_WORLD, FFTW_BACKWARD, FFTW_MEASURE);
  }
  /* The same field as the Rust side (planning with FFTW_MEASURE overwrites the arrays). */
  for (ptrdiff_t i = 0; i < count; i++) {
    double x = (double)(local_0_start + i);
    in[i][0] = sin(0.37 * x);
    in[i][1] = cos(0.11 * x);
  }
  timed(fwd);
  timed(inv);
  double *f = malloc(sizeof(double) * reps), *b = malloc(sizeof(double) * reps);
  for (int r = 0; r < reps; r++) {
    f[r] = timed(fwd);
    b[r] = timed(inv);
  }
  qsort(f, reps, sizeof *f, cmp);
  qsort(b, reps, sizeof *b, cmp);
  if (rank == 0) {
    const char *bench = line ? "fft-line" : "fft";
    printf("%s,%ld,%d,fftw-forward,%e\n", bench, (long)n, size, f[reps / 2]);
    printf("%s,%ld,%d,fftw-inverse,%e\n", bench, (long)n, size, b[reps / 2]);
  }
  fftw_destroy_plan(fwd);
  fftw_destroy_plan(inv);
  fftw_free(in);
  fftw_free(out);
  fftw_free(back);
  free(f);
  free(b);
  fftw_mpi_cleanup();
  MPI_Finalize();
  return 0;
}
