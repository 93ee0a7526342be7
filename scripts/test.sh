#!/usr/bin/env bash
# README command two: set up if needed, then formatting, lints, and every test (unit tests,
# doc tests and the mpirun harness in tests/).
#   scripts/test.sh [--mpi openmpi|mpich] [extra cargo test args...]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
parse_common_flags "$@"
"$MPIKIT_ROOT/scripts/setup.sh" --mpi "$MPIKIT_MPI"
mpi_tools
cd "$MPIKIT_ROOT"
say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy --all-targets -- -D warnings"
cargo clippy --release --all-targets --quiet -- -D warnings
say "cargo test --release"
# The harness launches with this MPI's launcher.
MPIKIT_MPIRUN=$MPIRUN cargo test --release "${MPIKIT_ARGS[@]+"${MPIKIT_ARGS[@]}"}"
