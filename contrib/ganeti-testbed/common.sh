# common.sh - settings shared by up.sh, down.sh and gnt.sh (sourced, not run).
# ganetimgr's copy of /work/shared/real-ganeti (see README.md here).
# Every address below is local to this machine: 198.51.100.0/24 (TEST-NET-2)
# lives only on a veth pair / bridge inside a network namespace we create.
# (192.0.2.0/24 is avoided on purpose: on this VM eth0 already uses it.)
NS=${GNT_NETNS:-ganeti}                 # network namespace
STATE=/run/ganeti-test                  # runtime state (pid files, timings)
UTS=$STATE/uts                          # persistent UTS namespace (bind mount)
NODE_FQDN=node1.ganeti.test
NODE_IP=198.51.100.10
CLUSTER_FQDN=cluster.ganeti.test
MASTER_IP=198.51.100.100
NODE2_FQDN=node2.ganeti.test           # optional second node (GANETI_NODES=2)
NODE2_IP=198.51.100.11
NS2=${GNT_NETNS2:-ganeti2}
HOST_IP=198.51.100.1                    # host end of the veth pair
PREFIX=24
BR=gnt-br0                              # bridge in the namespace: node IP,
                                        # master netdev, default NIC link
VETH_HOST=gnt-host
VETH_NS=gnt-ns
RAPI_PORT=5080
LOOPBACK_PORT=${RAPI_LOOPBACK_PORT:-5080}   # 0 = no 127.0.0.1 forwarder
RAPI_USER=${RAPI_USER:-ganetimgr}
RAPI_PASS=${RAPI_PASS:-ganetimgr-secret}
RAPI_RO_USER=${RAPI_RO_USER:-ganetimgr-ro}        # read-only user: tests expect 403 on writes
RAPI_RO_PASS=${RAPI_RO_PASS:-ganetimgr-ro-secret}
RAPI_USERS=/var/lib/ganeti/rapi/users
FILE_DIR=/srv/ganeti/file-storage
SHARED_FILE_DIR=/srv/ganeti/shared-file-storage
OS_DIR=/srv/ganeti/os
HOSTS_BEGIN="# BEGIN real-ganeti test cluster"
HOSTS_END="# END real-ganeti test cluster"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

hosts_block() {
  echo "$HOSTS_BEGIN"
  echo "$NODE_IP $NODE_FQDN ${NODE_FQDN%%.*}"
  echo "$NODE2_IP $NODE2_FQDN ${NODE2_FQDN%%.*}"
  echo "$MASTER_IP $CLUSTER_FQDN ${CLUSTER_FQDN%%.*}"
  # resolvable instance names, for creates/renames with name_check=true
  local i
  for i in $(seq 1 9); do echo "198.51.100.$((20 + i)) inst$i.ganeti.test"; done
  echo "$HOSTS_END"
}

# Run a command inside the cluster's network + UTS namespaces.  `ip netns
# exec` also gives a private mount namespace with /sys remounted for the
# namespace (Ganeti checks bridges under /sys/class/net).  Inside that
# private mount namespace (nothing leaks to the host):
#  * if systemd runs as PID 1, /run/systemd/system is hidden so that
#    daemon-util starts the daemons itself (inside the namespaces) instead
#    of asking systemctl (which would start them outside);
#  * `reboot` (and /proc/sysrq-trigger if present) are shadowed by a stub:
#    the fake hypervisor implements node powercycle (RAPI POST
#    /2/nodes/<node>/powercycle) as a REAL reboot of this machine.
# SHIELD_SH is that part as sh code, for any private mount namespace of the
# cluster (node1's here, node2's in up.sh); it expects $state = $STATE and the
# stub written by ensure_reboot_stub.
SHIELD_SH='
    if [ -d /run/systemd/system ]; then
      mount -t tmpfs -o size=4k,mode=0755 tmpfs /run/systemd/system
    fi
    for r in /sbin/reboot /usr/sbin/reboot; do
      [ -e "$r" ] && mount --bind "$state/no-reboot" "$(readlink -f "$r")"
    done
    [ -e /proc/sysrq-trigger ] && mount --bind /dev/null /proc/sysrq-trigger
'
ensure_reboot_stub() {
  if [ ! -x "$STATE/no-reboot" ]; then
    mkdir -p "$STATE"
    printf '#!/bin/sh\necho "real-ganeti: $0 $* blocked inside the test cluster namespaces" >&2\nexit 1\n' \
      > "$STATE/no-reboot"
    chmod 0755 "$STATE/no-reboot"
  fi
}
in_ns() {
  ensure_reboot_stub
  ip netns exec "$NS" /bin/sh -c '
    state=$1; uts=$2; shift 2'"$SHIELD_SH"'
    # two-node mode: the master uses its own root SSH key (not the host one)
    if [ -d "$state/node1-ssh" ]; then
      mkdir -p /root/.ssh && mount --bind "$state/node1-ssh" /root/.ssh
    fi
    exec nsenter --uts="$uts" -- "$@"' in_ns "$STATE" "$UTS" "$@"
}

# ---- optional second node (GANETI_NODES=2): network namespace $NS2 with
# its own bridge $BR (same name: Ganeti checks the NIC link on every node),
# joined to node1's bridge by a veth pair, plus a persistent mount and UTS
# namespace in which /var/lib/ganeti, /run/ganeti, /var/log/ganeti,
# /srv/ganeti/file-storage and /root/.ssh are node2's own directories.
# /srv/ganeti/shared-file-storage is shared, so "sharedfile" instances can
# migrate / fail over between the two nodes.
NSDIR=$STATE/ns                 # bind-mounted private: holds ns bind mounts
N2DIR=$STATE/node2
N1SSH=$STATE/node1-ssh          # node1's (the master's) own root SSH key
in_ns2() {
  nsenter --net=/run/netns/"$NS2" --mount="$NSDIR/node2.mnt" \
          --uts="$NSDIR/node2.uts" -- "$@"
}
# a netns file under /run/netns survives a reboot when /run is not a tmpfs,
# but is only usable while it is a mount point
netns_ok() { grep -q " /run/netns/$1 " /proc/self/mountinfo 2>/dev/null; }
ensure_netns() {
  netns_ok "$1" && return 0
  rm -f "/run/netns/$1"
  ip netns add "$1"
}
node2_ns_ready() { grep -q " $NSDIR/node2.mnt " /proc/self/mountinfo 2>/dev/null; }
