#!/usr/bin/env bash
# In-place and non-blocking collectives next to raw rsmpi, 2 ranks, f64 buffers of 8 B to
# 16 MiB per rank, every variant measured in turn within each repetition of each round:
#   inplace     allreduce: rsmpi out-of-place | raw MPI_IN_PLACE | allreduce_array_into | allreduce_array_in_place
#   iallreduce  rsmpi blocking | rsmpi immediate + wait | immediate_allreduce_array_into + wait
#   iallgather  rsmpi blocking | rsmpi immediate + wait | allgather_rows | immediate_allgather_rows + wait
#               | immediate_allgather_array_into + wait (owned buffers, reused)
# Prints the median over rounds (and the min) per call and each variant's ratio to the
# first; writes every figure to .bench/immediate.csv (round, bench, bytes, ranks, variant, seconds).
#   scripts/bench-immediate.sh [--mpi openmpi|mpich] [--np N] [--sizes 8,64K,...] [--reps R] [--rounds K]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
np=2 sizes=8,512,4K,64K,256K,1M,4M,16M reps=5 rounds=3
parse_bench_flags 2,10 --np=np --sizes=sizes --reps=reps --rounds=rounds -- "$@"
bench_prepare
csv=$B/immediate.csv
echo "round,bench,bytes,ranks,variant,seconds" >"$csv"
for round in $(seq 1 "$rounds"); do
  mpirun_np "$np" "$TARGET_DIR/release/mpikit-bench" --bench inplace,iallreduce,iallgather \
    --sizes "$sizes" --reps "$reps" --csv "$B/mpikit-immediate.csv" >/dev/null
  tail -n +2 "$B/mpikit-immediate.csv" | sed "s/^/$round,/" >>"$csv"
done
echo
echo "$np ranks, f64 buffers, us per call: median of $rounds rounds (min), ratio of medians to the first variant"
awk -F, "$AWK_MEDIAN"'
  NR == 1 { next }
  {
    b = $2 SUBSEP $3; k = b SUBSEP $5
    s[k] = (k in s) ? s[k] " " $6 : $6
    if (!(b in seen)) { seen[b] = 1; order[++n] = b }
    if (!(k in vseen)) { vseen[k] = 1; vs[b] = (b in vs) ? vs[b] " " $5 : $5 }
  }
  END {
    for (i = 1; i <= n; i++) {
      b = order[i]; split(b, kb, SUBSEP); m = split(vs[b], v, " ")
      base = med(s[b SUBSEP v[1]]); line = sprintf("%-10s %6s", kb[1], kb[2])
      for (j = 1; j <= m; j++) {
        x = s[b SUBSEP v[j]]
        line = line sprintf("  %s %.2f (%.2f) %.3fx", v[j], med(x) * 1e6, lo(x) * 1e6, med(x) / base)
      }
      print line
    }
  }' "$csv"
say "every figure in $csv"
