#!/usr/bin/env bash
# The object allreduce (a Vec<f64> with an element-wise sum) by rank count, next to the raw
# rsmpi buffer allreduce of the same bytes: time per call (median of R repetitions, per
# round) and the most bytes one rank sent and received in one object call, at -n 2, 4, 8, 16
# (oversubscribed past the cores). The tree moves at most 2·m·⌈log2 P⌉ bytes per rank.
#   scripts/bench-reduce.sh [--mpi openmpi|mpich] [--np 2,4,8,16] [--sizes 8,1K,64K,1M] [--reps R] [--rounds K]
# Writes every figure to .bench/reduce.csv (round, bench, bytes, ranks, variant, value).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
nps=2,4,8,16 sizes=8,1K,64K,1M reps=5 rounds=3
parse_bench_flags 2,7 --np=nps --sizes=sizes --reps=reps --rounds=rounds -- "$@"
bench_prepare
bytes=$(echo "$sizes" | tr ',' '\n' | awk '/[Kk]$/{print $0*1024; next} /[Mm]$/{print $0*1048576; next} {print $0}' | paste -sd, -)
csv=$B/reduce.csv
echo "round,bench,bytes,ranks,variant,value" >"$csv"
for round in $(seq 1 "$rounds"); do
  for np in ${nps//,/ }; do
    mpirun_np "$np" "$TARGET_DIR/release/mpikit-bench" --bench allreduce --object floats \
      --sizes "$bytes" --reps "$reps" --csv "$B/mpikit-reduce.csv" >/dev/null
    tail -n +2 "$B/mpikit-reduce.csv" | sed "s/^/$round,/" >>"$csv"
  done
done
echo
echo "object allreduce of a Vec<f64> (element-wise sum) vs raw MPI_Allreduce, us per call (median of $rounds rounds); bytes one rank moved per object call"
awk -F, '
  NR == 1 { next }
  {
    k = $3 SUBSEP $4; v[k, $5] = (k, $5) in v ? v[k, $5] " " $6 : $6
    if (!(k in seen)) { seen[k] = 1; order[++n] = k }
  }
  function med(list,   a, m, i, j, t) {
    m = split(list, a, " ")
    for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
  }
  END {
    printf "%9s %5s %11s %11s %10s %16s %18s\n", "bytes", "ranks", "raw us", "object us", "obj/raw", "moved B/rank", "2(m+20)ceil(log2 P)"
    for (i = 1; i <= n; i++) {
      split(order[i], kk, SUBSEP); k = order[i]
      raw = med(v[k, "raw"]); obj = med(v[k, "object"]); moved = med(v[k, "object-bytes"])
      p = kk[2]; lg = 0; while ((2 ^ lg) < p) lg++
      m = int(kk[1] / 8) * 8
      printf "%9s %5s %11.2f %11.2f %10.2f %16.0f %18.0f\n", kk[1], p, raw * 1e6, obj * 1e6, obj / raw, moved, 2 * (m + 20) * lg
    }
  }' "$csv"
say "every figure in $csv"
