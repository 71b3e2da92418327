# Sourced by perf/bench.sh: Nebula (Debian), one process per namespace, a CA and two host
# certificates made for this run with nebula-cert, no lighthouse (each side knows the other's
# underlay address), its default AES-256-GCM, 203.0.113.17/.18 (/28), UDP port 4242.

start_nebula() {
  local t=$1 dir="$work/$1"
  mkdir -p "$dir"
  (cd "$dir" && umask 077 \
    && nebula-cert ca -name "ipop-bench-$tag" -duration 2h -out-crt ca.crt -out-key ca.key \
    && nebula-cert sign -ca-crt ca.crt -ca-key ca.key -name a -ip 203.0.113.17/28 -out-crt a.crt -out-key a.key \
    && nebula-cert sign -ca-crt ca.crt -ca-key ca.key -name b -ip 203.0.113.18/28 -out-crt b.crt -out-key b.key) \
    >"$work/$t-certs.log" 2>&1 || { cat "$work/$t-certs.log" >&2; return 1; }
  nebula_config "$dir" a 203.0.113.18 198.51.100.2
  nebula_config "$dir" b 203.0.113.17 198.51.100.1
  spawn "$t-a.log" ip netns exec "$nsA" nebula -config "$dir/a.yaml"
  vpn_pids[$t]=$last_pid
  spawn "$t-b.log" ip netns exec "$nsB" nebula -config "$dir/b.yaml"
  vpn_pids[$t]+=" $last_pid"
  address[$t]=203.0.113.18
}

# dir, side, peer overlay address, peer underlay address
nebula_config() {
  cat >"$1/$2.yaml" <<YAML
pki:
  ca: $1/ca.crt
  cert: $1/$2.crt
  key: $1/$2.key
static_host_map:
  "$3": ["$4:4242"]
lighthouse:
  am_lighthouse: false
  hosts: []
listen:
  host: 0.0.0.0
  port: 4242
punchy:
  punch: false
tun:
  dev: nbb$tag$2
  mtu: 1420
logging:
  level: warning
firewall:
  outbound:
    - port: any
      proto: any
      host: any
  inbound:
    - port: any
      proto: any
      host: any
YAML
}
