#!/usr/bin/env bash
# The soak: iperf3 through the overlay for N minutes while a third node joins and leaves over and
# over; the nodes' heap, resident memory, descriptors and threads must stay flat and the packet
# counters of both ends must balance (SoakTest, control-plane, states the bounds).
#   ci/soak.sh [--minutes N]     (default 10)
# Writes its figures, with this command line, into the soak section of docs/reliability.md. The
# suite (ci/test.sh) runs the same test for 60 s, printing only. Needs root.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command_line="ci/soak.sh${*:+ $*}"
minutes=10
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="${2:-}"; shift 2 ;;
    *) echo "usage: ci/soak.sh [--minutes N]" >&2; exit 2 ;;
  esac
done
case "$minutes" in ''|*[!0-9]*|0) echo "--minutes needs a positive whole number" >&2; exit 2 ;; esac
if [ "$(id -u)" -ne 0 ]; then
  echo "ci/soak.sh needs root (network namespaces, TUN devices)" >&2
  exit 1
fi
bash ci/install-deps.sh
. ci/find-jdk.sh
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow -Djansi.noreset=true"

# The test's own timeout fits the suite's short run; a long soak turns JUnit's timeouts off.
mvn -B -ntp -Dstyle.color=never -pl control-plane -am verify -Dipop.fuzz.skip=true \
  -Dtest=SoakTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dipop.soak.seconds=$((minutes * 60)) -Djunit.jupiter.execution.timeout.mode=disabled \
  -Dipop.reliability.doc="$root/docs/reliability.md" -Dipop.reliability.command="$command_line"
echo "Figures written to docs/reliability.md"
