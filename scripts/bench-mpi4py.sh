#!/usr/bin/env bash
# mpikit-bench next to the same calls in mpi4py (buffer and pickle methods), at the same
# sizes on the same ranks, alternating runs, for two kinds of object (bytes, and a list of
# floats); prints tables of ratios and writes .bench/collectives-{bytes,floats}.csv.
#   scripts/bench-mpi4py.sh [--mpi openmpi|mpich] [--np N] [--sizes 8,1K,...] [--reps R] [--rounds K]
# numpy and mpi4py are pip-installed into .bench/venv (mpi4py's wheel uses the system MPI).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
np=2 sizes=8,64,512,1K,4K,16K,64K,256K,1M,4M,16M,64M reps=5 rounds=2
parse_bench_flags 2,6 --np=np --sizes=sizes --reps=reps --rounds=rounds -- "$@"
bench_prepare
python_peers
[ -n "$PY" ] || die "no mpi4py to compare with; mpikit-bench alone: mpirun -n $np target/release/mpikit-bench"
bytes=$(echo "$sizes" | tr ',' '\n' | awk '/[Kk]$/{print $0*1024; next} /[Mm]$/{print $0*1048576; next} {print $0}' | paste -sd, -)
benches=latency,bcast,scatter,gather,allreduce
for payload in bytes floats; do
csv=$B/collectives-$payload.csv
echo "round,bench,bytes,ranks,variant,seconds" >"$csv"
for round in $(seq 1 "$rounds"); do
  mpirun_np "$np" "$TARGET_DIR/release/mpikit-bench" --sizes "$bytes" --reps "$reps" --bench "$benches" \
    --object "$payload" --csv "$B/mpikit.csv" >/dev/null
  # The serde + bincode floor (copy, encode, decode on one rank), once per round.
  mpirun_np "$np" "$TARGET_DIR/release/mpikit-bench" --sizes "$bytes" --reps "$reps" --bench codec \
    --object "$payload" --csv "$B/codec.csv" >/dev/null
  tail -n +2 "$B/codec.csv" | sed "s/^/$round,/" >>"$csv"
  tail -n +2 "$B/mpikit.csv" | sed "s/^/$round,/" >>"$csv"
  mpirun_np "$np" "$PY" "$MPIKIT_ROOT/scripts/bench/osu_mpi4py.py" "$bytes" "$reps" "$benches" "$payload" |
    sed "s/^/$round,/" >>"$csv"
done
echo
echo "objects are $payload (mpikit: $( [ $payload = bytes ] && echo serde_bytes::ByteBuf || echo 'Vec<f64>'); mpi4py: $( [ $payload = bytes ] && echo bytes || echo 'list of float')); $np ranks, medians of $rounds rounds"
awk -F, '
  NR == 1 || $2 == "codec" { next }
  { k = $2 SUBSEP $3 SUBSEP $5; s[k] = (k in s) ? s[k] " " $6 : $6; if (!(($2 SUBSEP $3) in seen)) { seen[$2 SUBSEP $3] = 1; order[++n] = $2 SUBSEP $3 } }
  function med(list,   a, m, i, j, t) {
    m = split(list, a, " ")
    for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
  }
  function us(b, v) { return ((b SUBSEP v) in s) ? sprintf("%9.2f", med(s[b SUBSEP v]) * 1e6) : "        -" }
  END {
    printf "%-10s %9s %9s %9s %9s %9s %9s %11s %11s\n", "bench", "bytes", "raw us", "buffer", "object", "4py buf", "4py pkl", "buf/raw", "pkl/object"
    for (i = 1; i <= n; i++) {
      split(order[i], kb, SUBSEP); b = order[i]
      raw = med(s[b SUBSEP "raw"]); obj = med(s[b SUBSEP "object"]); pk = med(s[b SUBSEP "mpi4py-pickle"])
      br = ((b SUBSEP "buffer") in s) ? sprintf("%11.3f", med(s[b SUBSEP "buffer"]) / raw) : "          -"
      printf "%-10s %9s %s %s %s %s %s %s %11.2f\n", kb[1], kb[2], us(b, "raw"), us(b, "buffer"), us(b, "object"), us(b, "mpi4py-buffer"), us(b, "mpi4py-pickle"), br, pk / obj
    }
  }' "$csv"
echo "the serde + bincode floor ($payload, one rank): an object that arrives costs the raw transfer plus its decode"
awk -F, '
  NR == 1 { next }
  { k = $2 SUBSEP $3 SUBSEP $5; s[k] = (k in s) ? s[k] " " $6 : $6; if ($2 == "codec" && !($3 in seen)) { seen[$3] = 1; order[++n] = $3 } }
  function med(list,   a, m, i, j, t) {
    m = split(list, a, " ")
    for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
  }
  END {
    printf "%9s %9s %9s %9s %9s %22s %11s\n", "bytes", "copy us", "encode", "decode", "raw bcast", "floor (raw+decode)/raw", "object/raw"
    for (i = 1; i <= n; i++) {
      b = order[i]; raw = med(s["bcast" SUBSEP b SUBSEP "raw"]); dec = med(s["codec" SUBSEP b SUBSEP "decode"])
      obj = med(s["bcast" SUBSEP b SUBSEP "object"])
      printf "%9s %9.2f %9.2f %9.2f %9.2f %22.2f %11.2f\n", b, med(s["codec" SUBSEP b SUBSEP "copy"]) * 1e6, med(s["codec" SUBSEP b SUBSEP "encode"]) * 1e6, dec * 1e6, raw * 1e6, (raw + dec) / raw, obj / raw
    }
  }' "$csv"
done
say "every figure in $B/collectives-*.csv"
