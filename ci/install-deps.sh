#!/usr/bin/env bash
# Installs the Debian packages the tests and benchmarks use, only those missing. Needs root.
set -euo pipefail

# prosody and coturn serve the NAT-traversal tests; conntrack flushes NAT mappings in the fault tests;
# nebula, tinc and openvpn are the benchmark's peers; curl scrapes the node's metrics endpoint inside
# test namespaces (ReloadTest, BenchTest); libipsec-mb1 (on CPUs with VAES and AVX-512) or else libgcrypt20
# carries the transport's AES-256-GCM when present (crypto.aead.IpsecMbAead, GcryptAead; OpenSSL otherwise).
packages=(iproute2 iputils-ping iperf3 nftables conntrack wireguard-go wireguard-tools sockperf procps openssl libssl3 libgcrypt20 jq maven
          prosody lua-event coturn nebula tinc openvpn curl)
# Intel's library is x86-64 code; Debian builds it for amd64 only.
[ "$(dpkg --print-architecture)" = amd64 ] && packages+=(libipsec-mb1)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ci/install-deps.sh: missing packages ${missing[*]}; run as root to install them." >&2
  exit 1
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Daemons (prosody, coturn, openvpn) must not start system-wide on install: the tests run their own
# instances inside namespaces. policy-rc.d answering 101 tells the packages' scripts not to start them.
policy=/usr/sbin/policy-rc.d
placed_policy=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; placed_policy=true
fi
trap '$placed_policy && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
