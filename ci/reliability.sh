#!/usr/bin/env bash
# The fault-injection and attack tests, run to regenerate their figures in docs/reliability.md:
#   ci/reliability.sh [--rounds N] [--tests LIST]
#     --rounds N     each fault N times (default 3; medians and ranges)
#     --tests LIST   only these test classes, comma-separated (default: all five below); their sections
#                    are rewritten, the others stay
# Runs, in network namespaces on this machine, FaultRecoveryTest (data plane SIGKILL, link down/up,
# NAT mappings flushed, roaming, each under ping and iperf3), OverlayFaultTest (a relayed overlay link:
# the TURN server restarted, an overlay node's data plane SIGKILLed, its control plane SIGKILLed and
# adopted by the next `ipop up`), SignallingRestartTest (the XMPP server restarted under two nodes),
# OverlayLinkHealthTest (an overlay's direct path cut, recovery over TURN, back to direct once healed) and AttackTest (spoofed
# handshake flood, replay flood under
# iperf3, key file and local file modes). Each writes its section of docs/reliability.md (between
# <!-- BEGIN name --> and <!-- END name -->) with this command line; a failed assertion fails the
# run and leaves that section as it was. The same tests run in the ordinary suite (ci/test.sh),
# where they only print their figures (one round). The soak is ci/soak.sh. Needs root; takes ~5
# minutes plus ~3 per extra round.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command_line="ci/reliability.sh${*:+ $*}"
rounds=3
tests='FaultRecoveryTest,OverlayFaultTest,SignallingRestartTest,AttackTest,OverlayLinkHealthTest'
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="${2:-}"; shift 2 ;;
    --tests) tests="${2:-}"; shift 2 ;;
    *) echo "usage: ci/reliability.sh [--rounds N] [--tests LIST]" >&2; exit 2 ;;
  esac
done
case "$rounds" in ''|*[!0-9]*|0) echo "--rounds needs a positive whole number" >&2; exit 2 ;; esac
case "$tests" in ''|*[!A-Za-z,]*) echo "--tests needs test class names separated by commas" >&2; exit 2 ;; esac
if [ "$(id -u)" -ne 0 ]; then
  echo "ci/reliability.sh needs root (network namespaces, TUN devices)" >&2
  exit 1
fi
bash ci/install-deps.sh
. ci/find-jdk.sh
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow -Djansi.noreset=true"

# -am builds what control-plane needs; -Dtest selects only these tests in every module. More rounds
# than the suite's one outlast the test's own timeout, so JUnit's timeouts are off.
mvn -B -ntp -Dstyle.color=never -pl control-plane -am verify -Dipop.fuzz.skip=true \
  -Dtest="$tests" -Dsurefire.failIfNoSpecifiedTests=false \
  -Dipop.faults.rounds="$rounds" -Djunit.jupiter.execution.timeout.mode=disabled \
  -Dipop.reliability.doc="$root/docs/reliability.md" -Dipop.reliability.command="$command_line"
echo "Figures written to docs/reliability.md"
