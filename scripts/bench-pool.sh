#!/usr/bin/env bash
# The task pool next to Python's: tiny tasks (the identity on an integer) per second at
# chunksize 1, 4, 16, 64 and 256, and the makespan of 64 skewed tasks (one in eight 10x
# longer), for mpikit's Pool at -n 2, multiprocessing.Pool(2), and mpi4py.futures.MPIPoolExecutor
# (mpirun -n 2 python -m mpi4py.futures), interleaved over rounds; and mpikit's Pool at -n 16
# (oversubscribed: one master, 15 workers) for the tiny tasks.
#   scripts/bench-pool.sh [--mpi openmpi|mpich] [--rounds K] [--tasks N]
# Writes every figure to .bench/pool.csv.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
rounds=3 tasks=20000
parse_bench_flags 2,7 --rounds=rounds --tasks=tasks -- "$@"
bench_prepare
python_peers
py=$PY
csv=$B/pool.csv
echo "round,bench,chunksize,peer,value" >"$csv"
for round in $(seq 1 "$rounds"); do
  mpirun_np 2 "$TARGET_DIR/release/mpikit-bench" --bench tasks,balance --reps 5 --csv "$B/mpikit-pool.csv" >/dev/null
  awk -F, -v r="$round" 'NR > 1 && $4 == "pool" {
      if ($1 == "tasks") print r ",tasks," $2 ",mpikit Pool," 1 / $5; else print r ",balance,1,mpikit Pool," $5 }
    NR > 1 && $4 == "ideal" { print r ",ideal,1,ideal," $5 }' "$B/mpikit-pool.csv" >>"$csv"
  mpirun_np 16 "$TARGET_DIR/release/mpikit-bench" --bench tasks --reps 5 --csv "$B/mpikit-pool16.csv" >/dev/null
  awk -F, -v r="$round" 'NR > 1 && $4 == "pool" { print r ",tasks," $2 ",mpikit Pool -n 16," 1 / $5 }' \
    "$B/mpikit-pool16.csv" >>"$csv"
  if [ -n "$py" ]; then
    "$py" "$MPIKIT_ROOT/scripts/bench/pool_python.py" pool "$tasks" 3 | sed "s/^/$round,/" >>"$csv"
    mpirun_np 2 "$py" -m mpi4py.futures "$MPIKIT_ROOT/scripts/bench/pool_python.py" futures "$tasks" 3 |
      sed "s/^/$round,/" >>"$csv"
  fi
done
awk -F, '
  function med(list,   a, m, i, j, t) {
    m = split(list, a, " ")
    for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return a[int((m + 1) / 2)]
  }
  NR == 1 { next }
  { k = $2 SUBSEP $3 SUBSEP $4; v[k] = (k in v) ? v[k] " " $5 : $5 }
  END {
    mk1 = med(v["tasks" SUBSEP 1 SUBSEP "mpikit Pool"]); mk64 = med(v["tasks" SUBSEP 64 SUBSEP "mpikit Pool"])
    printf "%-18s %16s %16s %22s\n", "pool (2 ranks)", "tasks/s cs=1", "tasks/s cs=64", "64 skewed tasks (s)"
    n16 = "mpikit Pool -n 16"
    split("mpikit Pool|python Pool(2)|mpi4py.futures", peers, "|")
    for (p = 1; p <= 3; p++) {
      n = peers[p]
      if (!(("tasks" SUBSEP 1 SUBSEP n) in v)) continue
      printf "%-18s %16.0f %16.0f %22.3f\n", n, med(v["tasks" SUBSEP 1 SUBSEP n]), med(v["tasks" SUBSEP 64 SUBSEP n]), med(v["balance" SUBSEP 1 SUBSEP n])
    }
    if (("tasks" SUBSEP 1 SUBSEP n16) in v)
      printf "%-18s %16.0f %16.0f %22s\n", n16, med(v["tasks" SUBSEP 1 SUBSEP n16]), med(v["tasks" SUBSEP 64 SUBSEP n16]), "-"
    ideal = med(v["ideal" SUBSEP 1 SUBSEP "ideal"])
    printf "\nideal makespan %.3f s; mpikit %.1f%% over it (target: within 15%%)\n", ideal, 100 * (med(v["balance" SUBSEP 1 SUBSEP "mpikit Pool"]) / ideal - 1)
    if (("tasks" SUBSEP 1 SUBSEP "python Pool(2)") in v) {
      printf "tiny tasks vs Python Pool: %.1fx at chunksize 1, %.1fx at chunksize 64 (target: 10x)\n", mk1 / med(v["tasks" SUBSEP 1 SUBSEP "python Pool(2)"]), mk64 / med(v["tasks" SUBSEP 64 SUBSEP "python Pool(2)"])
      printf "tiny tasks vs mpi4py.futures: %.0fx at chunksize 1, %.0fx at chunksize 64\n", mk1 / med(v["tasks" SUBSEP 1 SUBSEP "mpi4py.futures"]), mk64 / med(v["tasks" SUBSEP 64 SUBSEP "mpi4py.futures"])
    }
  }' "$csv"
say "every figure in $csv"
