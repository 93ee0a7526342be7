#!/usr/bin/env bash
# A test cluster on one machine: HOSTS (2 or 3) network namespaces mk-h1.. joined through a
# bridge in a switch namespace, with addresses in 10.77.0.0/24 that exist only inside them,
# and mpirun across them without ssh (OpenMPI's rsh agent runs `ip netns exec`).
#   scripts/cluster.sh up [HOSTS]     create (needs root: CAP_NET_ADMIN)
#   scripts/cluster.sh run NP PROGRAM [ARGS...]   mpirun across the hosts, NP ranks by node
#   scripts/cluster.sh cut N          cut host N's link (as a failed switch port would)
#   scripts/cluster.sh down           remove everything, ranks left behind included
# Each fake host believes it owns every core, so binding is off; each gets its own hostname
# (unshare --uts) so OpenMPI's shared-memory names do not collide. TCP keepalive on the
# launcher's own connections is cut to seconds (default: 5 minutes), so that when a link
# goes down for good mpirun notices the lost host and ends the job instead of waiting.
# One-sided windows go through osc sm (within a host) and pt2pt (across) unless OMPI_MCA_osc
# says otherwise: Open MPI 4.1 over TCP alone has no other one-sided component that works
# (its default choice fails with MPI_ERR_WIN).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
PREFIX=mk-h SWITCH=mk-sw SUBNET=10.77.0.0/24 STATE=/run/mpikit-cluster
hosts() { ip netns list 2>/dev/null | awk -v p="$PREFIX" 'index($1, p) == 1 {print $1}' | sort; }

up() {
  local n=${1:-2} i
  [ "$(id -u)" -eq 0 ] || die "cluster.sh up needs root (network namespaces)"
  if ! command -v ip >/dev/null; then
    command -v apt-get >/dev/null || die "ip (iproute2) is missing"
    say "installing iproute2 (apt)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iproute2 >/dev/null ||
      die "could not install iproute2"
  fi
  down >/dev/null 2>&1 || true
  ip netns add "$SWITCH"
  ip -n "$SWITCH" link add br0 type bridge
  ip -n "$SWITCH" link set br0 up
  for i in $(seq 1 "$n"); do
    ip netns add "$PREFIX$i"
    ip link add "mkv$i" type veth peer name "mkp$i"
    ip link set "mkv$i" netns "$PREFIX$i"
    ip link set "mkp$i" netns "$SWITCH"
    ip -n "$SWITCH" link set "mkp$i" master br0 up
    ip -n "$PREFIX$i" link set lo up
    ip -n "$PREFIX$i" link set "mkv$i" name eth0
    ip -n "$PREFIX$i" addr add "10.77.0.$i/24" dev eth0
    ip -n "$PREFIX$i" link set eth0 up
  done
  mkdir -p "$STATE"
  # The agent OpenMPI calls instead of ssh: AGENT HOST COMMAND...
  cat >"$STATE/agent" <<'AGENT'
#!/bin/sh
host=$1; shift
exec ip netns exec "$host" unshare --uts sh -c "hostname $host; exec sh -c \"\$0\"" "$*"
AGENT
  chmod +x "$STATE/agent"
  hosts >"$STATE/hostfile"
  sed -i 's/$/ slots=8/' "$STATE/hostfile"
  say "cluster up: $(hosts | tr '\n' ' ')($SUBNET)"
}

run() {
  local np=$1; shift
  [ -f "$STATE/hostfile" ] || die "no cluster: scripts/cluster.sh up first"
  local first
  first=$(hosts | head -n 1)
  # mpirun itself runs on the first host, as an ssh-launched job would on a login node.
  ip netns exec "$first" unshare --uts sh -c 'hostname "$0"; exec "$@"' "$first" \
    env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_osc="${OMPI_MCA_osc:-sm,pt2pt}" \
    mpirun -n "$np" --hostfile "$STATE/hostfile" --map-by node --bind-to none \
    --mca plm_rsh_agent "$STATE/agent" --mca plm_rsh_no_tree_spawn 1 \
    --mca pml ob1 --mca btl tcp,self --mca btl_tcp_if_include "$SUBNET" \
    --mca oob_tcp_if_include "$SUBNET" \
    --mca oob_tcp_keepalive_time 2 --mca oob_tcp_keepalive_intvl 1 --mca oob_tcp_keepalive_probes 3 \
    "$@"
}

down() {
  local h
  for h in $(hosts) "$SWITCH"; do
    ip netns pids "$h" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$h" 2>/dev/null || true
  done
  rm -rf "$STATE"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  run) shift; [ $# -ge 2 ] || die "usage: cluster.sh run NP PROGRAM [ARGS...]"; run "$@" ;;
  cut) [ $# -eq 2 ] || die "usage: cluster.sh cut HOST_NUMBER"; ip -n "$SWITCH" link set "mkp$2" down ;;
  down) down; say "cluster down" ;;
  *) die "usage: cluster.sh up [HOSTS] | run NP PROGRAM [ARGS...] | cut N | down" ;;
esac
