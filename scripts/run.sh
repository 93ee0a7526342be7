#!/usr/bin/env bash
# README command one: set up if needed, then run parsum on NP ranks (default 8).
#   scripts/run.sh [--mpi openmpi|mpich] [NP] [parsum options...]
# e.g. scripts/run.sh 4 --op mean --len 1e9
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
parse_common_flags "$@"
set -- "${MPIKIT_ARGS[@]+"${MPIKIT_ARGS[@]}"}"
np=8
if (($#)) && [[ $1 =~ ^[0-9]+$ ]]; then np=$1; shift; fi
[ "$np" -ge 1 ] || die "NP must be at least 1"
"$MPIKIT_ROOT/scripts/setup.sh" --mpi "$MPIKIT_MPI"
mpi_tools
mpirun_np "$np" "$TARGET_DIR/release/parsum" "$@"
