#!/usr/bin/env bash
# Files of a DistArray, side by side in one run (issue 26): LEN f64 (1e8: 800 MB) written and
# read back at -n 2 and -n 4 as .npy by positioned writes and by collective MPI-IO, HDF5
# contiguous, HDF5 chunked + deflate(1) and a stored .npz (mpikit-bench --bench
# file-write,file-read; every write synced and renamed), next to dd of the same bytes
# (conv=fsync) from /dev/zero and from a file in the page cache ("dd-from-memory": the bytes
# come out of memory, as an array's do), cat of them (page cache warm, as the reads are)
# and, where pip can install h5py into .bench/venv, h5py writing the same array from one
# process (synced).
#   scripts/bench-io.sh [--mpi openmpi|mpich] [--len N] [--rounds R] [--no-python]
# Prints medians (min..max), MB/s and ratios to dd / cat; writes every sample to .bench/io.csv.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
len=1e8 rounds=3 python=1
parse_bench_flags 2,11 --len=len --rounds=rounds --no-python=python:=0 -- "$@"
bench_prepare
bench=$TARGET_DIR/release/mpikit-bench
n=$(awk "BEGIN{printf \"%d\", $len}")
bytes=$((n * 8))
py=""
if ((python)); then
  python_h5py
  "$B/venv/bin/python" -c 'import h5py, numpy' 2>/dev/null && py=$B/venv/bin/python
fi
export MPIKIT_BENCH_DIR=$B/files MPIKIT_THREADS=""
mkdir -p "$MPIKIT_BENCH_DIR"
csv=$B/io.csv
echo "round,what,ranks,variant,seconds" >"$csv"
now() { date +%s.%N; }
say "$n f64 ($((bytes / 1000000)) MB), $rounds rounds, $(cores) cores, files in $MPIKIT_BENCH_DIR"
for round in $(seq 1 "$rounds"); do
  sync # files removed before (by the last round) are freed before anything is timed
  t0=$(now)
  dd if=/dev/zero of="$B/dd.bin" bs=1M count=$((bytes / 1048576)) conv=fsync status=none
  echo "$round,write,1,dd,$(awk "BEGIN{print $(now) - $t0}")" >>"$csv"
  # dd's own source is one 1 MiB buffer that stays in the CPU cache; the same bytes copied
  # out of memory (dd.bin, just written, is in the page cache) are what an array's write
  # costs at best.
  sync
  t0=$(now)
  dd if="$B/dd.bin" of="$B/dd2.bin" bs=1M conv=fsync status=none
  echo "$round,write,1,dd-from-memory,$(awk "BEGIN{print $(now) - $t0}")" >>"$csv"
  t0=$(now)
  cat "$B/dd.bin" >/dev/null
  echo "$round,read,1,cat,$(awk "BEGIN{print $(now) - $t0}")" >>"$csv"
  rm -f "$B/dd.bin" "$B/dd2.bin"
  sync
  if [ -n "$py" ]; then
    s=$("$py" -c '
import h5py, numpy as np, os, sys, time
n, path = int(sys.argv[1]), sys.argv[2]
a = np.arange(n, dtype=np.float64) * 0.5
t = time.perf_counter()
with h5py.File(path, "w") as f:
    f["a"] = a
fd = os.open(path, os.O_RDONLY); os.fsync(fd); os.close(fd)
print(time.perf_counter() - t)' "$n" "$B/h5py.h5")
    echo "$round,write,1,h5py,$s" >>"$csv"
    rm -f "$B/h5py.h5"
  fi
  for np in 2 4; do
    mpirun_np "$np" "$bench" --bench file-write,file-read --sizes $((bytes / np)) --reps 1 \
      --csv "$B/io-part.csv" >/dev/null
    awk -F, -v r="$round" 'NR > 1 && $1 ~ /^file-/ { sub(/^file-/, "", $1); print r "," $1 "," $3 "," $4 "," $5 }' \
      "$B/io-part.csv" >>"$csv"
  done
done
rm -rf "$MPIKIT_BENCH_DIR" "$B/io-part.csv"

awk -F, -v bytes="$bytes" '
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  NR == 1 { next }
  {
    key = $2 " -n " $3 " " $4
    if (!(key in seen)) { seen[key] = 1; order[++no] = key }
    k = ++cnt[key]; s[key, k] = $5
    if (k == 1 || $5 < lo[key]) lo[key] = $5
    if (k == 1 || $5 > hi[key]) hi[key] = $5
  }
  END {
    for (i = 1; i <= no; i++) { key = order[i]; for (k = 1; k <= cnt[key]; k++) a[k] = s[key, k]; med[key] = median(a, cnt[key]) }
    dd = med["write -n 1 dd"]; cat = med["read -n 1 cat"]
    printf "%-26s %26s %9s %8s\n", "variant", "seconds median (min..max)", "MB/s", "/ dd|cat"
    for (i = 1; i <= no; i++) {
      key = order[i]; base = (key ~ /^write/) ? dd : cat
      printf "%-26s %9.3f (%6.3f..%6.3f) %9.0f %7.2fx\n", key, med[key], lo[key], hi[key], bytes / med[key] / 1e6, med[key] / base
    }
    mem = med["write -n 1 dd-from-memory"]
    printf "\ngoal: contiguous writes within 1.2x of dd (of dd from memory):"
    for (i = 1; i <= no; i++) {
      key = order[i]
      if (key ~ /^write -n [24] (npy|npy-mpiio|h5)$/) printf " %s %.2fx (%.2fx);", substr(key, 7), med[key] / dd, med[key] / mem
    }
    printf "\n"
  }' "$csv"
say "samples in $csv"
