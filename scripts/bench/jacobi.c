/* The C + MPI + OpenMP reference for scripts/bench-stencil.sh: 2-D Jacobi (each point the
 * average of its four neighbours, zero past the edges) on row blocks, one ghost row above and
 * below exchanged with MPI_Sendrecv (MPI_PROC_NULL at the ends), rows updated by OpenMP
 * threads. The same start values and order of additions as examples/heat_2d.rs, so the sums
 * agree.
 *   jacobi ROWS COLS STEPS   prints: seconds halo_ms_per_step sum threads */
#include <mpi.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc != 4) {
    if (rank == 0) fprintf(stderr, "usage: jacobi ROWS COLS STEPS\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  long rows = atol(argv[1]), cols = atol(argv[2]), steps = atol(argv[3]);
  long first = rows * rank / size, n = rows * (rank + 1) / size - first;
  long w = cols + 2;
  double *u = calloc((size_t)(n + 2) * w, sizeof *u), *v = calloc((size_t)(n + 2) * w, sizeof *v);
  if (!u || !v) MPI_Abort(MPI_COMM_WORLD, 1);
#pragma omp parallel for
  for (long i = 0; i < n; i++)
    for (long j = 0; j < cols; j++)
      u[(i + 1) * w + j + 1] = (double)(((first + i) * 31 + j * 17) % 97) / 96.0;
  int up = rank > 0 ? rank - 1 : MPI_PROC_NULL, down = rank + 1 < size ? rank + 1 : MPI_PROC_NULL;
  double halo = 0.0;
  MPI_Barrier(MPI_COMM_WORLD);
  double start = MPI_Wtime();
  for (long s = 0; s < steps; s++) {
    double t = MPI_Wtime();
    MPI_Sendrecv(u + w, (int)w, MPI_DOUBLE, up, 0, u + (n + 1) * w, (int)w, MPI_DOUBLE, down, 0,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Sendrecv(u + n * w, (int)w, MPI_DOUBLE, down, 1, u, (int)w, MPI_DOUBLE, up, 1,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    halo += MPI_Wtime() - t;
#pragma omp parallel for
    for (long i = 1; i <= n; i++) {
      const double *a = u + (i - 1) * w, *b = u + (i + 1) * w, *c = u + i * w;
      double *out = v + i * w;
      for (long j = 1; j <= cols; j++) out[j] = 0.25 * (a[j] + b[j] + c[j - 1] + c[j + 1]);
    }
    double *x = u; u = v; v = x;
  }
  double seconds = MPI_Wtime() - start, local = 0.0, total, slowest, halo_max;
  for (long i = 1; i <= n; i++)
    for (long j = 1; j <= cols; j++) local += u[i * w + j];
  MPI_Reduce(&local, &total, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
  MPI_Reduce(&seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  MPI_Reduce(&halo, &halo_max, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  if (rank == 0)
    printf("%.6f %.4f %.6e %d\n", slowest, halo_max * 1e3 / (steps ? steps : 1), total,
           omp_get_max_threads());
  free(u);
  free(v);
  MPI_Finalize();
  return 0;
}
