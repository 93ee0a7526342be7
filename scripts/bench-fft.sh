#!/usr/bin/env bash
# The distributed FFT (issue 25): mpikit's FftPlan next to FFTW's MPI transforms
# (scripts/bench/fftw_mpi.c, built here with the MPI's mpicc against Debian's
# libfftw3-mpi-dev), on an n³ double-complex field in slabs, forward and inverse, out of place,
# the result in the input's layout, one thread per rank (FFTW plans with FFTW_MEASURE). The two
# sides are launched in turn in each round (the order alternating). Prints, per side n and
# rank count, the median (min) seconds per transform of each side and mpikit / FFTW; the goal
# is <= 1.3 for 256³ at -n 2. Writes .bench/fft.csv (round, bench, n, ranks, variant, seconds).
# Debian builds FFTW's MPI library for Open MPI only: with --mpi mpich the FFTW side is skipped.
#   scripts/bench-fft.sh [--mpi openmpi|mpich] [--sides 128,256] [--np 1,2,4] [--rounds K] [--reps R]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
sides=128,256 nps=1,2,4 rounds=3 reps=5
parse_bench_flags 2,10 --sides=sides --np=nps --rounds=rounds --reps=reps -- "$@"
[[ $rounds =~ ^[1-9][0-9]*$ && $reps =~ ^[1-9][0-9]*$ ]] || die "--rounds and --reps: whole numbers from 1"
[[ $nps =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--np: rank counts such as 1,2,4"
[[ $sides =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--sides: sides such as 128,256"
bench_prepare
fftw=""
if [ "$MPIKIT_MPI" = openmpi ]; then
  if [ ! -e /usr/include/fftw3-mpi.h ] || [ ! -e /usr/include/fftw3.h ]; then
    die "FFTW's MPI transforms are missing: install Debian's libfftw3-mpi-dev and libfftw3-dev (apt-get install libfftw3-mpi-dev libfftw3-dev), or run with --mpi mpich for mpikit alone"
  fi
  say "building the FFTW peer with $MPICC"
  "$MPICC" -O3 -march=native -o "$B/fftw_mpi" "$MPIKIT_ROOT/scripts/bench/fftw_mpi.c" -lfftw3_mpi -lfftw3 -lm
  fftw=$B/fftw_mpi
else
  say "Debian's FFTW MPI library is built for Open MPI: mpikit's side only"
fi
native=$TARGET_DIR/native
say "building mpikit-bench for this CPU (target-cpu=native) into $native"
CARGO_TARGET_DIR=$native RUSTFLAGS="-C target-cpu=native" cargo build --release --quiet -p mpikit-cli --bin mpikit-bench
bench=$native/release/mpikit-bench
csv=$B/fft.csv
echo "round,bench,n,ranks,variant,seconds" >"$csv"
add() { sed "s/^/$round,/" >>"$csv"; }
for round in $(seq 1 "$rounds"); do
  say "round $round of $rounds"
  for n in ${sides//,/ }; do
    for np in ${nps//,/ }; do
      sides_in_turn=(mpikit fftw)
      ((round % 2)) || sides_in_turn=(fftw mpikit)
      for side in "${sides_in_turn[@]}"; do
        case $side in
          mpikit)
            MPIKIT_THREADS=1 mpirun_np "$np" "$bench" --bench fft --sizes "$n" --reps "$reps" --csv "$B/fft-mpikit.csv" >/dev/null
            tail -n +2 "$B/fft-mpikit.csv" | add ;;
          fftw) [ -z "$fftw" ] || mpirun_np "$np" "$fftw" "$n" "$reps" | add ;;
        esac
      done
    done
  done
done
echo
awk -F, -v rounds="$rounds" "$AWK_MEDIAN"'
  NR == 1 { next }
  { k = $3 SUBSEP $4 SUBSEP $5; s[k] = (k in s) ? s[k] " " $6 : $6; if (!(($3 SUBSEP $4) in seen)) { seen[$3 SUBSEP $4] = 1; order[++n] = $3 SUBSEP $4 } }
  function cell(key, v) { return ((key SUBSEP v) in s) ? sprintf("%9.4f (%9.4f)", med(s[key SUBSEP v]), lo(s[key SUBSEP v])) : sprintf("%21s", "-") }
  function ratio(key, a, b) { return ((key SUBSEP a) in s && (key SUBSEP b) in s) ? sprintf("%8.2f", med(s[key SUBSEP a]) / med(s[key SUBSEP b])) : sprintf("%8s", "-") }
  END {
    print "3-D complex FFT of an n³ field in slabs, seconds per transform, median of " rounds " rounds (min); mpikit / FFTW of the medians (goal <= 1.3 at 256³, -n 2)"
    printf "%5s %5s %21s %21s %8s %21s %21s %8s\n", "n", "ranks", "mpikit forward", "FFTW forward", "ratio", "mpikit inverse", "FFTW inverse", "ratio"
    for (i = 1; i <= n; i++) {
      split(order[i], f, SUBSEP); key = order[i]
      printf "%5s %5s %s %s %s %s %s %s\n", f[1], f[2], cell(key, "forward"), cell(key, "fftw-forward"), ratio(key, "forward", "fftw-forward"), cell(key, "inverse"), cell(key, "fftw-inverse"), ratio(key, "inverse", "fftw-inverse")
    }
  }' "$csv"
say "every figure in $csv"
