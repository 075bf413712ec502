#!/usr/bin/env bash
# up.sh - ganetimgr's copy of /work/shared/real-ganeti/up.sh (see README.md here).
# Bring up a REAL Ganeti 3.0 cluster (Debian package `ganeti`, fake
# hypervisor) on this machine, so that its real RAPI daemon can be used as a
# test peer.  One node by default; GANETI_NODES=2 adds a second node (own
# network/mount/UTS namespaces) so that migrate/failover work too.
# Idempotent: run it again at any time; it only does what is missing
# (install, network, init, daemons, node2, RAPI user, forwarder).
#
# Layout (all local to this machine, nothing is routed anywhere else):
#   * network namespace "ganeti" holding bridge gnt-br0 = 198.51.100.10/24
#     (node primary IP) + the master IP 198.51.100.100/32 that Ganeti adds
#     itself; a veth pair gnt-host (host side, 198.51.100.1/24) <-> gnt-ns
#     (enslaved to gnt-br0) lets the host reach the namespace.  The namespace
#     has no default route, so Ganeti cannot send anything off-box.
#   * a persistent UTS namespace (/run/ganeti-test/uts) whose hostname is
#     node1.ganeti.test: Ganeti needs a FQDN that resolves to a non-loopback
#     address it owns; the host keeps its own hostname.
#   * all Ganeti daemons run inside both namespaces (see gnt.sh).
#   * RAPI: https://198.51.100.100:5080 (inside the namespace) and, unless
#     RAPI_LOOPBACK_PORT=0, a socat forwarder on https://127.0.0.1:5080.
#
# Requires root.  Does not need systemd (works with none as PID 1).
# When it cannot work (not root, no namespaces, apt unreachable, a step
# fails), its LAST line on stderr is one line "up.sh: cannot start the Ganeti
# testbed: <reason>" and it exits 1; the pytest fixture (tests/testbed.py)
# shows that line as the skip reason.
set -eEuo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$HERE/common.sh"

