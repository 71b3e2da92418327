# Sourced by perf/bench.sh: the IPOP overlay, the product as a user runs it. Each namespace runs
# `ipop up --foreground` (the node daemon and the data-plane process it supervises) from a config
# written here; the two handshake over the overlay's own UDP sockets before any figure is taken.
# Instance k uses 192.0.2.(16k+1)/28 and .(16k+2), UDP port 51820+k, fresh keys.

# target, suite (aes256gcm | chacha20poly1305), TUN queues, instance number k (0-13)
start_ipop() {
  local t=$1 suite=$2 queues=$3 k=$4
  local dir="$work/$t" a="192.0.2.$((16 * k + 1))" b="192.0.2.$((16 * k + 2))"
  mkdir -p "$dir"
  (umask 077; wg genkey >"$dir/a.key"; wg genkey >"$dir/b.key")
  ipop_config "$dir" a "$a" b "$b" 198.51.100.2 "$suite" "$queues" "$k"
  ipop_config "$dir" b "$b" a "$a" 198.51.100.1 "$suite" "$queues" "$k"
  spawn "$t-a.log" ip netns exec "$nsA" ./ipop up --foreground --config "$dir/a.yaml"
  vpn_pids[$t]=$last_pid
  spawn "$t-b.log" ip netns exec "$nsB" ./ipop up --foreground --config "$dir/b.yaml"
  vpn_pids[$t]+=" $last_pid"
  address[$t]=$b
}

# dir, side, own address, peer side, peer address, peer underlay, suite, queues, k
ipop_config() {
  local dir=$1 side=$2 own=$3 peer=$4 peer_address=$5 underlay=$6 suite=$7 queues=$8 k=$9
  # interface.queues is the hook for the 1/2/4-queue figures (--ipop-queues): the config key
  # exists; how many queues the data plane really opens is the data plane's business.
  cat >"$dir/$side.yaml" <<YAML
node:
  name: bench-$side
  privateKeyFile: $dir/$side.key
interface:
  name: ipb$tag$k$side
  addresses: [$own/28]
  mtu: 1420
  queues: $queues
listen:
  port: $((51820 + k))
suite: $suite
dataplane:
  countersFile: $dir/$side.counters
  aeronDirectory: /dev/shm/ipopt-bench-$tag-$k-$side
peers:
  - name: bench-$peer
    publicKey: $(wg pubkey <"$dir/$peer.key")
    endpoint: $underlay:$((51820 + k))
    allowedAddresses: [$peer_address/32]
YAML
}
