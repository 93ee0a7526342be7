#!/usr/bin/env bash
# 2-D Jacobi (5-point average, zero past the edges), ROWS x COLS f64, STEPS steps, at each
# rank count: examples/heat_2d (DistArray on a balanced 2-D grid, halo exchange overlapped
# with the interior update, and blocking), the C + MPI + OpenMP reference
# scripts/bench/jacobi.c (row blocks, MPI_Sendrecv, MPI_PROC_NULL ends) and the mpi4py +
# numpy version scripts/bench/jacobi_mpi4py.py (row blocks, slicing), one after the other in
# every round. Each rank gets max(1, cores / ranks) threads (MPIKIT_THREADS, OMP_NUM_THREADS).
# All four must print the same sum. Prints medians (and mins) of the rounds, the ratios, and
# the halo exchange time per step; writes .bench/stencil.csv (round, ranks, variant,
# seconds, halo_ms, sum, size, steps); scripts/bench.sh runs it and mpikit-report plots it.
#   scripts/bench-stencil.sh [--mpi openmpi|mpich] [--np 1,2,4,8] [--size 4096] [--steps 100] [--rounds K]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
nps=1,2,4,8 size=4096 steps=100 rounds=3
parse_bench_flags 2,11 --np=nps --size=size --steps=steps --rounds=rounds -- "$@"
bench_prepare
python_peers
"$MPICC" -O3 -fopenmp "$MPIKIT_ROOT/scripts/bench/jacobi.c" -o "$B/jacobi"
heat=$TARGET_DIR/release/examples/heat_2d
csv=$B/stencil.csv
echo "round,ranks,variant,seconds,halo_ms,sum,size,steps" >"$csv"
# heat_2d prints "ok: ..., T s, halo H ms/step, sum S"; the peers print "T H S threads".
from_heat() { sed -n 's/.*, \([0-9.]*\) s, halo \([0-9.]*\) ms\/step, sum \(.*\)$/\1 \2 \3/p'; }
for round in $(seq 1 "$rounds"); do
  for np in ${nps//,/ }; do
    t=$(($(cores) / np)); ((t >= 1)) || t=1
    export MPIKIT_THREADS=$t OMP_NUM_THREADS=$t
    row() { [ -n "$2" ] || die "$1 at -n $np printed no figures"; echo "$round,$np,$1,${2// /,},$size,$steps" >>"$csv"; }
    row mpikit-overlap "$(mpirun_np "$np" "$heat" "$size" "$size" "$steps" --no-check | from_heat)"
    row mpikit-blocking "$(mpirun_np "$np" "$heat" "$size" "$size" "$steps" --no-check --blocking | from_heat)"
    row c "$(mpirun_np "$np" "$B/jacobi" "$size" "$size" "$steps" | cut -d' ' -f1-3)"
    if [ -n "$PY" ]; then
      row mpi4py "$(mpirun_np "$np" "$PY" "$MPIKIT_ROOT/scripts/bench/jacobi_mpi4py.py" "$size" "$size" "$steps" | cut -d' ' -f1-3)"
    fi
  done
done
echo
echo "2-D Jacobi ${size}x${size} f64, $steps steps: seconds, median of $rounds rounds (min); halo ms per step (median)"
awk -F, "$AWK_MEDIAN"'
  NR == 1 { next }
  {
    k = $2 SUBSEP $3; s[k] = (k in s) ? s[k] " " $4 : $4; h[k] = (k in h) ? h[k] " " $5 : $5
    if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
    if (!(1 in sum)) sum[1] = $6
    d = $6 / sum[1] - 1; if (d < 0) d = -d
    if (d > 1e-9) { printf "sums differ: %s at -n %s gave %s, the first run %s\n", $3, $2, $6, sum[1]; bad = 1 }
  }
  function cell(k) { return (k in s) ? sprintf("%7.3f (%6.3f)", med(s[k]), lo(s[k])) : sprintf("%16s", "-") }
  function halo(k) { return (k in h) ? sprintf("%6.3f", med(h[k])) : sprintf("%6s", "-") }
  END {
    printf "%5s %16s %16s %16s %16s %8s %9s %9s   %s\n", "ranks", "C+MPI+OpenMP", "mpikit overlap", "mpikit blocking", "mpi4py+numpy", "ovl/C", "4py/ovl", "ovl/blk", "halo ms/step: C ovl blk 4py"
    for (i = 1; i <= n; i++) {
      r = order[i]; c = med(s[r SUBSEP "c"]); o = med(s[r SUBSEP "mpikit-overlap"]); b = med(s[r SUBSEP "mpikit-blocking"])
      p = ((r SUBSEP "mpi4py") in s) ? sprintf("%9.2f", med(s[r SUBSEP "mpi4py"]) / o) : sprintf("%9s", "-")
      printf "%5s %s %s %s %s %8.3f %s %9.3f   %s %s %s %s\n", r, cell(r SUBSEP "c"), cell(r SUBSEP "mpikit-overlap"), cell(r SUBSEP "mpikit-blocking"), cell(r SUBSEP "mpi4py"), o / c, p, o / b, halo(r SUBSEP "c"), halo(r SUBSEP "mpikit-overlap"), halo(r SUBSEP "mpikit-blocking"), halo(r SUBSEP "mpi4py")
    }
    exit bad
  }' "$csv"
say "every figure in $csv"
