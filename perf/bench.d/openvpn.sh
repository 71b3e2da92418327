# Sourced by perf/bench.sh: OpenVPN 2.6 (Debian), peer to peer over UDP with TLS (certificates
# made for this run with openssl: a CA, a server and a client certificate), AES-256-GCM data
# channel, userspace (no DCO), 203.0.113.49/.50 (/28 peer to peer), port 1194.

start_openvpn() {
  local t=$1 dir="$work/$1"
  mkdir -p "$dir"
  openvpn_certs "$dir" >"$work/$t-certs.log" 2>&1 || { cat "$work/$t-certs.log" >&2; return 1; }
  openvpn_config "$dir" a tls-client 203.0.113.49 203.0.113.50 "remote 198.51.100.2 1194
remote-cert-tls server"
  openvpn_config "$dir" b tls-server 203.0.113.50 203.0.113.49 "dh none
remote-cert-tls client"
  spawn "$t-b.log" ip netns exec "$nsB" openvpn --config "$dir/b.conf"
  vpn_pids[$t]=$last_pid
  spawn "$t-a.log" ip netns exec "$nsA" openvpn --config "$dir/a.conf"
  vpn_pids[$t]+=" $last_pid"
  address[$t]=203.0.113.50
}

openvpn_certs() {
  local d=$1
  (umask 077
   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
     -subj "/CN=ipop-bench-ca-$tag" -keyout "$d/ca.key" -out "$d/ca.crt"
   for side in a b; do
     usage=clientAuth; [ "$side" = b ] && usage=serverAuth
     openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
       -subj "/CN=bench-$side" -keyout "$d/$side.key" -out "$d/$side.csr"
     printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyAgreement\nextendedKeyUsage=%s\n' "$usage" \
       >"$d/$side.ext"
     openssl x509 -req -in "$d/$side.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 1 \
       -extfile "$d/$side.ext" -out "$d/$side.crt"
   done)
}

# dir, side, tls role, own address, peer address, role-specific lines
openvpn_config() {
  cat >"$1/$2.conf" <<CONF
dev ovb$tag$2
dev-type tun
proto udp
port 1194
$3
$6
ca $1/ca.crt
cert $1/$2.crt
key $1/$2.key
ifconfig $4 $5
data-ciphers AES-256-GCM
tun-mtu 1420
disable-dco
verb 1
writepid $1/$2.pid
CONF
}