T_START=$(now)
log() { printf '[up %6.1fs] %s\n' "$(elapsed "$T_START")" "$*"; }
OWN_POLICY_RC=0     # 1 while our temporary policy-rc.d is in place
die() {
  trap - ERR
  if [[ $OWN_POLICY_RC -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
  echo "up.sh: cannot start the Ganeti testbed: $*" >&2
  exit 1
}
# any unexpected failure still ends with one line naming the command
trap 'die "step failed (up.sh line $LINENO, exit $?): $BASH_COMMAND"' ERR

# ---------------------------------------------------------------- 0. preflight
# Fail within a second, with the reason, where the testbed cannot work.
preflight() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (it creates network namespaces and installs ganeti)"
  local cmd
  for cmd in ip unshare nsenter mountpoint awk curl; do
    command -v "$cmd" >/dev/null || die "command '$cmd' not found"
  done
  ip netns list >/dev/null 2>&1 || die "'ip netns' does not work here (iproute2 without netns support?)"
  unshare --net --uts --mount true 2>/dev/null \
    || die "cannot create network/UTS/mount namespaces here (unshare --net --uts --mount failed)"
  if [[ "$LOOPBACK_PORT" != 0 ]] && ! forwarder_running \
     && ss -Hltn "sport = :$LOOPBACK_PORT" 2>/dev/null | grep -q .; then
    die "127.0.0.1:$LOOPBACK_PORT is already in use by another process (set RAPI_LOOPBACK_PORT)"
  fi
}

# our socat forwarder (pid file) listening on $LOOPBACK_PORT, alive?
forwarder_running() {
  local pid
  [[ -f $STATE/socat.pid ]] || return 1
  pid=$(cat "$STATE/socat.pid")
  [[ -r /proc/$pid/cmdline ]] \
    && tr '\0' ' ' < "/proc/$pid/cmdline" \
       | grep -q "socat TCP-LISTEN:$LOOPBACK_PORT,.* TCP:$MASTER_IP:$RAPI_PORT"
}

preflight
mkdir -p "$STATE"
: > "$STATE/timings.new"
timing() { printf '%s=%s\n' "$1" "$2" >> "$STATE/timings.new"; }

# ---------------------------------------------------------------- 1. install
install_packages() {
  if dpkg-query -W -f='${Status}' ganeti 2>/dev/null | grep -q 'ok installed' \
     && command -v socat >/dev/null && command -v curl >/dev/null; then
    log "ganeti $(dpkg-query -W -f='${Version}' ganeti) already installed"
    return
  fi
  local t0; t0=$(now)
  # Keep apt's maintainer scripts from starting services (sshd, ganeti) in
  # the host network namespace: use a temporary policy-rc.d if none exists.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    OWN_POLICY_RC=1
  fi
  # short network timeouts and "any fetch error is an error": an unreachable
  # mirror must fail in seconds, not leave a half-updated package list
  local apt_opts=(-o Acquire::http::Timeout=15 -o Acquire::https::Timeout=15
                  -o Acquire::Retries=1 -o APT::Update::Error-Mode=any)
  log "apt-get update"
  timeout 120 apt-get update -qq "${apt_opts[@]}" >"$STATE/apt.log" 2>&1 \
    || die "apt-get update failed (mirror unreachable?): $(grep -m1 -E '^(E|W|Err):' "$STATE/apt.log" || tail -1 "$STATE/apt.log")"
  log "apt-get install ganeti (no recommends)"
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends \
    "${apt_opts[@]}" ganeti socat curl iproute2 util-linux openssh-server >>"$STATE/apt.log" 2>&1 \
    || { tail -30 "$STATE/apt.log" >&2
         die "apt-get install failed: $(grep -m1 -E '^(E|Err):' "$STATE/apt.log" || tail -1 "$STATE/apt.log")"; }
  if [[ $OWN_POLICY_RC -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; OWN_POLICY_RC=0; fi
  local dt; dt=$(elapsed "$t0")
  timing install_s "$dt"
  log "installed ganeti $(dpkg-query -W -f='${Version}' ganeti) in ${dt}s"
}

# ---------------------------------------------------------------- 2. network
setup_network() {
  ensure_netns "$NS"
  ip -n "$NS" link set lo up
  if ! ip -n "$NS" link show "$BR" >/dev/null 2>&1; then
    ip -n "$NS" link add "$BR" type bridge forward_delay 0 stp_state 0
  fi
  if ! ip link show "$VETH_HOST" >/dev/null 2>&1; then
    ip -n "$NS" link del "$VETH_NS" >/dev/null 2>&1 || true
    ip link add "$VETH_HOST" type veth peer name "$VETH_NS" netns "$NS"
  fi
  ip -n "$NS" link set "$VETH_NS" master "$BR"
  # no IPv6 chatter on these links
  ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || true
  sysctl -qw "net.ipv6.conf.$VETH_HOST.disable_ipv6=1" || true
  ip -n "$NS" addr replace "$NODE_IP/$PREFIX" dev "$BR"
  ip -n "$NS" link set "$VETH_NS" up
  ip -n "$NS" link set "$BR" up
  ip addr replace "$HOST_IP/$PREFIX" dev "$VETH_HOST"
  ip link set "$VETH_HOST" up
  # sanity: the namespace must have no default route
  if ip -n "$NS" route show default | grep -q .; then
    die "namespace $NS unexpectedly has a default route"
  fi
  # persistent UTS namespace with the node FQDN as hostname
  if ! mountpoint -q "$UTS" 2>/dev/null && ! grep -q " $UTS " /proc/self/mountinfo; then
    rm -f "$UTS"; touch "$UTS"
    unshare --uts="$UTS" hostname "$NODE_FQDN"
  fi
  [[ $(nsenter --uts="$UTS" hostname) == "$NODE_FQDN" ]] \
    || die "UTS namespace hostname is not $NODE_FQDN"
  log "network: netns $NS ($BR $NODE_IP/$PREFIX), host side $VETH_HOST $HOST_IP"
}

# ---------------------------------------------------------------- 3. names
setup_hosts() {
  local block tmp
  block=$(hosts_block)
  tmp=$(mktemp)
  sed "/^$HOSTS_BEGIN\$/,/^$HOSTS_END\$/d" /etc/hosts > "$tmp"
  printf '%s\n' "$block" >> "$tmp"
  if ! cmp -s "$tmp" /etc/hosts; then
    cat "$tmp" > /etc/hosts   # keep inode (bind-mounted in containers)
    log "/etc/hosts: wrote $HOSTS_BEGIN block"
  fi
  rm -f "$tmp"
}

# ---------------------------------------------------------------- 4. config
setup_files() {
  # Debian's default binds RAPI to 127.0.0.1 which, inside the namespace,
  # is unreachable from the host: bind to all addresses of the namespace.
  local want="RAPI_ARGS=\"-b 0.0.0.0 --require-authentication\""
  if [[ -f /etc/default/ganeti ]] && ! grep -qx "$want" /etc/default/ganeti; then
    [[ -f /etc/default/ganeti.real-ganeti-orig ]] \
      || cp /etc/default/ganeti /etc/default/ganeti.real-ganeti-orig
    if grep -q '^RAPI_ARGS=' /etc/default/ganeti; then
      sed -i "s|^RAPI_ARGS=.*|$want|" /etc/default/ganeti
    else
      echo "$want" >> /etc/default/ganeti
    fi
    log "/etc/default/ganeti: $want"
  fi
  mkdir -p "$FILE_DIR" "$SHARED_FILE_DIR"
  local paths; paths=$(printf '%s\n%s\n' "$FILE_DIR" "$SHARED_FILE_DIR")
  if [[ ! -f /etc/ganeti/file-storage-paths ]] \
     || [[ $(cat /etc/ganeti/file-storage-paths) != "$paths" ]]; then
    printf '%s\n' "$paths" > /etc/ganeti/file-storage-paths
  fi
  # Minimal no-op OS definitions (OS API 20): "noop" and "fakeimage" (with
  # variants, so frontends see "fakeimage+default"/"fakeimage+minimal").
  local os s
  for os in noop fakeimage; do
    mkdir -p "$OS_DIR/$os"
    for s in create export import rename verify; do
      cat > "$OS_DIR/$os/$s" <<EOF
#!/bin/sh
# no-op Ganeti OS script "$s" (test OS, fake hypervisor: nothing to do)
echo "$os OS: $s \${INSTANCE_NAME:-} variant=\${OS_VARIANT:-}" >&2
exit 0
EOF
      chmod 0755 "$OS_DIR/$os/$s"
    done
    printf '20\n15\n10\n' > "$OS_DIR/$os/ganeti_api_version"
    : > "$OS_DIR/$os/parameters.list"
  done
  printf 'default\nminimal\n' > "$OS_DIR/fakeimage/variants.list"
  # ssh host keys are required by gnt-cluster init (it records them)
  [[ -f /etc/ssh/ssh_host_rsa_key.pub ]] || ssh-keygen -A >/dev/null
}

# ---------------------------------------------------------------- 5. cluster
cluster_initialised() { [[ -f /var/lib/ganeti/config.data ]]; }

init_cluster() {
  local t0 dt
  t0=$(now)
  log "gnt-cluster init $CLUSTER_FQDN (fake hypervisor)"
  in_ns gnt-cluster init \
    --enabled-hypervisors=fake \
    --enabled-disk-templates=diskless,file,sharedfile \
    --file-storage-dir="$FILE_DIR" \
    --shared-file-storage-dir="$SHARED_FILE_DIR" \
    --master-netdev="$BR" \
    --nic-parameters="mode=bridged,link=$BR" \
    --no-etc-hosts --no-ssh-init \
    "$CLUSTER_FQDN"
  dt=$(elapsed "$t0"); timing cluster_init_s "$dt"
  log "cluster initialised in ${dt}s"
  # Relax the default instance policy (min disk 1 GiB, min 1 NIC, min 128 MiB
  # RAM, vcpu-ratio 4) so that tests can create tiny instances.
  in_ns gnt-cluster modify \
    --ipolicy-bounds-specs="min:cpu-count=1,disk-count=0,disk-size=1,memory-size=32,nic-count=0,spindle-use=0/max:cpu-count=32,disk-count=16,disk-size=1048576,memory-size=65536,nic-count=8,spindle-use=12" \
    --ipolicy-vcpu-ratio=64
  # hail (the default iallocator) enforces global N+1 redundancy, which a
  # one-node cluster can never satisfy ("FailN1"): pass --no-capacity-checks.
  # The value must be None (a bare flag); the CLI can only store True, which
  # hail rejects, so submit the opcode through Ganeti's Python client.
  in_ns /usr/bin/python3 -c '
import sys; sys.path.insert(0, "/usr/share/ganeti/default")
from ganeti import cli, opcodes
cli.SubmitOpCode(opcodes.OpClusterSetParams(
    default_iallocator_params={"no-capacity-checks": None}))'
  log "instance policy relaxed, hail runs with --no-capacity-checks"
}

all_daemons_running() {
  local d
  for d in ganeti-noded ganeti-wconfd ganeti-luxid ganeti-rapi ganeti-confd; do
    /usr/lib/ganeti/daemon-util check "$d" >/dev/null 2>&1 || return 1
  done
}

start_daemons() {
  if all_daemons_running; then
    log "ganeti daemons already running"
  else
    log "starting ganeti daemons (daemon-util start-all, inside namespaces)"
    in_ns /usr/lib/ganeti/daemon-util start-all
  fi
  # the master IP is brought up (asynchronously) by gnt-cluster init and by
  # the daemons' start-up; give it a moment before forcing it
  local i
  for i in $(seq 1 20); do
    ip -n "$NS" -4 addr show dev "$BR" | grep -q " $MASTER_IP/" && break
    sleep 0.5
  done
  if ! ip -n "$NS" -4 addr show dev "$BR" | grep -q " $MASTER_IP/"; then
    log "activating master IP $MASTER_IP"
    in_ns gnt-cluster activate-master-ip || true
  fi
}

# ---------------------------------------------------------------- 6. RAPI users
setup_rapi_user() {
  install -d -o gnt-rapi -g gnt-masterd -m 0750 /var/lib/ganeti/rapi
  local lines
  lines=$(printf '%s %s write\n%s %s read' "$RAPI_USER" "$RAPI_PASS" "$RAPI_RO_USER" "$RAPI_RO_PASS")
  if [[ ! -f $RAPI_USERS ]] || [[ $(cat "$RAPI_USERS") != "$lines" ]]; then
    printf '%s\n' "$lines" > "$RAPI_USERS"
    log "RAPI users file written ($RAPI_USER: write, $RAPI_RO_USER: read)"
  fi
  chown gnt-rapi:gnt-masterd "$RAPI_USERS"
  chmod 0640 "$RAPI_USERS"
}

# ---------------------------------------------------------------- 7. loopback
start_forwarder() {
  [[ "$LOOPBACK_PORT" != 0 ]] || return 0
  if forwarder_running; then
    log "loopback forwarder already running (pid $(cat "$STATE/socat.pid"))"
    return 0
  fi
  # a forwarder of ours on another port (RAPI_LOOPBACK_PORT changed): replace it
  local old
  old=$(cat "$STATE/socat.pid" 2>/dev/null || true)
  if [[ -n $old ]] && tr '\0' ' ' < "/proc/$old/cmdline" 2>/dev/null | grep -q "^socat .*TCP:$MASTER_IP:$RAPI_PORT"; then
    kill "$old" 2>/dev/null || true
  fi
  setsid socat "TCP-LISTEN:$LOOPBACK_PORT,bind=127.0.0.1,reuseaddr,fork" \
    "TCP:$MASTER_IP:$RAPI_PORT" </dev/null >"$STATE/socat.log" 2>&1 &
  echo $! > "$STATE/socat.pid"
  sleep 0.2
  forwarder_running || die "socat forwarder on 127.0.0.1:$LOOPBACK_PORT exited: $(tail -1 "$STATE/socat.log")"
  log "loopback forwarder 127.0.0.1:$LOOPBACK_PORT -> $MASTER_IP:$RAPI_PORT (pid $(cat "$STATE/socat.pid"))"
}

wait_rapi() {   # wait_rapi URL: up to 60 s for an authenticated GET /2/info
  local url=$1 t0 code=""; t0=$(now)
  local deadline=$(( $(date +%s) + 60 ))
  while (( $(date +%s) < deadline )); do
    code=$(curl -sk --max-time 3 -u "$RAPI_USER:$RAPI_PASS" -o /dev/null -w '%{http_code}' \
             "$url/2/info" 2>/dev/null || true)
    if [[ $code == 200 ]]; then
      log "RAPI answers at $url ($(elapsed "$t0")s)"
      return 0
    fi
    sleep 0.5
  done
  die "RAPI did not answer at $url within 60 s (last HTTP status: ${code:-none}; see /var/log/ganeti/rapi-daemon.log)"
}

# ---------------------------------------------------------------- 8. node2
# Optional (GANETI_NODES=2, or automatically when node2 is already part of
# the cluster): a second node, so that migrate/failover can be exercised.
want_node2() {
  [[ ${GANETI_NODES:-1} == 2 ]] \
    || grep -qx "$NODE2_FQDN" /var/lib/ganeti/ssconf_node_list 2>/dev/null
}

setup_node1_ssh() {
  # Ganeti SSHes from the master to a joining node; give the master its own
  # root key (bind-mounted on /root/.ssh inside the namespaces by in_ns)
  # instead of touching the host's /root/.ssh.
  if [[ ! -d /root/.ssh ]]; then    # bind-mount target; down.sh --purge
    mkdir -m 0700 /root/.ssh         # removes it again if still empty
    touch "$STATE/created-root-ssh"
  fi
  if [[ ! -f $N1SSH/id_rsa ]]; then
    mkdir -p "$N1SSH"; chmod 0700 "$N1SSH"
    ssh-keygen -q -t rsa -b 2048 -N '' -C "root@$NODE_FQDN" -f "$N1SSH/id_rsa"
  fi
  # daemons started before the key existed do not see it: restart them
  local pid
  pid=$(cat /var/run/ganeti/ganeti-noded.pid 2>/dev/null || true)
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null \
     && ! nsenter -t "$pid" -m test -f /root/.ssh/id_rsa; then
    log "restarting node1 daemons so that they see the master's SSH key"
    in_ns /usr/lib/ganeti/daemon-util stop-all
    in_ns /usr/lib/ganeti/daemon-util start-all
  fi
}

setup_node2() {
  # network: bridge $BR in $NS2, veth gnt-n2 (on node1's bridge) <-> gnt-eth
  ensure_netns "$NS2"
  ip -n "$NS2" link set lo up
  if ! ip -n "$NS2" link show "$BR" >/dev/null 2>&1; then
    ip -n "$NS2" link add "$BR" type bridge forward_delay 0 stp_state 0
  fi
  if ! ip -n "$NS" link show gnt-n2 >/dev/null 2>&1; then
    ip -n "$NS2" link del gnt-eth >/dev/null 2>&1 || true
    ip -n "$NS" link add gnt-n2 type veth peer name gnt-eth netns "$NS2"
  fi
  ip -n "$NS" link set gnt-n2 master "$BR"
  ip -n "$NS" link set gnt-n2 up
  ip -n "$NS2" link set gnt-eth master "$BR"
  ip netns exec "$NS2" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || true
  ip -n "$NS2" addr replace "$NODE2_IP/$PREFIX" dev "$BR"
  ip -n "$NS2" link set gnt-eth up
  ip -n "$NS2" link set "$BR" up
  if ip -n "$NS2" route show default | grep -q .; then
    die "namespace $NS2 unexpectedly has a default route"
  fi
  # node2's own directories and persistent mount + UTS namespaces
  mkdir -p "$NSDIR" "$N2DIR"/{lib,run,log,ssh,file-storage}
  chmod 0700 "$N2DIR/ssh"
  install -m 0600 "$N1SSH/id_rsa.pub" "$N2DIR/ssh/authorized_keys"
  if ! node2_ns_ready; then
    if ! mountpoint -q "$NSDIR"; then
      mount --bind "$NSDIR" "$NSDIR" && mount --make-private "$NSDIR"
    fi
    touch "$NSDIR/node2.mnt" "$NSDIR/node2.uts"
    mkdir -p /root/.ssh /run/ganeti /var/lib/ganeti /var/log/ganeti "$FILE_DIR"
    ensure_reboot_stub   # the powercycle shield of node2's namespace needs it
    unshare --mount="$NSDIR/node2.mnt" --uts="$NSDIR/node2.uts" \
      --propagation slave nsenter --net=/run/netns/"$NS2" /bin/sh -ec '
        state=$1 n2=$2 fqdn=$3 filedir=$4
        umount -l /sys && mount -t sysfs sysfs /sys   # /sys of this netns
        mount --bind "$n2/lib" /var/lib/ganeti
        mount --bind "$n2/run" /run/ganeti
        mount --bind "$n2/log" /var/log/ganeti
        mount --bind "$n2/ssh" /root/.ssh
        mount --bind "$n2/file-storage" "$filedir"'"$SHIELD_SH"'
        hostname "$fqdn"' sh "$STATE" "$N2DIR" "$NODE2_FQDN" "$FILE_DIR"
  fi
  [[ $(in_ns2 hostname) == "$NODE2_FQDN" ]] || die "node2 namespaces broken"
  # sshd for node2 (Ganeti joins nodes over SSH), listening only there
  local pid=""
  [[ -f $N2DIR/sshd.pid ]] && pid=$(cat "$N2DIR/sshd.pid")
  if [[ -z $pid ]] || ! tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "sshd.*$NODE2_IP"; then
    mkdir -p /run/sshd
    in_ns2 /usr/sbin/sshd -o ListenAddress="$NODE2_IP" -o PidFile="$N2DIR/sshd.pid" \
      -o PermitRootLogin=prohibit-password -o UsePAM=no \
      -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no
    log "node2 sshd started on $NODE2_IP:22 (pid $(cat "$N2DIR/sshd.pid" 2>/dev/null))"
  fi
  # node2 already in the cluster: its noded must be up BEFORE node1's
  # wconfd/luxid start (master voting asks every node; without an answer
  # from node2 they refuse to start)
  if grep -qx "$NODE2_FQDN" /var/lib/ganeti/ssconf_node_list 2>/dev/null; then
    if in_ns2 /usr/lib/ganeti/daemon-util check ganeti-noded >/dev/null 2>&1; then
      log "node2 daemons already running"
    else
      log "starting node2 daemons"
      in_ns2 /usr/lib/ganeti/daemon-util start-all
    fi
  fi
}

join_node2() {
  if ! grep -qx "$NODE2_FQDN" /var/lib/ganeti/ssconf_node_list; then
    local t0; t0=$(now)
    log "gnt-node add $NODE2_FQDN"
    in_ns gnt-node add --no-ssh-key-check "$NODE2_FQDN" </dev/null
    local dt; dt=$(elapsed "$t0"); timing node2_add_s "$dt"
    log "node2 joined in ${dt}s"
  fi
}

# ---------------------------------------------------------------- main
install_packages
setup_network
setup_hosts
setup_files
if want_node2; then setup_node1_ssh; setup_node2; fi
if cluster_initialised; then
  log "cluster already initialised ($(cat /var/lib/ganeti/ssconf_cluster_name 2>/dev/null || echo '?'))"
else
  init_cluster
fi
start_daemons
if want_node2; then setup_node1_ssh; join_node2; fi
setup_rapi_user
wait_rapi "https://$MASTER_IP:$RAPI_PORT"
start_forwarder
if [[ "$LOOPBACK_PORT" != 0 ]]; then wait_rapi "https://127.0.0.1:$LOOPBACK_PORT"; fi
timing up_total_s "$(elapsed "$T_START")"
mv "$STATE/timings.new" "$STATE/timings"

cat <<EOF

Ganeti $(dpkg-query -W -f='${Version}' ganeti) cluster $CLUSTER_FQDN is up (fake hypervisor, node $NODE_FQDN).
  RAPI URL:       https://$MASTER_IP:$RAPI_PORT   (self-signed cert: verify=False / curl -k)
EOF
if [[ "$LOOPBACK_PORT" != 0 ]]; then
  echo "  RAPI loopback: https://127.0.0.1:$LOOPBACK_PORT"
fi
cat <<EOF
  RAPI users:     $RAPI_USER / $RAPI_PASS (write), $RAPI_RO_USER / $RAPI_RO_PASS (read)
  nodes:          $(tr '\n' ' ' < /var/lib/ganeti/ssconf_node_list)
  OS names:       noop, fakeimage+default, fakeimage+minimal
  disk templates: diskless, file, sharedfile      NIC link: $BR
  gnt-* commands: $HERE/gnt.sh gnt-instance list
  timings:        $(tr '\n' ' ' < "$STATE/timings")
RAPI_URL=https://$MASTER_IP:$RAPI_PORT
EOF
