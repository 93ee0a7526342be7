/* The FFTW side of scripts/bench-fft.sh: a 3-D complex transform of an n^3 double-complex
 * field in slabs (axis 0 split over the ranks as fftw_mpi_local_size_3d chooses), forward and
 * backward, out of place, the result in the input's layout (no FFTW_MPI_TRANSPOSED_OUT), as
 * mpikit's FftPlan::forward_into / inverse_into in cli/src/bin/mpikit-bench/fft.rs. Plans with
 * FFTW_MEASURE (FFTW at its best; planning not timed), one thread per rank. Each figure: the
 * median over REPS of the slowest rank's seconds per call, after a warm-up.
 * Rank 0 prints CSV rows "fft,N,RANKS,VARIANT,seconds" (VARIANT fftw-forward, fftw-inverse).
 *   fftw_mpi N REPS */
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
  if (argc != 3 || atol(argv[1]) < 1 || atoi(argv[2]) < 1) {
    if (rank == 0) fprintf(stderr, "usage: fftw_mpi N REPS\n");
    MPI_Finalize();
    return 2;
  }
  ptrdiff_t n = atol(argv[1]), local_n0, local_0_start;
  int reps = atoi(argv[2]);
  ptrdiff_t alloc = fftw_mpi_local_size_3d(n, n, n, MPI_COMM_WORLD, &local_n0, &local_0_start);
  fftw_complex *in = fftw_alloc_complex(alloc), *out = fftw_alloc_complex(alloc),
               *back = fftw_alloc_complex(alloc);
  fftw_plan fwd = fftw_mpi_plan_dft_3d(n, n, n, in, out, MPI_COMM_WORLD, FFTW_FORWARD, FFTW_MEASURE);
  fftw_plan inv = fftw_mpi_plan_dft_3d(n, n, n, out, back, MPI_COMM_WORLD, FFTW_BACKWARD, FFTW_MEASURE);
  /* The same field as the Rust side (planning with FFTW_MEASURE overwrites the arrays). */
  for (ptrdiff_t i = 0; i < local_n0 * n * n; i++) {
    double x = (double)(local_0_start * n * n + i);
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
    printf("fft,%ld,%d,fftw-forward,%e\n", (long)n, size, f[reps / 2]);
    printf("fft,%ld,%d,fftw-inverse,%e\n", (long)n, size, b[reps / 2]);
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
