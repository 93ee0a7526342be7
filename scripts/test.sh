#!/usr/bin/env bash
# README command two: set up if needed, then formatting, lints, and every test (unit tests,
# doc tests and the mpirun harness in tests/) on OpenMPI, then the multi-rank parsum and
# example tests again on MPICH (built into target/mpich), so both MPIs stay working.
#   scripts/test.sh [--mpi openmpi|mpich] [extra cargo test args...]
# With --mpi, everything runs on that MPI only. MPIKIT_SKIP_SECOND_MPI=1 skips the MPICH pass;
# MPIKIT_SKIP_SLURM=1 skips installing slurm-wlm for tests/slurm.rs.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
explicit=0
for a in "$@"; do case "$a" in --mpi|--mpi=*) explicit=1 ;; esac; done
parse_common_flags "$@"
"$MPIKIT_ROOT/scripts/setup.sh" --mpi "$MPIKIT_MPI"
mpi_tools
cd "$MPIKIT_ROOT"
# tests/slurm.rs runs the sbatch template under a private Slurm (scripts/slurm/local.sh)
# when slurm-wlm and munge are there; as root with apt, install them for it (no service is
# started or configured: the test starts its own daemons with their own configuration).
# MPIKIT_SKIP_SLURM=1 leaves them out (the test then says it is skipped).
if [ "${MPIKIT_SKIP_SLURM:-0}" != 1 ] && [ "$MPIKIT_MPI" = openmpi ] && [ "$(id -u)" -eq 0 ] &&
  command -v apt-get >/dev/null && ! { [ -x /usr/sbin/slurmd ] && [ -x /usr/sbin/munged ]; }; then
  say "installing slurm-wlm munge (apt) for tests/slurm.rs"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null; } ||
    say "could not install slurm-wlm: tests/slurm.rs will be skipped"
fi
python_h5py
say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy --all-targets -- -D warnings"
cargo clippy --release --all-targets --quiet -- -D warnings
say "cargo test --release ($MPIKIT_MPI, $MPIRUN)"
# The harness launches with this MPI's launcher.
MPIKIT_MPIRUN=$MPIRUN cargo test --release "${MPIKIT_ARGS[@]+"${MPIKIT_ARGS[@]}"}"

if ((explicit == 0)) && [ "${MPIKIT_SKIP_SECOND_MPI:-0}" != 1 ]; then
  say "second MPI: MPICH (parsum, examples, run, buffers, mpi4py, immediate, reductions, posted, rooted, rma, rma_faults, one_sided, sort, sparse, fft, npz, mpiio, hdf5_arrays, checkpoint, pool_journal, the PRK and NPB kernels under mpiexec.mpich)"
  (
    # The OpenMPI pass exported its compiler wrapper; MPICH picks its own.
    unset CARGO_TARGET_DIR MPICC MPIRUN
    "$MPIKIT_ROOT/scripts/setup.sh" --mpi mpich
    MPIKIT_MPI=mpich
    mpi_tools
    # MPICH's ranks poll without yielding: oversubscribed suites need longer time limits,
    # and the harness's rank sweeps stop at 3 ranks here (tests/common: MPICH_MOST_RANKS).
    MPIKIT_TEST_TIMEOUT_SCALE=3 MPIKIT_MPIRUN=$MPIRUN cargo test --release --test parsum \
      --test examples --test run --test buffers --test mpi4py --test immediate --test reductions --test posted --test rooted --test rma --test rma_faults --test one_sided --test sort --test sparse --test fft --test npz --test mpiio --test hdf5_arrays --test checkpoint --test pool_journal --test prk --test npb
  )
fi
