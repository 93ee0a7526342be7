#!/usr/bin/env bash
# The distributed FFT (issue 25): mpikit's FftPlan next to FFTW's MPI transforms
# (scripts/bench/fftw_mpi.c, built here with the MPI's mpicc against Debian's
# libfftw3-mpi-dev), on an n³ double-complex field in slabs, forward and inverse, out of place,
# the result in the input's layout, one thread per rank (FFTW plans with FFTW_MEASURE). The two
# sides are launched in turn in each round (the order alternating). Prints, per side n and
# rank count, the median (min) seconds per transform of each side and mpikit / FFTW; the goal
# is <= 1.3 for 256³ at -n 2. Then the same for 1-D transforms of n points split over the
# ranks (--lengths; mpikit's four-step transform, FFTW's fftw_mpi_plan_dft_1d in order).
# Writes .bench/fft.csv (round, bench, n, ranks, variant, seconds).
# Debian builds FFTW's MPI library for Open MPI only: with --mpi mpich the FFTW side is skipped.
#   scripts/bench-fft.sh [--mpi openmpi|mpich] [--sides 128,256] [--lengths 4M,16M] [--np 1,2,4]
#                        [--rounds K] [--reps R]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
sides=128,256 lengths=4M,16M nps=1,2,4 rounds=3 reps=5
parse_bench_flags 2,13 --sides=sides --lengths=lengths --np=nps --rounds=rounds --reps=reps -- "$@"
[[ $rounds =~ ^[1-9][0-9]*$ && $reps =~ ^[1-9][0-9]*$ ]] || die "--rounds and --reps: whole numbers from 1"
[[ $nps =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--np: rank counts such as 1,2,4"
[[ $sides =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--sides: sides such as 128,256"
[[ $lengths =~ ^[1-9][0-9]*[KM]?(,[1-9][0-9]*[KM]?)*$ ]] || die "--lengths: lengths such as 4M,16M (K, M: times 1024, 1024²)"
# 4M -> 4194304: the C peer takes plain numbers.
points() { local v=$1; case $v in *K) echo $((${v%K} * 1024)) ;; *M) echo $((${v%M} * 1048576)) ;; *) echo "$v" ;; esac; }
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
  for job in $(for n in ${sides//,/ }; do echo "fft:$n"; done) $(for n in ${lengths//,/ }; do echo "fft-line:$(points "$n")"; done); do
    kind=${job%%:*} n=${job#*:} line=()
    [ "$kind" = fft ] || line=(line)
    for np in ${nps//,/ }; do
      sides_in_turn=(mpikit fftw)
      ((round % 2)) || sides_in_turn=(fftw mpikit)
      for side in "${sides_in_turn[@]}"; do
        case $side in
          mpikit)
            MPIKIT_THREADS=1 mpirun_np "$np" "$bench" --bench "$kind" --sizes "$n" --reps "$reps" --csv "$B/fft-mpikit.csv" >/dev/null
            tail -n +2 "$B/fft-mpikit.csv" | add ;;
          fftw) [ -z "$fftw" ] || mpirun_np "$np" "$fftw" "$n" "$reps" "${line[@]+"${line[@]}"}" | add ;;
        esac
      done
    done
  done
done
echo
awk -F, -v rounds="$rounds" "$AWK_MEDIAN"'
  NR == 1 { next }
  { g = $2 SUBSEP $3 SUBSEP $4; k = g SUBSEP $5; s[k] = (k in s) ? s[k] " " $6 : $6; if (!(g in seen)) { seen[g] = 1; order[++n] = g } }
  function cell(key, v) { return ((key SUBSEP v) in s) ? sprintf("%9.4f (%9.4f)", med(s[key SUBSEP v]), lo(s[key SUBSEP v])) : sprintf("%21s", "-") }
  function ratio(key, a, b) { return ((key SUBSEP a) in s && (key SUBSEP b) in s) ? sprintf("%8.2f", med(s[key SUBSEP a]) / med(s[key SUBSEP b])) : sprintf("%8s", "-") }
  function table(bench, title,   i, f) {
    print title
    printf "%9s %5s %21s %21s %8s %21s %21s %8s\n", "n", "ranks", "mpikit forward", "FFTW forward", "ratio", "mpikit inverse", "FFTW inverse", "ratio"
    for (i = 1; i <= n; i++) {
      split(order[i], f, SUBSEP)
      if (f[1] != bench) continue
      printf "%9s %5s %s %s %s %s %s %s\n", f[2], f[3], cell(order[i], "forward"), cell(order[i], "fftw-forward"), ratio(order[i], "forward", "fftw-forward"), cell(order[i], "inverse"), cell(order[i], "fftw-inverse"), ratio(order[i], "inverse", "fftw-inverse")
    }
  }
  END {
    table("fft", "3-D complex FFT of an n³ field in slabs, seconds per transform, median of " rounds " rounds (min); mpikit / FFTW of the medians (goal <= 1.3 at 256³, -n 2)")
    print ""
    table("fft-line", "1-D complex FFT of n points split over the ranks, in order, seconds per transform, median of " rounds " rounds (min); mpikit / FFTW")
  }' "$csv"
say "every figure in $csv"
