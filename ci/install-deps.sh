#!/usr/bin/env bash
# Installs the Debian packages the tests and benchmarks use, only those missing. Needs root.
set -euo pipefail

packages=(iproute2 iputils-ping iperf3 nftables wireguard-go wireguard-tools sockperf procps openssl libssl3 jq maven)
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
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
