# What node-start.sh, node-stop.sh and node-leftovers.sh share (sourced, not run):
# the names of what a real node creates on the host, and how to list it.
# shellcheck shell=bash

# The node's address, on a bridge of its own (the kubelet refuses loopback).
NODE_BRIDGE=kau-node0
NODE_IP=198.51.100.1
# The pods' bridge and subnet (the CNI bridge plugin creates the bridge).
CNI_BRIDGE=kau-cni0
POD_SUBNET=203.0.113.0/24
CNI_BIN=/usr/lib/cni
# The kubelet's cgroupRoot: its pods' cgroups, apart from any other kubelet's.
CGROUP_ROOT=/kubectl-autoupdate-node
# The kernel settings the kubelet sets at start (its setupKernelTunables), and
# forwarding, which bridges may touch. Missing keys are skipped.
SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward net.ipv6.conf.all.forwarding)
# Paths that a kubelet, containerd or the CNI plugins write by default. The node's
# mount namespace hides /run, /var/lib and /var/log; the others are configured into DIR.
# Any of them that appears during a node's life is reported as a leftover. Not
# /run/containerd or /opt/containerd: any containerd's shims and its "opt" plugin
# write those (a test's Docker engine too); the node's are in its namespace or off.
HOST_PATHS=(/var/lib/cni /var/lib/kubelet /var/lib/containerd /var/log/containers /var/log/pods /etc/cni)

# Every cgroup hierarchy mounted on this machine (v1 controllers, named, unified).
mapfile -t CGROUP_HIERARCHIES < <(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts | sort -u)

# iptables_chains: "command table chain" for every chain of the iptables
# variants in use. Legacy tables are only read when already loaded, so that
# listing them loads no kernel module.
iptables_chains() {
  local cmd t
  for cmd in iptables ip6tables; do
    command -v "${cmd}" >/dev/null || continue
    for t in filter nat mangle raw; do
      "${cmd}" -w 5 -t "${t}" -S 2>/dev/null | awk -v c="${cmd}" -v t="${t}" '$1 == "-N" { print c, t, $2 }'
    done
  done
  for cmd in iptables-legacy ip6tables-legacy; do
    command -v "${cmd}" >/dev/null || continue
    local names=/proc/net/ip_tables_names
    [[ ${cmd} == ip6* ]] && names=/proc/net/ip6_tables_names
    [[ -r ${names} ]] || continue
    for t in $(<"${names}"); do
      "${cmd}" -w 5 -t "${t}" -S 2>/dev/null | awk -v c="${cmd}" -v t="${t}" '$1 == "-N" { print c, t, $2 }'
    done
  done
  return 0
}

# pick_ports ADDR...: one free TCP port on each address, picked by the OS.
pick_ports() {
  node -e '
const net = require("net");
const addrs = process.argv.slice(1);
Promise.all(addrs.map((a) => new Promise((ok, fail) => {
  const s = net.createServer();
  s.once("error", fail);
  s.listen(0, a, () => ok(s));
}))).then((ss) => {
  console.log(ss.map((s) => s.address().port).join(" "));
  ss.forEach((s) => s.close());
});' "$@"
}

# node_cgroups: every cgroup directory under the node's cgroup root, deepest first.
node_cgroups() {
  local h
  for h in "${CGROUP_HIERARCHIES[@]}"; do
    [[ -d ${h}${CGROUP_ROOT} ]] && find "${h}${CGROUP_ROOT}" -depth -type d
  done
  return 0
}
