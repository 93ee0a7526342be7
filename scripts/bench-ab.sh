#!/usr/bin/env bash
# Two parsum builds side by side, interleaved round by round, with the C streaming-read
# yardstick in every round: for a change that must not regress parsum (e.g. the DistArray
# port), keep the old binary (cp target/release/parsum .bench/parsum-before), rebuild, run:
#   scripts/bench-ab.sh --before .bench/parsum-before [--after target/release/parsum]
#       [--mpi openmpi|mpich] [--np 1,2,8] [--modes generate,scatter] [--len 1e8] [--rounds 5]
# Prints per mode and rank count the medians (min) of compute GB/s and its share of the
# yardstick, setup and distribute seconds, and the largest rank's peak RSS, before | after;
# writes every sample to .bench/ab.csv.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
before="" after="" nps=1,2,8 modes=generate,scatter len=1e8 rounds=5
parse_bench_flags 2,9 --before=before --after=after --np=nps --modes=modes --len=len --rounds=rounds -- "$@"
[ -n "$before" ] || die "--before PATH is required (see --help)"
[ -x "$before" ] || die "--before $before is not an executable"
bench_prepare
after=${after:-$TARGET_DIR/release/parsum}
gcc -O3 -march=native -ffast-math -fopenmp "$MPIKIT_ROOT/scripts/bench/stream_read.c" -o "$B/stream_read"
csv=$B/ab.csv
echo "round,mode,ranks,build,compute_gb_per_s,setup,distribute,peak_rss" >"$csv"
field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }
export MPIKIT_THREADS=""
for round in $(seq 1 "$rounds"); do
  read -r gbs _ < <("$B/stream_read" "$len" 7)
  echo "$round,yardstick,0,c,$gbs,,," >>"$csv"
  for mode in ${modes//,/ }; do
    for np in ${nps//,/ }; do
      for build in before after; do
        bin=$before; [ $build = after ] && bin=$after
        out=$(mpirun_np "$np" "$bin" --len "$len" --mode "$mode" --json) || die "$build failed: $bin --mode $mode at -n $np"
        rss=$(echo "$out" | sed -n 's/.*"peak_rss":{[^}]*"max":\([0-9]*\).*/\1/p')
        echo "$round,$mode,$np,$build,$(echo "$out" | field compute_gb_per_s),$(echo "$out" | field setup),$(echo "$out" | field distribute),$rss" >>"$csv"
      done
    done
  done
done
echo
echo "parsum before ($before) | after ($after), N = $len, medians of $rounds interleaved rounds (min)"
awk -F, "$AWK_MEDIAN"'
  NR == 1 { next }
  $2 == "yardstick" { y = y " " $5; next }
  {
    k = $2 SUBSEP $3; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
    for (f = 5; f <= 8; f++) v[k, $4, f] = v[k, $4, f] " " $f
  }
  END {
    yard = med(y)
    printf "read yardstick (C streaming sum): %.2f GB/s\n\n", yard
    printf "%-9s %5s | %-27s | %-27s | %-19s | %-19s | %s\n", "mode", "ranks", "compute GB/s (% yardstick)", "", "setup s", "distribute s", "peak RSS MB (largest rank)"
    printf "%-9s %5s | %-27s | %-27s | %-19s | %-19s | %s\n", "", "", "before", "after", "before    after", "before    after", "before   after"
    for (i = 1; i <= n; i++) {
      k = order[i]; split(k, kk, SUBSEP)
      cb = med(v[k, "before", 5]); ca = med(v[k, "after", 5])
      printf "%-9s %5s | %6.2f (%5.2f) %5.0f%%     | %6.2f (%5.2f) %5.0f%%     | %8.4f %8.4f  | %8.4f %8.4f  | %6.0f %7.0f\n", kk[1], kk[2], cb, lo(v[k, "before", 5]), 100 * cb / yard, ca, lo(v[k, "after", 5]), 100 * ca / yard, med(v[k, "before", 6]), med(v[k, "after", 6]), med(v[k, "before", 7]), med(v[k, "after", 7]), med(v[k, "before", 8]) / 1e6, med(v[k, "after", 8]) / 1e6
    }
  }' "$csv"
say "every sample in $csv"
