#!/usr/bin/env bash
# heat_2d's checkpoint, side by side in one run (issue 26): both arrays of a SIDE x SIDE
# run (4096: 2 x 128 MiB of f64) saved by `heat_2d --checkpoint` on -n A and restored by
# `--restart` on -n B (and B -> A), next to numpy saving the same two arrays with np.save
# (synced, as the checkpoint is) and loading them with np.load, from one process. Rounds
# interleave every variant.
#   scripts/bench-checkpoint.sh [--mpi openmpi|mpich] [--side N] [--rounds R] [--ranks A,B]
# Prints medians (min..max) of seconds, the bytes on disk and MB/s; every sample goes to
# .bench/checkpoint.csv.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
side=4096 rounds=3 ranks=4,2
parse_bench_flags 2,9 --side=side --rounds=rounds --ranks=ranks -- "$@"
[[ $side =~ ^[1-9][0-9]*$ ]] || die "--side $side: a positive whole number"
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds $rounds: a positive whole number"
[[ $ranks =~ ^[1-9][0-9]*,[1-9][0-9]*$ ]] || die "--ranks $ranks: two rank counts, as 4,2"
bench_prepare
heat=$TARGET_DIR/release/examples/heat_2d
[ -x "$heat" ] || die "$heat is missing (scripts/setup.sh builds it)"
python_h5py
py=$B/venv/bin/python
"$py" -c 'import numpy' 2>/dev/null || { say "no numpy in .bench/venv: numpy's figures skipped"; py=""; }
export MPIKIT_THREADS=""
dir=$B/ckpt
csv=$B/checkpoint.csv
echo "round,variant,seconds,bytes" >"$csv"
a=${ranks%,*} b=${ranks#*,}
say "heat_2d ${side}x${side}: checkpoint on -n $a restored on -n $b and back, $rounds rounds, $(cores) cores"

# One save after step 1 (-n FROM), then a restart on -n TO that runs step 2.
pair() {
  local from=$1 to=$2 round=$3 out
  rm -rf "$dir"
  sync # the old checkpoint's blocks are freed before the save is timed
  out=$(mpirun_np "$from" "$heat" "$side" "$side" 1 --no-check --checkpoint "$dir" --checkpoint-every 1)
  awk -v r="$round" -v v="save -n $from" '/^checkpoint: [0-9]+ saves/ { print r "," v "," $7 "," $5 }' <<<"$out" >>"$csv"
  out=$(mpirun_np "$to" "$heat" "$side" "$side" 2 --no-check --restart "$dir")
  awk -v r="$round" -v v="restore -n $from -> $to" '/^checkpoint: restored/ { gsub(/\(/, "", $5); print r "," v "," $8 "," $5 }' <<<"$out" >>"$csv"
}
for round in $(seq 1 "$rounds"); do
  pair "$a" "$b" "$round"
  pair "$b" "$a" "$round"
  if [ -n "$py" ]; then
    sync
    "$py" - "$side" "$B/np" "$round" >>"$csv" <<'PY'
import numpy as np, os, sys, time
n, folder, r = int(sys.argv[1]), sys.argv[2], sys.argv[3]
os.makedirs(folder, exist_ok=True)
i, j = np.indices((n, n), dtype=np.float64)
u, v = np.sin(i * 0.001) * np.cos(j * 0.002), np.zeros((n, n))
paths = [os.path.join(folder, f) for f in ("u.npy", "v.npy")]
t = time.perf_counter()
for p, a in zip(paths, (u, v)):
    np.save(p, a)
for p in paths:
    fd = os.open(p, os.O_RDONLY); os.fsync(fd); os.close(fd)
s = time.perf_counter() - t
size = sum(os.path.getsize(p) for p in paths)
print(f"{r},numpy save,{s},{size}")
t = time.perf_counter()
back = [np.load(p) for p in paths]
s = time.perf_counter() - t
assert back[0].shape == (n, n)
print(f"{r},numpy load,{s},{size}")
PY
    rm -rf "$B/np"
  fi
done
rm -rf "$dir"

awk -F, '
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  NR == 1 { next }
  {
    key = $2
    if (!(key in seen)) { seen[key] = 1; order[++no] = key }
    k = ++cnt[key]; s[key, k] = $3; bytes[key] = $4
    if (k == 1 || $3 < lo[key]) lo[key] = $3
    if (k == 1 || $3 > hi[key]) hi[key] = $3
  }
  END {
    printf "%-22s %26s %12s %8s %9s\n", "variant", "seconds median (min..max)", "bytes", "MB/s", "/ numpy"
    for (i = 1; i <= no; i++) { key = order[i]; for (k = 1; k <= cnt[key]; k++) a[k] = s[key, k]; med[key] = median(a, cnt[key]) }
    for (i = 1; i <= no; i++) {
      key = order[i]; base = (key ~ /^save|numpy save/) ? med["numpy save"] : med["numpy load"]
      ratio = base > 0 ? sprintf("%8.2fx", med[key] / base) : "        -"
      printf "%-22s %9.3f (%6.3f..%6.3f) %12d %8.0f %s\n", key, med[key], lo[key], hi[key], bytes[key], bytes[key] / med[key] / 1e6, ratio
    }
  }' "$csv"
say "samples in $csv"
