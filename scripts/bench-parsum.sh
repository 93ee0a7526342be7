#!/usr/bin/env bash
# parsum against its peers, measured side by side (interleaved rounds) in one run:
#   parsum -n 1 --threads 1, parsum -n 2, -n 4 and -n 8 (oversubscribed on small machines),
#   a C streaming-read yardstick over the same bytes, and, where pip can install numpy and
#   mpi4py into .bench/venv: the seeds' numpy + multiprocessing.Pool(4) version, numpy in
#   one process, and mpi4py at -n 2.
#   scripts/bench-parsum.sh [--mpi openmpi|mpich] [--len N] [--rounds R] [--no-python]
# Prints medians (min..max) and ratios; writes every sample to .bench/parsum.csv.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
len=1e8 rounds=5 python=1
parse_bench_flags 2,9 --len=len --rounds=rounds --no-python=python:=0 -- "$@"
bench_prepare
parsum=$TARGET_DIR/release/parsum

command -v gcc >/dev/null || die "gcc is needed for the C yardstick"
gcc -O3 -march=native -ffast-math -fopenmp "$MPIKIT_ROOT/scripts/bench/stream_read.c" -o "$B/stream_read"

py=""
if ((python)); then
  python_peers
  py=$PY
fi

csv=$B/parsum.csv
echo "round,name,seconds,compute_gb_per_s,len" >"$csv"
now() { date +%s.%N; }
# timed NAME COMMAND...: one sample of wall time (and parsum's compute rate, if it is parsum).
timed() {
  local name=$1 t0 t1 gbs=""; shift
  t0=$(now)
  if ! "$@" >"$B/out" 2>"$B/err"; then
    cat "$B/out" "$B/err" >&2
    die "$name failed: $*"
  fi
  t1=$(now)
  gbs=$(sed -n 's/.*"compute_gb_per_s":\([0-9.e+-]*\).*/\1/p' "$B/out")
  echo "$round,$name,$(awk "BEGIN{print $t1 - $t0}"),$gbs,$len" >>"$csv"
}

export MPIKIT_THREADS=""   # parsum's own default per rank count, unless a run says otherwise
say "N = $len, $rounds rounds, $(cores) cores"
for round in $(seq 1 "$rounds"); do
  read -r gbs threads _ < <("$B/stream_read" "$len" 7)
  echo "$round,yardstick,,$gbs,$len" >>"$csv"
  timed "parsum -n 1 -t 1" mpirun_np 1 "$parsum" --len "$len" --json --threads 1
  timed "parsum -n 2" mpirun_np 2 "$parsum" --len "$len" --json
  timed "parsum -n 4" mpirun_np 4 "$parsum" --len "$len" --json
  timed "parsum -n 8" mpirun_np 8 "$parsum" --len "$len" --json
  if [ -n "$py" ]; then
    timed "python Pool(4)" "$py" "$MPIKIT_ROOT/scripts/bench/pool_seed.py" "$len"
    timed "numpy 1 process" "$py" "$MPIKIT_ROOT/scripts/bench/numpy_one.py" "$len"
    timed "mpi4py -n 2" mpirun_np 2 "$py" "$MPIKIT_ROOT/scripts/bench/mpi4py_sum.py" "$len"
  fi
done

awk -F, -v threads="$threads" -v len="$len" '
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  NR == 1 { next }
  $2 == "yardstick" { y[++ny] = $4; next }
  {
    if (!($2 in seen)) { seen[$2] = 1; order[++no] = $2 }
    k = ++cnt[$2]; s[$2, k] = $3; if ($4 != "") g[$2, k] = $4
    if (k == 1 || $3 < lo[$2]) lo[$2] = $3
    if (k == 1 || $3 > hi[$2]) hi[$2] = $3
  }
  END {
    yard = median(y, ny)
    for (i = 1; i <= no; i++) {
      nm = order[i]; n = cnt[nm]
      for (k = 1; k <= n; k++) { a[k] = s[nm, k] }
      med[nm] = median(a, n)
      gm[nm] = ""
      if ((nm, 1) in g) { for (k = 1; k <= n; k++) { b[k] = g[nm, k] } gm[nm] = median(b, n) }
    }
    base = med["parsum -n 2"]
    printf "read yardstick (C, %d OpenMP threads, streaming sum of %s doubles): %.2f GB/s\n\n", threads, len, yard
    printf "%-18s %22s %10s %12s %16s\n", "variant", "end-to-end s (min..max)", "compute", "% yardstick", "time / parsum -n 2"
    for (i = 1; i <= no; i++) {
      nm = order[i]
      c = gm[nm] == "" ? "-" : sprintf("%.2f GB/s", gm[nm])
      p = gm[nm] == "" ? "-" : sprintf("%.0f%%", 100 * gm[nm] / yard)
      printf "%-18s %7.3f (%5.3f..%5.3f) %10s %12s %15.2fx\n", nm, med[nm], lo[nm], hi[nm], c, p, med[nm] / base
    }
    printf "\ntargets:\n"
    printf "  parsum -n 2 compute >= 80%% of the yardstick: %.0f%%\n", 100 * gm["parsum -n 2"] / yard
    if ("mpi4py -n 2" in med) {
      printf "  parsum -n 2 faster than mpi4py -n 2: mpi4py takes %.2fx as long\n", med["mpi4py -n 2"] / base
      printf "  parsum -n 2 faster than numpy in one process: numpy takes %.2fx as long\n", med["numpy 1 process"] / base
      printf "  parsum -n 2 >= 20x faster than the Pool version: Pool takes %.1fx as long\n", med["python Pool(4)"] / base
    }
    printf "  parsum -n 8 <= 1.5x the time of -n 2: %.2fx\n", med["parsum -n 8"] / base
  }' "$csv"
say "samples in $csv"
