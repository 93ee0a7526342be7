# mpikit scripts: shared helpers. Source this file; do not run it.
# shellcheck shell=bash

MPIKIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export MPIKIT_ROOT

say() { printf 'mpikit: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# The MPI to build and launch with: "openmpi" (default) or "mpich". Set by --mpi.
MPIKIT_MPI=${MPIKIT_MPI:-openmpi}

# Parses the common --mpi flag out of "$@"; the rest is left in MPIKIT_ARGS.
parse_common_flags() {
  MPIKIT_ARGS=()
  while (($#)); do
    case "$1" in
      --mpi) [ $# -ge 2 ] || die "--mpi needs a value: openmpi or mpich"; MPIKIT_MPI=$2; shift 2 ;;
      --mpi=*) MPIKIT_MPI=${1#--mpi=}; shift ;;
      *) MPIKIT_ARGS+=("$1"); shift ;;
    esac
  done
  case "$MPIKIT_MPI" in
    openmpi|mpich) ;;
    *) die "unknown MPI '$MPIKIT_MPI' (expected openmpi or mpich)" ;;
  esac
}

# The flags of a benchmark script, after --mpi: parse_bench_flags LINES SPEC... -- "$@".
# SPEC is --flag=VAR (the flag takes a value, stored in VAR) or --flag=VAR:=VALUE (a switch
# that sets VAR to VALUE); -h / --help prints lines LINES (sed's "2,9") of the calling script.
parse_bench_flags() {
  local help=$1 spec flag
  local -A takes=() sets=()
  shift
  while (($#)) && [ "$1" != -- ]; do
    spec=$1 flag=${1%%=*}
    if [[ $spec == *:=* ]]; then sets[$flag]=${spec#*=}; else takes[$flag]=${spec#*=}; fi
    shift
  done
  (($#)) && shift
  parse_common_flags "$@"
  set -- "${MPIKIT_ARGS[@]+"${MPIKIT_ARGS[@]}"}"
  while (($#)); do
    if [[ $1 == -h || $1 == --help ]]; then
      sed -n "${help}p" "$0"; exit 0
    elif [[ -n ${takes[$1]+x} ]]; then
      (($# >= 2)) || die "$1 needs a value (see --help)"
      printf -v "${takes[$1]}" '%s' "$2"; shift 2
    elif [[ -n ${sets[$1]+x} ]]; then
      printf -v "${sets[$1]%%:=*}" '%s' "${sets[$1]#*:=}"; shift
    else
      die "unknown option $1 (see --help)"
    fi
  done
}

# awk functions for the benchmark reports, to put before an awk program: sorted(list, a)
# sorts a space-separated list of numbers into a and returns its length; med(list) and
# lo(list) are its median and its minimum.
# shellcheck disable=SC2034
AWK_MEDIAN='
  function sorted(list, a,   m, i, j, t) {
    m = split(list, a, " ")
    for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return m
  }
  function med(list,   a, m) { m = sorted(list, a); return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
  function lo(list,   a) { sorted(list, a); return a[1] }
'

# Compiler wrapper, launcher and cargo target directory for the chosen MPI.
# OpenMPI uses the system default names (an MPI already on the machine, found through
# mpicc, is used as it is); MPICH uses Debian's suffixed names and its own target directory,
# because mpi-sys does not rebuild when the MPI changes.
mpi_tools() {
  if [ "$MPIKIT_MPI" = mpich ]; then
    MPICC=${MPICC:-mpicc.mpich}; MPIRUN=${MPIRUN:-mpiexec.mpich}
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$MPIKIT_ROOT/target/mpich}
    MPI_PACKAGES=(mpich libmpich-dev)
  else
    MPICC=${MPICC:-mpicc}; MPIRUN=${MPIRUN:-mpirun}
    MPI_PACKAGES=(openmpi-bin libopenmpi-dev)
  fi
  export MPICC
  TARGET_DIR=${CARGO_TARGET_DIR:-$MPIKIT_ROOT/target}
  hdf5_dir
}

# Which libhdf5 the `hdf5` feature builds against (hdf5-metno-sys reads HDF5_DIR, else
# pkg-config's hdf5, which Debian points at whichever variant was installed last). With
# OpenMPI, Debian's MPI build (libhdf5-openmpi-dev) when it is there, so chunked datasets
# are written by every rank at once; with MPICH the serial build (libhdf5-dev), whose writes
# take turns: the two passes of scripts/test.sh test both. A HDF5_DIR set by the caller is
# kept.
hdf5_dir() {
  if [ -n "${HDF5_DIR:-}" ] && [ "${MPIKIT_HDF5_DIR:-}" != "$HDF5_DIR" ]; then
    return 0
  fi
  unset HDF5_DIR MPIKIT_HDF5_DIR
  local variant=serial dir
  [ "$MPIKIT_MPI" = openmpi ] && compgen -G '/usr/lib/*-linux-gnu/hdf5/openmpi/include/hdf5.h' >/dev/null &&
    variant=openmpi
  for dir in /usr/lib/*-linux-gnu/hdf5/"$variant"; do
    if [ -e "$dir/include/hdf5.h" ]; then
      export HDF5_DIR=$dir MPIKIT_HDF5_DIR=$dir
      return 0
    fi
  done
}

# Which MPI a launcher belongs to: openmpi, mpich or unknown.
launcher_flavor() {
  local v
  v=$("$1" --version 2>&1 | head -n 3)
  case "$v" in
    *"Open MPI"*|*OpenRTE*) echo openmpi ;;
    *HYDRA*|*MPICH*|*mpich*) echo mpich ;;
    *) echo unknown ;;
  esac
}

# Number of online cores.
cores() { getconf _NPROCESSORS_ONLN 2>/dev/null || nproc; }

# Environment and flags a launch of NP ranks needs with this MPI on this machine:
# OpenMPI refuses to run as root without two variables, refuses more ranks than cores
# without oversubscription (whose waiting ranks then yield the CPU), and binds ranks to
# cores, which would squeeze a rank's threads onto one core. On a machine without an
# RDMA network (no /sys/class/infiniband), Debian's OpenMPI still probes UCX at start-up,
# which costs about 0.25 s per job; the ob1 messaging layer (shared memory and TCP) is
# what it would end up using anyway. A user's own OMPI_MCA_pml always wins.
# Sets MPI_ENV (VAR=value words) and MPI_FLAGS (launcher flags).
launch_settings() {
  local np=$1
  MPI_ENV=(); MPI_FLAGS=()
  if [ "$(launcher_flavor "$MPIRUN")" = openmpi ]; then
    if [ "$(id -u)" -eq 0 ]; then
      MPI_ENV+=(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
    fi
    if [ "$np" -gt "$(cores)" ]; then
      MPI_ENV+=(OMPI_MCA_rmaps_base_oversubscribe=1)
    fi
    MPI_FLAGS+=(--bind-to none)
    if [ -z "${OMPI_MCA_pml:-}" ] && ! compgen -G '/sys/class/infiniband/*' >/dev/null; then
      MPI_ENV+=(OMPI_MCA_pml=ob1)
    fi
  fi
}

# mpirun_np NP PROGRAM [ARGS...]: launches with the settings above.
mpirun_np() {
  local np=$1; shift
  launch_settings "$np"
  env "${MPI_ENV[@]}" "$MPIRUN" -n "$np" "${MPI_FLAGS[@]}" "$@"
}

# bench_prepare: setup and build for the chosen MPI, then the benchmark folder .bench ($B).
bench_prepare() {
  "$MPIKIT_ROOT/scripts/setup.sh" --mpi "$MPIKIT_MPI"
  mpi_tools
  B=$MPIKIT_ROOT/.bench
  mkdir -p "$B"
}

# python_peers: sets PY to a Python with numpy and mpi4py (pip-installed into .bench/venv
# the first time; mpi4py's wheel uses the system MPI), or to "" when pip cannot get them.
python_peers() {
  PY=$B/venv/bin/python
  if ! "$PY" -c 'import numpy, mpi4py' 2>/dev/null; then
    say "installing numpy and mpi4py into .bench/venv (pip)"
    { python3 -m venv "$B/venv" && "$B/venv/bin/pip" install -q numpy mpi4py; } >/dev/null 2>&1 || true
  fi
  "$PY" -c 'import numpy, mpi4py' 2>/dev/null || { say "pip could not install numpy and mpi4py: Python peers skipped"; PY=""; }
}

# python_h5py: numpy and h5py in .bench/venv (pip, the first time), so that tests/dependent.rs
# checks that h5py reads mpikit's HDF5 files and tests/npz.rs that np.load reads its archives.
# Quiet when they are there; one line when pip cannot get them (the tests then say they skip
# those checks).
python_h5py() {
  local venv=$MPIKIT_ROOT/.bench/venv
  "$venv/bin/python" -c 'import h5py, numpy' 2>/dev/null && return 0
  if ! command -v python3 >/dev/null; then
    say "no python3: tests/dependent.rs skips its h5py check"
    return 0
  fi
  say "installing numpy and h5py into .bench/venv (pip) for tests/dependent.rs and tests/npz.rs"
  mkdir -p "$MPIKIT_ROOT/.bench"
  { python3 -m venv "$venv" && "$venv/bin/pip" install -q numpy h5py; } >/dev/null 2>&1 ||
    say "pip could not install numpy and h5py: tests/dependent.rs and tests/npz.rs skip their Python checks"
}
