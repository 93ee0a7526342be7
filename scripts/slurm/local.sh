#!/usr/bin/env bash
# A private single-node Slurm on this machine, for trying the batch template for real:
# munged with its own key and socket, slurmctld and slurmd with their own configuration,
# ports, state and logs — everything in DIR, nothing in /etc, no system service touched.
# Needs Debian's slurm-wlm and munge (apt-get install slurm-wlm munge) and root.
#   scripts/slurm/local.sh up DIR      start it; then: export SLURM_CONF=DIR/slurm.conf
#   scripts/slurm/local.sh down DIR    stop it (DIR is left for its logs)
set -euo pipefail
cmd=${1:-} dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,8p' "$0"; exit 2; }
say() { printf 'slurm-local: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

stop() {
  for d in slurmd slurmctld munged; do
    local pid
    pid=$(cat "$dir/$d.pid" 2>/dev/null) || continue
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/$d.pid"
  done
}

# Any failed step says which, with the daemons' last log lines.
trap 'say "failed: $BASH_COMMAND (line $LINENO)"; for f in "$dir"/*.log; do [ -f "$f" ] && { say "$f:"; tail -n 8 "$f" >&2; }; done' ERR

case "$cmd" in
down) stop; exit 0 ;;
up) ;;
*) die "unknown command $cmd (up or down)" ;;
esac

for t in munged slurmctld slurmd sbatch; do
  command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || die "$t not found (apt-get install slurm-wlm munge)"
done
[ "$(id -u)" -eq 0 ] || die "needs root (slurmd starts jobs as their user)"
grep -qE '^[^ ]+ /sys/fs/cgroup[^ ]* cgroup' /proc/mounts ||
  die "slurmd needs a cgroup file system, and /sys/fs/cgroup is not mounted here"
export PATH=$PATH:/usr/sbin
mkdir -p "$dir/state" "$dir/spool"
dir=$(cd "$dir" && pwd)
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
# Ports from the directory name, so two of these never clash with each other or a real one,
# below the kernel's ephemeral range (32768 up), where MPI's own connections come and go; a port
# something already listens on moves the block along.
base=$((10000 + $(printf '%s' "$dir" | cksum | cut -d' ' -f1) % 20000))
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 20); do
  listening "$base" || listening $((base + 1)) || break
  base=$((base + 211))
done

[ -f "$dir/munge.key" ] || { head -c 1024 /dev/urandom >"$dir/munge.key"; chmod 400 "$dir/munge.key"; }
cat >"$dir/slurm.conf" <<CONF
ClusterName=mpikit
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SrunPortRange=$((base + 2))-$((base + 200))
AuthType=auth/munge
AuthInfo=socket=$dir/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=pmix
ReturnToService=2
SchedulerType=sched/builtin
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=30 State=UP OverSubscribe=FORCE
CONF
export SLURM_CONF=$dir/slurm.conf

stop
munged --force --key-file="$dir/munge.key" --socket="$dir/munge.sock" \
  --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge.seed"
timeout 20 slurmctld -i -f "$SLURM_CONF"
timeout 20 slurmd -f "$SLURM_CONF"
# At most 30 s in all. sinfo retries an absent controller for about 10 s, so a daemon that
# died is noticed through its pid, and each sinfo has its own limit.
alive() { local pid; pid=$(cat "$dir/$1.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null; }
state=
for _ in $(seq 60); do
  sleep 0.5
  for d in slurmctld slurmd; do
    alive "$d" || { sleep 0.5; alive "$d"; } || {
      say "$d is not running (port $base or $((base + 1)) taken?); logs in $dir"
      tail -n 20 "$dir/$d.log" >&2 || true
      stop
      exit 1
    }
  done
  state=$(timeout 5 sinfo -h -o '%T' 2>&1 || true)
  if grep -qE '^(idle|mixed|allocated)' <<<"$state"; then
    say "up: $cpus CPUs on $host; export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
done
say "the node did not become idle in 30 s (sinfo: ${state:-nothing}); logs in $dir"
timeout 5 sinfo -N -l >&2 || true
tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
stop
exit 1
