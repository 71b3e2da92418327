# Sourced by perf/bench.sh: wireguard-go (Debian), one process per namespace, fresh keys,
# 203.0.113.1/.2 (/28), UDP port 51900.

start_wireguard_go() {
  local t=$1 dir="$work/$1"
  local ifa="wgb${tag}a" ifb="wgb${tag}b"
  mkdir -p "$dir"
  export WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1
  spawn "$t-a.log" ip netns exec "$nsA" wireguard-go -f "$ifa"
  vpn_pids[$t]=$last_pid
  spawn "$t-b.log" ip netns exec "$nsB" wireguard-go -f "$ifb"
  vpn_pids[$t]+=" $last_pid"
  wg_sockets+=("/var/run/wireguard/$ifa.sock" "/var/run/wireguard/$ifb.sock")
  wait_for "wireguard-go" 20 test -S "/var/run/wireguard/$ifa.sock" -a -S "/var/run/wireguard/$ifb.sock" \
    || { cat "$work/$t"-*.log >&2; return 1; }
  (umask 077; wg genkey >"$dir/a.key"; wg genkey >"$dir/b.key")
  in_a wg set "$ifa" listen-port 51900 private-key "$dir/a.key" \
    peer "$(wg pubkey <"$dir/b.key")" endpoint 198.51.100.2:51900 allowed-ips 203.0.113.2/32
  in_b wg set "$ifb" listen-port 51900 private-key "$dir/b.key" \
    peer "$(wg pubkey <"$dir/a.key")" endpoint 198.51.100.1:51900 allowed-ips 203.0.113.1/32
  in_a ip addr add 203.0.113.1/28 dev "$ifa"
  in_b ip addr add 203.0.113.2/28 dev "$ifb"
  in_a ip link set "$ifa" mtu 1420 up
  in_b ip link set "$ifb" mtu 1420 up
  address[$t]=203.0.113.2
}
