#!/usr/bin/env bash
# The project's whole test suite, as CI runs it: installs what the tests need, finds a JDK >= 25,
# and runs every test of every module (privileged and slow ones included). Run as root.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ "$(id -u)" -ne 0 ]; then
  echo "ci/test.sh: the tests create TUN devices and network namespaces; run as root (sudo ci/test.sh)." >&2
  exit 1
fi
bash ci/install-deps.sh
. ci/find-jdk.sh
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow -Djansi.noreset=true"
echo "Using JDK at $JAVA_HOME"

# Namespaces left by an earlier, killed run carry our prefix; remove them so names never collide.
for ns in $(ip netns list 2>/dev/null | awk '/^ipopt-/{print $1}'); do ip netns del "$ns" || true; done

mvn -B -ntp -Dstyle.color=never verify "$@"
