#!/usr/bin/env bash
# Longer fuzzing runs than the few seconds every build spends (docs/reliability.md, "Fuzzing").
#
#   ci/fuzz.sh [--minutes N] [target]
#
# target: one fuzz target (e.g. inbound, handshake, config), a module (dataplane, crypto,
# control-plane: its fuzzAll target, which mixes all of the module's targets), or nothing for every
# target in turn. Each target runs N minutes (default 1) in Jazzer's fuzzing mode. A crashing input
# is moved into the target's inputs directory under src/test/resources, where every later build
# replays it as a regression test; the script then exits non-zero. The corpus Jazzer grows is kept
# in <module>/.cifuzz-corpus (ignored by git), so repeated runs pick up where the last one stopped.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

minutes=1
target=""
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --minutes=*) minutes="${1#--minutes=}"; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "ci/fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) target="$1"; shift ;;
  esac
done
case "$minutes" in ''|*[!0-9]*) echo "ci/fuzz.sh: --minutes takes a whole number, not '$minutes'" >&2; exit 2 ;; esac

# target -> module, test class (fully qualified) and method
targets="
ipv4 dataplane net.ipop.dataplane.pipeline.DataplaneFuzzTest
ipv6 dataplane net.ipop.dataplane.pipeline.DataplaneFuzzTest
segmenter dataplane net.ipop.dataplane.pipeline.DataplaneFuzzTest
inbound dataplane net.ipop.dataplane.pipeline.DataplaneFuzzTest
outbound dataplane net.ipop.dataplane.pipeline.DataplaneFuzzTest
coalescer dataplane net.ipop.dataplane.pipeline.DataplaneFuzzTest
commands dataplane net.ipop.dataplane.pipeline.DataplaneFuzzTest
transport crypto net.ipop.crypto.noise.CryptoFuzzTest
handshake crypto net.ipop.crypto.noise.CryptoFuzzTest
certificates crypto net.ipop.crypto.noise.CryptoFuzzTest
keyFile crypto net.ipop.crypto.noise.CryptoFuzzTest
config control-plane net.ipop.control.config.ControlPlaneFuzzTest
events control-plane net.ipop.control.config.ControlPlaneFuzzTest
"
modules="
dataplane dataplane net.ipop.dataplane.pipeline.DataplaneFuzzTest
crypto crypto net.ipop.crypto.noise.CryptoFuzzTest
control-plane control-plane net.ipop.control.config.ControlPlaneFuzzTest
"

if [ -z "$target" ]; then
  selected=$(echo "$targets" | sed '/^$/d')
elif line=$(echo "$targets" | awk -v t="$target" '$1 == t') && [ -n "$line" ]; then
  selected="$line"
elif line=$(echo "$modules" | awk -v t="$target" '$1 == t') && [ -n "$line" ]; then
  selected="fuzzAll ${line#* }"
else
  echo "ci/fuzz.sh: no fuzz target '$target'; one of:" $(echo "$targets" | awk '{print $1}') \
    "or a module: dataplane crypto control-plane" >&2
  exit 2
fi

. ci/find-jdk.sh
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
failed=0
while read -r method module class; do
  [ -n "$method" ] || continue
  echo "== fuzzing $method ($module, $class) for $minutes minute(s)"
  before=$(ls "$module"/crash-* "$module"/timeout-* 2>/dev/null || true)
  inputs="$module/src/test/resources/$(echo "${class%.*}" | tr . /)/${class##*.}Inputs/$method"
  before_inputs=$(ls "$inputs"/crash-* "$inputs"/timeout-* 2>/dev/null || true)
  # -Dtest turns the build's bounded fuzz run off; JAZZER_FUZZ=1 makes this test fuzz, not replay.
  # JUnit's default timeout (120 s) must not cut a longer run short, so JUnit's own timeouts are off;
  # Jazzer turns the test-template timeout into libFuzzer's per-input limit: an input running longer
  # than 10 s is a finding (a hang), kept like a crash.
  if ! JAZZER_FUZZ=1 mvn -B -ntp -pl "$module" -am test \
      -Dtest="${class##*.}#$method" -Dsurefire.failIfNoSpecifiedTests=false \
      -Djunit.jupiter.execution.timeout.mode=disabled \
      -Djunit.jupiter.execution.timeout.testtemplate.method.default=10s \
      -Djazzer.max_duration="${minutes}m" -Djazzer.instrumentation_includes='net.ipop.**'; then
    failed=1
  fi
  # Jazzer writes a finding straight into the inputs directory when it exists, else into the module.
  for crash in "$inputs"/crash-* "$inputs"/timeout-*; do
    [ -e "$crash" ] || continue
    case "$before_inputs" in *"$crash"*) continue ;; esac
    echo "   crashing input kept as a regression test: $crash"
    failed=1
  done
  for crash in "$module"/crash-* "$module"/timeout-*; do
    [ -e "$crash" ] || continue
    case "$before" in *"$crash"*) continue ;; esac
    mkdir -p "$inputs"
    mv "$crash" "$inputs/"
    echo "   crashing input kept as a regression test: $inputs/$(basename "$crash")"
    failed=1
  done
done <<< "$selected"
exit $failed
