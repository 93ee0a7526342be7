#!/usr/bin/env bash
# One-sided access (issue 24): mpikit's rma next to the same MPI calls in C
# (scripts/bench/rma_c.c, built here with the MPI's mpicc) and to mpi4py.util.sync, every
# program launched in turn in each round (the order alternating between rounds):
#   counter  fetch-and-adds from every rank, at each --np: mpikit Counter::next | raw (the same
#            calls from Rust through rsmpi's ffi, in mpikit's process, interleaved) | C loop of
#            MPI_Fetch_and_op + MPI_Win_flush_local, after MPI_Init (C) and after
#            MPI_Init_thread(FUNNELED) (C-funneled: mpikit's level) | mpi4py Counter.next | the
#            same indices handed out by mpikit's Pool.map (chunksize 1, rank 0 the master)
#   mutex    lock + unlock pairs from every rank, at each --np: mpikit Mutex | C (the same MCS
#            queue lock, call for call) | mpi4py Mutex
#   put/get  rank 0 into / from rank 1 under a lock of all, at -n 2: mpikit put + flush(1), get |
#            raw | C MPI_Put + MPI_Win_flush_local + MPI_Win_flush, MPI_Get + MPI_Win_flush_local
# Prints one table per benchmark: microseconds per operation of one rank (the slowest rank's;
# put and get: rank 0's), median of the rounds (min), the rate of all ranks, the ratios and
# the goals. Writes .bench/rma.csv (round, bench, bytes, ranks, variant, seconds).
#   scripts/bench-rma.sh [--mpi openmpi|mpich] [--np 2,4,8] [--rounds K] [--reps R] [--sizes 8,64K,...]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
nps=2,4,8 rounds=3 reps=5 sizes=8,64K,256K,1M,4M,16M
parse_bench_flags 2,17 --np=nps --rounds=rounds --reps=reps --sizes=sizes -- "$@"
[[ $rounds =~ ^[1-9][0-9]*$ && $reps =~ ^[1-9][0-9]*$ && $reps -le 64 ]] || die "--rounds and --reps: whole numbers, --reps at most 64"
[[ $nps =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--np: rank counts such as 2,4,8"
for np in ${nps//,/ }; do ((np >= 2)) || die "--np: every count at least 2"; done
bench_prepare
say "building the C peer with $MPICC"
"$MPICC" -O2 -o "$B/rma_c" "$MPIKIT_ROOT/scripts/bench/rma_c.c"
python_peers
if [ -n "$PY" ] && ! "$PY" -c 'import sys, mpi4py; sys.exit(int(mpi4py.__version__.split(".")[0]) < 4)'; then
  say "mpi4py.util.sync needs mpi4py >= 4: upgrading .bench/venv (pip)"
  "$B/venv/bin/pip" install -q 'mpi4py>=4' >/dev/null 2>&1 || true
  "$PY" -c 'import sys, mpi4py; sys.exit(int(mpi4py.__version__.split(".")[0]) < 4)' ||
    { say "no mpi4py >= 4: mpi4py peers skipped"; PY=""; }
fi
bench=$TARGET_DIR/release/mpikit-bench
bytes=$(echo "$sizes" | tr ',' '\n' | awk '/[Kk]$/{print $0*1024; next} /[Mm]$/{print $0*1048576; next} {print $0}' | paste -sd, -)
# Iterations per timing: mpikit-bench's COUNTER_ITERS and MUTEX_ITERS (cli/src/bin/mpikit-bench/rma.rs);
# mpi4py's mutex fewer, as its waits sleep (its figures are per pair all the same).
counter_iters=20000 mutex_iters=2000
csv=$B/rma.csv
echo "round,bench,bytes,ranks,variant,seconds" >"$csv"
add() { sed "s/^/$round,/" >>"$csv"; }
mpikit() { # np benches [sizes]
  mpirun_np "$1" "$bench" --bench "$2" --reps "$reps" ${3:+--sizes "$3"} --csv "$B/rma-mpikit.csv" >/dev/null
  tail -n +2 "$B/rma-mpikit.csv" | add
}
c_peer() { # np bench arg: at MPI_THREAD_SINGLE, then at FUNNELED (as mpikit)
  mpirun_np "$1" "$B/rma_c" "$2" "$3" "$reps" | add
  mpirun_np "$1" "$B/rma_c" --funneled "$2" "$3" "$reps" | add
}
py_peer() { [ -z "$PY" ] || mpirun_np "$1" "$PY" "$MPIKIT_ROOT/scripts/bench/rma_mpi4py.py" "$2" "$3" "$reps" | add; }
for round in $(seq 1 "$rounds"); do
  say "round $round of $rounds"
  for np in ${nps//,/ }; do
    sides=(mpikit c py)
    ((round % 2)) || sides=(py c mpikit)
    for side in "${sides[@]}"; do
      case $side in
        mpikit) mpikit "$np" counter,mutex ;;
        c) c_peer "$np" counter "$counter_iters"; c_peer "$np" mutex "$mutex_iters" ;;
        py) py_peer "$np" counter "$counter_iters"; py_peer "$np" mutex $((800 / np)) ;;
      esac
    done
  done
  if ((round % 2)); then
    mpikit 2 put,get "$bytes"; c_peer 2 put "$bytes"; c_peer 2 get "$bytes"
  else
    c_peer 2 put "$bytes"; c_peer 2 get "$bytes"; mpikit 2 put,get "$bytes"
  fi
done
echo
awk -F, -v rounds="$rounds" "$AWK_MEDIAN"'
  NR == 1 { next }
  {
    k = $2 SUBSEP $3 SUBSEP $4 SUBSEP $5; s[k] = (k in s) ? s[k] " " $6 : $6
    if (!(($2 SUBSEP $3 SUBSEP $4) in seen)) { seen[$2 SUBSEP $3 SUBSEP $4] = 1; order[$2, ++n[$2]] = $3 SUBSEP $4 }
  }
  function has(b, key, v) { return (b SUBSEP key SUBSEP v) in s }
  function m(b, key, v) { return med(s[b SUBSEP key SUBSEP v]) }
  function cell(b, key, v) { return has(b, key, v) ? sprintf("%10.3f (%9.3f)", m(b, key, v) * 1e6, lo(s[b SUBSEP key SUBSEP v]) * 1e6) : sprintf("%22s", "-") }
  function yes(ok) { return ok ? "yes" : "NO" }
  # One table of variants per rank count, for counter and mutex.
  function per_ranks(b, title, vs, labels, goal,   i, j, key, f, nv, v, l, base, r) {
    if (!n[b]) return
    print title
    printf "%5s  %-34s %22s %14s %10s\n", "ranks", "variant", "us/op median (min)", "ops/s, all", "time / C"
    nv = split(vs, v, " "); split(labels, l, "|")
    for (i = 1; i <= n[b]; i++) {
      key = order[b, i]; split(key, f, SUBSEP)
      base = has(b, key, "C") ? m(b, key, "C") : 0
      for (j = 1; j <= nv; j++) {
        if (!has(b, key, v[j])) continue
        r = base ? sprintf("%10.3f", m(b, key, v[j]) / base) : sprintf("%10s", "-")
        printf "%5s  %-34s %s %14.0f %s\n", f[2], l[j], cell(b, key, v[j]), f[2] / m(b, key, v[j]), r
      }
      if (goal == "counter") {
        line = sprintf("       -n %s: mpikit/C time %.3f (goal <= 1.1: %s), mpikit/C-funneled %.3f (%s), mpikit/raw %.3f", f[2], m(b, key, "mpikit") / base, yes(m(b, key, "mpikit") <= 1.1 * base), m(b, key, "mpikit") / m(b, key, "C-funneled"), yes(m(b, key, "mpikit") <= 1.1 * m(b, key, "C-funneled")), m(b, key, "mpikit") / m(b, key, "raw"))
        if (has(b, key, "mpi4py")) line = line sprintf(", rate mpikit/mpi4py %.1fx (goal >= 10: %s)", m(b, key, "mpi4py") / m(b, key, "mpikit"), yes(m(b, key, "mpi4py") >= 10 * m(b, key, "mpikit")))
        print line sprintf(", rate Counter/Pool %.1fx", m(b, key, "pool") / m(b, key, "mpikit"))
      } else {
        line = sprintf("       -n %s: mpikit/C time %.3f, mpikit/C-funneled %.3f", f[2], m(b, key, "mpikit") / base, m(b, key, "mpikit") / m(b, key, "C-funneled"))
        if (has(b, key, "mpi4py")) line = line sprintf(", rate mpikit/mpi4py %.1fx (goal >= 10: %s)", m(b, key, "mpi4py") / m(b, key, "mpikit"), yes(m(b, key, "mpi4py") >= 10 * m(b, key, "mpikit")))
        print line
      }
    }
    print ""
  }
  END {
    per_ranks("counter", "counter: fetch-and-add 1 on rank 0 from every rank; us per op of one rank (slowest), median of " rounds " rounds (min)",
      "C C-funneled raw mpikit mpi4py pool", "C MPI_Fetch_and_op|C, MPI_THREAD_FUNNELED|raw (Rust ffi, same process)|mpikit Counter::next|mpi4py Counter.next|mpikit Pool.map (chunksize 1)", "counter")
    per_ranks("mutex", "mutex: lock + unlock pairs from every rank; us per pair of one rank (slowest), median of " rounds " rounds (min)",
      "C C-funneled mpikit mpi4py", "C (the same MCS lock)|C, MPI_THREAD_FUNNELED|mpikit Mutex|mpi4py Mutex", "mutex")
    for (t = 1; t <= 2; t++) {
      b = (t == 1) ? "put" : "get"
      if (!n[b]) continue
      print b ": rank 0 " (b == "put" ? "into rank 1, put + flush(1)" : "from rank 1, get (+ flush_local)") " under a lock of all, -n 2; us per op, median of " rounds " rounds (min)"
      printf "%9s %22s %22s %22s %22s %9s %9s %9s %9s  %s\n", "bytes", "C", "C-funneled", "raw (Rust ffi)", "mpikit", "MB/s", "mpikit/C", "/C-fun", "/raw", "goal <= 1.1 from 64K (C, C-funneled)"
      for (i = 1; i <= n[b]; i++) {
        key = order[b, i]; split(key, f, SUBSEP); r = m(b, key, "mpikit") / m(b, key, "C")
        rf = m(b, key, "mpikit") / m(b, key, "C-funneled")
        printf "%9s %s %s %s %s %9.0f %9.3f %9.3f %9.3f  %s\n", f[1], cell(b, key, "C"), cell(b, key, "C-funneled"), cell(b, key, "raw"), cell(b, key, "mpikit"), f[1] / m(b, key, "mpikit") / 1e6, r, rf, m(b, key, "mpikit") / m(b, key, "raw"), (f[1] >= 65536 ? yes(r <= 1.1) ", " yes(rf <= 1.1) : "-")
      }
      print ""
    }
  }' "$csv"
say "every figure in $csv"
