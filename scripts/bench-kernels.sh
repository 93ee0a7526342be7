#!/usr/bin/env bash
# The Parallel Research Kernels on mpikit (target/.../prk-*) next to their C + MPI references
# (ParRes/Kernels MPI1: the folder of built binaries stencil, transpose, p2p, sparse, random,
# nstream, reduce given with --reference), run one after the other in every round, at -n 1, 2
# and 4 with one thread per rank and at -n 1 with two threads (mpikit only; reported apart), at
# the main sizes (0.5-3 s a run here) and at one small size per kernel (per-call overheads).
# Prints, per kernel, size and rank count, the median and min of each side's time (PRK's
# "Avg time (s)", Random's "Time (s)"), the ratio of the median times mpikit / C (taken from
# the "Rate" lines, which carry more digits than the times of small sizes; for Random also
# the GUPS ratio mpikit / C) and whether both validated. Writes .bench/kernels.csv (round,
# kernel, size, ranks, threads, variant, seconds, rate, validated); mpikit-report adds the
# rows to bench/results.csv and plots bench/kernels.png.
#
# Both sides are compiled for this CPU: the references by PRK's make.defs (-O3
# -march=native), the kernels with RUSTFLAGS="-C target-cpu=native" into a target folder of
# their own (target/native). Without --reference only mpikit's side runs. With --npb DIR (or
# --npb build), the NAS Parallel Benchmarks follow (scripts/bench-npb.sh --reference DIR).
#   scripts/bench-kernels.sh [--mpi openmpi|mpich] [--reference DIR] [--npb DIR|build] [--rounds K] [--np 1,2,4] [--quick]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ref="" npb="" rounds=3 nps=1,2,4 quick=0
parse_bench_flags 2,18 --reference=ref --npb=npb --rounds=rounds --np=nps --quick=quick:=1 -- "$@"
if [ -n "$ref" ]; then
  for k in stencil transpose p2p sparse random nstream reduce; do
    [ -x "$ref/$k" ] || die "--reference $ref has no executable $k (build PRK's MPI1 kernels there)"
  done
fi
bench_prepare
native=$TARGET_DIR/native
say "building the kernels for this CPU (target-cpu=native) into $native"
CARGO_TARGET_DIR=$native RUSTFLAGS="-C target-cpu=native" cargo build --release --quiet -p mpikit-kernels
bin=$native/release

# kernel | main arguments | small arguments
if ((quick)); then
  cases=("stencil|10 1000|50 100" "transpose|5 1000|50 64" "p2p|20 1000 1000|50 100 100"
    "sparse|5 8 2|20 5 2" "random|16 20|16 12" "nstream|10 2000000 0|100 10000 0" "reduce|10 1000000|100 1000")
else
  cases=("stencil|20 4000|200 100" "transpose|10 4000|100 64" "p2p|100 4000 4000|100 100 100"
    "p2p|100 400 8000|" "sparse|10 10 4|50 5 2" "random|16 23|16 12" "nstream|20 20000000 0|200 10000 0"
    "reduce|50 10000000|200 1000")
fi
csv=$B/kernels.csv
echo "round,kernel,size,ranks,threads,variant,seconds,rate,validated" >"$csv"
# The figures a kernel prints: "Rate (...): R ... Avg time (s): T" (Random: "Time (s): T"),
# as positive numbers.
figure() { sed -n 's/.*[Tt]ime (s): *-\{0,1\}\([0-9.]*\).*/\1/p' | tail -n1; }
rate() { sed -n 's/^Rate ([^)]*): *-\{0,1\}\([0-9.]*\).*/\1/p' | tail -n1; }
one() { # variant threads np kernel args...
  local variant=$1 threads=$2 np=$3 kernel=$4 exe out t ok
  shift 4
  if [ "$variant" = c ]; then exe=$ref/$kernel; else exe=$bin/prk-$kernel; fi
  out=$(MPIKIT_THREADS=$threads OMP_NUM_THREADS=$threads mpirun_np "$np" "$exe" "$@" 2>&1) || true
  t=$(figure <<<"$out") r=$(rate <<<"$out")
  ok=0; grep -q "Solution validates" <<<"$out" && ok=1
  [ -n "$t" ] && [ -n "$r" ] || { echo "$out" >&2; die "$variant $kernel $* at -n $np printed no rate or time"; }
  echo "$round,$kernel,${*// /_},$np,$threads,$variant,$t,$r,$ok" >>"$csv"
}
for round in $(seq 1 "$rounds"); do
  say "round $round of $rounds"
  for c in "${cases[@]}"; do
    IFS='|' read -r kernel main small <<<"$c"
    for args in "$main" "$small"; do
      [ -n "$args" ] || continue
      # shellcheck disable=SC2086
      for np in ${nps//,/ }; do
        [ "$kernel" = random ] && ((np & (np - 1))) && continue
        one mpikit 1 "$np" "$kernel" $args
        [ -n "$ref" ] && one c 1 "$np" "$kernel" $args
      done
      # shellcheck disable=SC2086
      one mpikit 2 1 "$kernel" $args
    done
  done
done
echo
echo "PRK on mpikit next to the C + MPI references: seconds, median of $rounds rounds (min); ratio mpikit / C of the median times (from the rates)"
awk -F, "$AWK_MEDIAN"'
  NR == 1 { next }
  {
    k = $2 SUBSEP $3 SUBSEP $4 SUBSEP $5; v[k, $6] = ((k SUBSEP $6) in v) ? v[k, $6] " " $7 : $7
    rt[k, $6] = ((k SUBSEP $6) in rt) ? rt[k, $6] " " $8 : $8
    if (!(k in seen)) { seen[k] = 1; order[++n] = k }
    if ($9 != 1) bad[k, $6] = 1
  }
  function cell(k, w) { return ((k SUBSEP w) in v) ? sprintf("%10.6f (%10.6f)", med(v[k, w]), lo(v[k, w])) : sprintf("%23s", "-") }
  END {
    printf "%-10s %-18s %5s %7s %23s %23s %8s  %s\n", "kernel", "arguments", "ranks", "threads", "mpikit", "C + MPI", "ratio", "validated"
    for (i = 1; i <= n; i++) {
      split(order[i], f, SUBSEP); k = order[i]
      r = ((k SUBSEP "c") in v) ? sprintf("%8.3f", med(rt[k, "c"]) / med(rt[k, "mpikit"])) : sprintf("%8s", "-")
      g = (f[1] == "random" && (k SUBSEP "c") in v) ? sprintf("  GUPS mpikit/C %.3f", med(rt[k, "mpikit"]) / med(rt[k, "c"])) : ""
      ok = ((k SUBSEP "mpikit") in bad) ? "mpikit NO" : "mpikit yes"
      if ((k SUBSEP "c") in v) ok = ok (((k SUBSEP "c") in bad) ? ", C NO" : ", C yes")
      if ((k SUBSEP "mpikit") in bad || (k SUBSEP "c") in bad) failed = 1
      gsub("_", " ", f[2])
      printf "%-10s %-18s %5s %7s %s %s %s  %s%s\n", f[1], f[2], f[3], f[4], cell(k, "mpikit"), cell(k, "c"), r, ok, g
    }
    exit failed
  }' "$csv"
say "every figure in $csv"
if [ -n "$npb" ]; then
  "$MPIKIT_ROOT/scripts/bench-npb.sh" --mpi "$MPIKIT_MPI" --reference "$npb" --rounds "$rounds" --np "$nps"
fi
