#!/usr/bin/env bash
# Runs JMH benchmarks of the perf module.
#   perf/jmh.sh [--section NAME | --results NAME] [JMH arguments ...]
# With --section, the results also replace the section NAME of docs/performance.md, together with
# this exact command line, so every figure in the docs comes from a run anyone can repeat.
# --results NAME only names the CSV (perf/results/NAME.csv). Every benchmark: perf/jmh-all.sh.
# Example: perf/jmh.sh --section jmh-crypto 'crypto.*' -prof gc -f 1 -wi 2 -i 3
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. ci/find-jdk.sh
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow -Djansi.noreset=true"

command_line="perf/jmh.sh $*"
section=""
name=""
if [ "${1:-}" = "--section" ]; then
  section="$2"
  name="$2"
  shift 2
elif [ "${1:-}" = "--results" ]; then
  name="$2"
  shift 2
fi

# perf/jmh-all.sh builds once for all its groups.
[ "${IPOP_PERF_BUILT:-}" = 1 ] || mvn -B -q -ntp -Dstyle.color=never -DskipTests -pl perf -am package
cp="perf/target/classes:$(cat perf/target/jmh.classpath)"
jvm_args="--enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"

mkdir -p perf/results
csv="perf/results/${name:-last}.csv"
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" $jvm_args -cp "$cp" org.openjdk.jmh.Main -jvmArgsAppend "$jvm_args" -rf csv -rff "$csv" "$@"

if [ -n "$section" ]; then
  "$JAVA_HOME/bin/java" -cp "$cp" net.ipop.perf.report.JmhReport "$csv" "$section" docs/performance.md "$command_line"
  echo "Updated section '$section' of docs/performance.md"
fi
