#!/usr/bin/env bash
# Installs what mpikit needs and is missing (an MPI library, clang and libclang for
# bindgen, pkg-config, make for libffi, libhdf5 for the `hdf5` feature: the OpenMPI build
# with OpenMPI, the serial one with MPICH) with apt, then builds everything in release mode.
#   scripts/setup.sh [--mpi openmpi|mpich]
# Quiet and quick when nothing is missing. An MPI already on the machine (found through
# mpicc) is used as it is. Never changes the system's MPI configuration (installing
# libhdf5-openmpi-dev does make Debian's pkg-config `hdf5` name the MPI build: the scripts
# name the libhdf5 they build against with HDF5_DIR, see hdf5_dir in common.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
parse_common_flags "$@"
mpi_tools

have_libclang() {
  [ -n "${LIBCLANG_PATH:-}" ] && return 0
  compgen -G '/usr/lib/llvm-*/lib/libclang*.so*' >/dev/null ||
    compgen -G '/usr/lib/*-linux-gnu/libclang*.so*' >/dev/null
}
# bindgen parses mpi.h with clang, which needs its own headers (stddef.h).
have_clang_headers() { compgen -G '/usr/lib/llvm-*/lib/clang/*/include/stddef.h' >/dev/null; }

need=()
{ command -v "$MPICC" >/dev/null && command -v "$MPIRUN" >/dev/null; } || need+=("${MPI_PACKAGES[@]}")
have_libclang || need+=(libclang-dev)
{ command -v clang >/dev/null && have_clang_headers; } || need+=(clang)
command -v pkg-config >/dev/null || need+=(pkg-config)
# rsmpi's user operations build libffi from source (libffi-sys), with make.
command -v make >/dev/null || need+=(make)
# The `hdf5` feature (parsum's HDF5 files, mpikit::hdf5) links the system's libhdf5
# (hdf5-metno finds it with HDF5_DIR, else pkg-config): with OpenMPI, Debian's MPI build
# (parallel HDF5: chunked datasets written by every rank at once), with MPICH the serial one
# (see hdf5_dir in common.sh).
have_hdf5() {
  [ -n "${HDF5_DIR:-}" ] || pkg-config --exists hdf5 2>/dev/null ||
    compgen -G '/usr/include/hdf5/serial/hdf5.h' >/dev/null
}
if [ "$MPIKIT_MPI" = openmpi ] && [ "${MPIKIT_HDF5_DIR:-}" = "${HDF5_DIR:-}" ] && command -v apt-get >/dev/null; then
  compgen -G '/usr/lib/*-linux-gnu/hdf5/openmpi/include/hdf5.h' >/dev/null || need+=(libhdf5-openmpi-dev)
elif [ "$MPIKIT_MPI" = mpich ] && [ "${MPIKIT_HDF5_DIR:-}" = "${HDF5_DIR:-}" ]; then
  compgen -G '/usr/include/hdf5/serial/hdf5.h' >/dev/null || need+=(libhdf5-dev)
else
  have_hdf5 || need+=(libhdf5-dev)
fi

if ((${#need[@]})); then
  installing=1
  if ! command -v apt-get >/dev/null; then
    die "missing: ${need[*]} (Debian names). Install an MPI library with its compiler wrapper \
(OpenMPI or MPICH), clang with libclang, and pkg-config, then run this again."
  fi
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root or sudo to install: ${need[*]}"
    sudo=(sudo)
  fi
  say "installing ${need[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq >/dev/null
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# A libhdf5 installed just now: point HDF5_DIR at it.
[ -n "${installing:-}" ] && hdf5_dir
command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs) first"
cd "$MPIKIT_ROOT"
cargo build --release --all-targets --quiet
