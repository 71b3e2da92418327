# Sourced by perf/bench.sh: tinc 1.0 (Debian), router mode over UDP, one tincd per namespace,
# RSA keys made for this run, AES-256-CBC with HMAC-SHA256 (tinc 1.0's default, Blowfish, is a
# legacy cipher in OpenSSL 3), 203.0.113.33/.34 (/28), port 655.

start_tinc() {
  local t=$1 dir="$work/$1"
  tinc_config "$dir" a b 203.0.113.33 198.51.100.1
  tinc_config "$dir" b a 203.0.113.34 198.51.100.2
  # Each side trusts the other's host file, public key included.
  cp "$dir/a/hosts/a" "$dir/b/hosts/a"
  cp "$dir/b/hosts/b" "$dir/a/hosts/b"
  echo "ConnectTo = b" >>"$dir/a/tinc.conf"
  spawn "$t-a.log" ip netns exec "$nsA" tincd -c "$dir/a" -D --pidfile="$dir/a/tinc.pid"
  vpn_pids[$t]=$last_pid
  spawn "$t-b.log" ip netns exec "$nsB" tincd -c "$dir/b" -D --pidfile="$dir/b/tinc.pid"
  vpn_pids[$t]+=" $last_pid"
  address[$t]=203.0.113.34
}

# dir, name, peer name, overlay address, underlay address
tinc_config() {
  local d="$1/$2"
  mkdir -p "$d/hosts"
  cat >"$d/tinc.conf" <<CONF
Name = $2
Interface = tcb$tag$2
Mode = router
AddressFamily = ipv4
CONF
  cat >"$d/hosts/$2" <<CONF
Address = $5
Port = 655
Subnet = $4/32
Cipher = aes-256-cbc
Digest = sha256
CONF
  (umask 077; openssl genrsa -traditional -out "$d/rsa_key.priv" 2048 2>/dev/null)
  openssl rsa -in "$d/rsa_key.priv" -RSAPublicKey_out 2>/dev/null >>"$d/hosts/$2"
  cat >"$d/tinc-up" <<UP
#!/bin/sh
ip addr add $4/28 dev "\$INTERFACE"
ip link set "\$INTERFACE" mtu 1420 up
UP
  chmod 755 "$d/tinc-up"
}
