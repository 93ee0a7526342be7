#!/usr/bin/env bash
# The NAS Parallel Benchmarks on mpikit (npb-ep, npb-is, npb-cg, npb-mg, npb-ft) next to
# NASA's NPB 3.4-MPI references (ep.S.x, ... in the folder given with --reference, built by
# ../shared/peers/npb/build.sh; built there when --reference is "build"), for each class
# (--classes, default S,W,A) at -n 1, 2 and 4 with one thread per rank, the two sides one
# after the other in every round. Prints, per kernel, class and rank count, the median and min
# of each side's "Mop/s total", the ratio mpikit / reference of the medians, and whether both
# verified ("Verification = SUCCESSFUL"). Writes .bench/npb.csv (round, kernel, class, ranks,
# variant, mops, seconds, verified). Both sides are compiled for this CPU (NPB's make.def uses
# -O3 -march=native; the kernels RUSTFLAGS="-C target-cpu=native" into target/native).
#   scripts/bench-npb.sh [--mpi openmpi|mpich] [--reference DIR|build] [--classes S,W,A] [--kernels ep,is,cg,mg,ft] [--rounds K] [--np 1,2,4]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ref="" rounds=3 nps=1,2,4 classes=S,W,A kernel_list=ep,is,cg,mg,ft
parse_bench_flags 2,11 --reference=ref --rounds=rounds --np=nps --classes=classes --kernels=kernel_list -- "$@"
[[ $kernel_list =~ ^(ep|is|cg|mg|ft)(,(ep|is|cg|mg|ft))*$ ]] || die "--kernels: some of ep,is,cg,mg,ft, comma-separated"
[[ $classes =~ ^[SWABC](,[SWABC])*$ ]] || die "--classes: some of S,W,A,B,C, comma-separated"
bench_prepare
if [ "$ref" = build ]; then
  say "building NPB 3.4-MPI's references (../shared/peers/npb/build.sh ${classes//,/ })"
  # shellcheck disable=SC2086
  ref=$("$MPIKIT_ROOT/../shared/peers/npb/build.sh" ${classes//,/ } | tail -n1)
fi
read -r -a kernels <<<"${kernel_list//,/ }"
if [ -n "$ref" ]; then
  for c in ${classes//,/ }; do
    for k in "${kernels[@]}"; do
      [ -x "$ref/$k.$c.x" ] || die "--reference $ref has no $k.$c.x (build NPB's kernels there)"
    done
  done
fi
native=$TARGET_DIR/native
say "building the kernels for this CPU (target-cpu=native) into $native"
CARGO_TARGET_DIR=$native RUSTFLAGS="-C target-cpu=native" cargo build --release --quiet -p mpikit-kernels
bin=$native/release
csv=$B/npb.csv
echo "round,kernel,class,ranks,variant,mops,seconds,verified" >"$csv"
one() { # variant np kernel class
  local variant=$1 np=$2 k=$3 c=$4 exe out mops secs ok
  if [ "$variant" = reference ]; then exe=("$ref/$k.$c.x"); else exe=("$bin/npb-$k" "$c"); fi
  out=$(MPIKIT_THREADS=1 OMP_NUM_THREADS=1 mpirun_np "$np" "${exe[@]}" 2>&1) || true
  mops=$(sed -n 's/^ *Mop\/s total *= *\([0-9.]*\).*/\1/p' <<<"$out" | tail -n1)
  secs=$(sed -n 's/^ *Time in seconds *= *\([0-9.]*\).*/\1/p' <<<"$out" | tail -n1)
  ok=0; grep -q "Verification *= *SUCCESSFUL" <<<"$out" && ok=1
  [ -n "$mops" ] || { echo "$out" >&2; die "$variant $k $c at -n $np printed no Mop/s"; }
  echo "$round,$k,$c,$np,$variant,$mops,$secs,$ok" >>"$csv"
}
for round in $(seq 1 "$rounds"); do
  say "round $round of $rounds"
  for c in ${classes//,/ }; do
    for k in "${kernels[@]}"; do
      for np in ${nps//,/ }; do
        one mpikit "$np" "$k" "$c"
        [ -n "$ref" ] && one reference "$np" "$k" "$c"
      done
    done
  done
done
echo
echo "NPB on mpikit next to NPB 3.4-MPI: Mop/s total, median of $rounds rounds (min); ratio mpikit / reference of the medians"
awk -F, "$AWK_MEDIAN"'
  NR == 1 { next }
  {
    k = $2 SUBSEP $3 SUBSEP $4; v[k, $5] = ((k SUBSEP $5) in v) ? v[k, $5] " " $6 : $6
    if (!(k in seen)) { seen[k] = 1; order[++n] = k }
    if ($8 != 1) bad[k, $5] = 1
  }
  function cell(k, w) { return ((k SUBSEP w) in v) ? sprintf("%10.1f (%10.1f)", med(v[k, w]), lo(v[k, w])) : sprintf("%23s", "-") }
  END {
    printf "%-6s %5s %5s %23s %23s %7s  %s\n", "kernel", "class", "ranks", "mpikit", "reference", "ratio", "verified"
    for (i = 1; i <= n; i++) {
      split(order[i], f, SUBSEP); k = order[i]
      r = ((k SUBSEP "reference") in v) ? sprintf("%7.2f", med(v[k, "mpikit"]) / med(v[k, "reference"])) : sprintf("%7s", "-")
      ok = ((k SUBSEP "mpikit") in bad) ? "mpikit NO" : "mpikit yes"
      if ((k SUBSEP "reference") in v) ok = ok (((k SUBSEP "reference") in bad) ? ", reference NO" : ", reference yes")
      if ((k SUBSEP "mpikit") in bad || (k SUBSEP "reference") in bad) failed = 1
      printf "%-6s %5s %5s %s %s %s  %s\n", f[1], f[2], f[3], cell(k, "mpikit"), cell(k, "reference"), r, ok
    }
    exit failed
  }' "$csv"
say "every figure in $csv"
