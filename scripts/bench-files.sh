#!/usr/bin/env bash
# parsum on a data file, side by side (interleaved rounds) in one run: a 1e8-element f64
# .npy file (800 MB, written by `parsum gen`, page cache warm) read and summed with
#   cat FILE > /dev/null (the read yardstick), parsum -n 2 --read parallel, --read root,
#   --reproducible (parallel), --op stats, --op median, --op histogram --bins 64, the same
#   values as a contiguous HDF5 dataset (parsum gen --format h5) summed, and, where
#   pip can install numpy into .bench/venv, python3 -c 'np.load(FILE).sum()' (and
#   np.median, np.histogram(x, 64)); plus plain vs --reproducible on
#   generated data of the same length (in memory: the compute phase alone).
#   scripts/bench-files.sh [--mpi openmpi|mpich] [--len N] [--rounds R] [--no-python]
# Prints medians (min..max) and ratios; writes every sample to .bench/files.csv.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
len=1e8 rounds=5 python=1
parse_bench_flags 2,9 --len=len --rounds=rounds --no-python=python:=0 -- "$@"
bench_prepare
parsum=$TARGET_DIR/release/parsum
py=""
if ((python)); then
  python_peers
  py=$PY
fi

data=$B/bench-$len.npy
if [ ! -s "$data" ]; then
  say "writing $data with parsum gen"
  mpirun_np 2 "$parsum" gen --len "$len" --out "$data" --pattern random --seed 1 >/dev/null
fi
data_h5=$B/bench-$len.h5
if [ ! -s "$data_h5" ]; then
  say "writing $data_h5 with parsum gen --format h5"
  mpirun_np 2 "$parsum" gen --len "$len" --out "$data_h5" --pattern random --seed 1 >/dev/null
fi
cat "$data" "$data_h5" >/dev/null   # warm the page cache

csv=$B/files.csv
echo "round,name,seconds,compute_seconds,len" >"$csv"
now() { date +%s.%N; }
timed() {
  local name=$1 t0 t1 c=""; shift
  t0=$(now)
  if ! "$@" >"$B/out" 2>"$B/err"; then
    cat "$B/out" "$B/err" >&2
    die "$name failed: $*"
  fi
  t1=$(now)
  c=$(sed -n 's/.*"timings":{[^}]*"compute":\([0-9.e+-]*\).*/\1/p' "$B/out")
  echo "$round,$name,$(awk "BEGIN{print $t1 - $t0}"),$c,$len" >>"$csv"
}

export MPIKIT_THREADS=""
say "$data: $len f64 values, $rounds rounds, $(cores) cores"
for round in $(seq 1 "$rounds"); do
  timed "cat > /dev/null" sh -c "cat '$data' > /dev/null"
  timed "parsum parallel" mpirun_np 2 "$parsum" --input "$data" --op sum --json
  timed "parsum root" mpirun_np 2 "$parsum" --input "$data" --op sum --read root --json
  timed "parsum reproducible" mpirun_np 2 "$parsum" --input "$data" --op sum --reproducible --json
  timed "parsum stats" mpirun_np 2 "$parsum" --input "$data" --op stats --json
  timed "parsum median" mpirun_np 2 "$parsum" --input "$data" --op median --json
  timed "parsum histogram" mpirun_np 2 "$parsum" --input "$data" --op histogram --bins 64 --json
  timed "parsum hdf5" mpirun_np 2 "$parsum" --input "$data_h5" --op sum --json
  timed "generated plain" mpirun_np 2 "$parsum" --len "$len" --op sum --json
  timed "generated reprod." mpirun_np 2 "$parsum" --len "$len" --op sum --reproducible --json
  if [ -n "$py" ]; then
    timed "numpy load+sum" "$py" -c "import numpy as np, sys; print(np.load(sys.argv[1]).sum())" "$data"
    # The compute column holds numpy's median / histogram alone (the array already loaded).
    alone='import numpy as np, sys, time; x = np.load(sys.argv[1]); t = time.perf_counter(); r = F; print(r, "\"timings\":{\"compute\":%.6f}" % (time.perf_counter() - t))'
    timed "numpy load+median" "$py" -c "${alone/F/np.median(x)}" "$data"
    timed "numpy load+histogram" "$py" -c "${alone/F/np.histogram(x, 64)[0].sum()}" "$data"
  fi
done

awk -F, '
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  NR == 1 { next }
  {
    if (!($2 in seen)) { seen[$2] = 1; order[++no] = $2 }
    k = ++cnt[$2]; s[$2, k] = $3; if ($4 != "") c[$2, k] = $4
    if (k == 1 || $3 < lo[$2]) lo[$2] = $3
    if (k == 1 || $3 > hi[$2]) hi[$2] = $3
  }
  END {
    for (i = 1; i <= no; i++) {
      nm = order[i]; n = cnt[nm]
      for (k = 1; k <= n; k++) a[k] = s[nm, k]
      med[nm] = median(a, n); cm[nm] = ""
      if ((nm, 1) in c) { for (k = 1; k <= n; k++) b[k] = c[nm, k]; cm[nm] = median(b, n) }
    }
    base = med["cat > /dev/null"]
    printf "%-20s %24s %16s %10s\n", "variant", "end-to-end s (min..max)", "read+compute s", "/ cat"
    for (i = 1; i <= no; i++) {
      nm = order[i]
      printf "%-20s %8.3f (%5.3f..%5.3f) %16s %9.2fx\n", nm, med[nm], lo[nm], hi[nm], cm[nm] == "" ? "-" : sprintf("%.3f", cm[nm]), med[nm] / base
    }
    printf "\ntargets:\n"
    printf "  parallel read + sum within 1.2x of cat: end to end %.2fx, read+compute phase %.2fx\n", med["parsum parallel"] / base, cm["parsum parallel"] / base
    printf "  reproducible within 1.3x of plain: read+compute phase %.2fx, end to end %.2fx\n", cm["parsum reproducible"] / cm["parsum parallel"], med["parsum reproducible"] / med["parsum parallel"]
    printf "  in memory (generated data, compute phase): reproducible %.2fx of plain\n", cm["generated reprod."] / cm["generated plain"]
    if ("numpy load+sum" in med) printf "  numpy load+sum takes %.2fx as long as parsum parallel\n", med["numpy load+sum"] / med["parsum parallel"]
    printf "  median <= 4x parsum sum: %.2fx end to end, %.2fx read+compute\n", med["parsum median"] / med["parsum parallel"], cm["parsum median"] / cm["parsum parallel"]
    printf "  histogram <= 2x parsum sum: %.2fx end to end, %.2fx read+compute\n", med["parsum histogram"] / med["parsum parallel"], cm["parsum histogram"] / cm["parsum parallel"]
    if ("numpy load+median" in med) printf "  parsum median >= 10x faster than numpy load+median: %.1fx end to end, %.1fx np.median alone vs read+compute; histogram: %.1fx, %.1fx\n", med["numpy load+median"] / med["parsum median"], cm["numpy load+median"] / cm["parsum median"], med["numpy load+histogram"] / med["parsum histogram"], cm["numpy load+histogram"] / cm["parsum histogram"]
    printf "  HDF5 contiguous read+sum within 1.2x of .npy: %.2fx end to end, %.2fx read+compute\n", med["parsum hdf5"] / med["parsum parallel"], cm["parsum hdf5"] / cm["parsum parallel"]
  }' "$csv"
say "samples in $csv"
