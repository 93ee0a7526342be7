#!/usr/bin/env bash
# Every benchmark, then one report: parsum against its peers (bench-parsum.sh), the
# OSU-style collectives against mpi4py (bench-mpi4py.sh), in-place and non-blocking calls
# against raw rsmpi (bench-immediate.sh), the object allreduce by rank count (bench-reduce.sh),
# task pools (bench-pool.sh), the 2-D Jacobi stencil
# on DistArray against C and mpi4py (bench-stencil.sh), a file read + sum with plain and
# reproducible sums (bench-files.sh), and the Parallel Research Kernels against PRK's C
# references (bench-kernels.sh; MPIKIT_PRK_REFERENCE=DIR names their binaries), each interleaving its
# variants over several rounds; then target/release/mpikit-report turns the samples into
# bench/results.csv (name, ranks, threads, size, median, min, max, unit, peer) and the PNG
# plots in bench/, and bench/machine.txt says where and how they were measured.
#   scripts/bench.sh [--mpi openmpi|mpich] [--rounds R] [--quick]
# --quick: fewer rounds and sizes (a smoke run, minutes); the default takes about 15 minutes
# on 2 cores.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
rounds=5 quick=0
parse_bench_flags 2,11 --rounds=rounds --quick=quick:=1 -- "$@"
bench_prepare

font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
if [ ! -f "$font" ] && command -v apt-get >/dev/null; then
  sudo=(); [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  say "installing fonts-dejavu-core (apt) for the plots"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends fonts-dejavu-core >/dev/null ||
    { "${sudo[@]}" apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends fonts-dejavu-core >/dev/null; }
fi

mpi=(--mpi "$MPIKIT_MPI")
if ((quick)); then
  sizes=8,1K,64K,1M; prounds=2; crounds=1; frounds=2; len=2e7; stencil=(--size 1024 --steps 20 --np 1,2 --rounds 1)
  reduce=(--np 2,4 --sizes 8,1M --rounds 1)
else
  sizes=8,64,512,1K,4K,16K,64K,256K,1M,4M,16M; prounds=$rounds; crounds=2; frounds=$rounds; len=1e8
  stencil=(--rounds "$rounds"); reduce=(--rounds 3)
fi
out=$MPIKIT_ROOT/bench
mkdir -p "$out"
log=$out/summary.txt
: >"$log"
run() { say "$*"; "$@" 2>&1 | tee -a "$log"; }
run "$MPIKIT_ROOT/scripts/bench-parsum.sh" "${mpi[@]}" --rounds "$prounds" --len "$len"
run "$MPIKIT_ROOT/scripts/bench-mpi4py.sh" "${mpi[@]}" --rounds "$crounds" --sizes "$sizes"
run "$MPIKIT_ROOT/scripts/bench-immediate.sh" "${mpi[@]}" --rounds "$((crounds + 3))" --sizes "$sizes"
run "$MPIKIT_ROOT/scripts/bench-reduce.sh" "${mpi[@]}" "${reduce[@]}"
run "$MPIKIT_ROOT/scripts/bench-pool.sh" "${mpi[@]}" --rounds "$crounds"
run "$MPIKIT_ROOT/scripts/bench-stencil.sh" "${mpi[@]}" "${stencil[@]}"
run "$MPIKIT_ROOT/scripts/bench-files.sh" "${mpi[@]}" --rounds "$frounds" --len "$len"
# The PRK kernels, next to PRK's C references when MPIKIT_PRK_REFERENCE names their binaries.
kargs=(--rounds "$((quick ? 1 : 3))")
((quick)) && kargs+=(--quick)
[ -n "${MPIKIT_PRK_REFERENCE:-}" ] && kargs+=(--reference "$MPIKIT_PRK_REFERENCE")
run "$MPIKIT_ROOT/scripts/bench-kernels.sh" "${mpi[@]}" "${kargs[@]}"

{
  echo "measured: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "command: scripts/bench.sh --mpi $MPIKIT_MPI --rounds $rounds$( ((quick)) && echo ' --quick')"
  echo "cpu: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1), $(cores) cores"
  echo "memory: $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "mpi: $("$MPIRUN" --version 2>&1 | head -n1)"
  echo "kernel: $(uname -r)"
} >"$out/machine.txt"
"$TARGET_DIR/release/mpikit-report" --raw "$B" --out "$out" --font "$font"
say "report: $out/results.csv, $out/*.png, $out/summary.txt, $out/machine.txt"
