#!/usr/bin/env bash
# Builds and runs LtsGcmBenchmark against bcprov-lts8on (outside Maven: it conflicts with
# bcprov-jdk18on). Fetches the jar with Maven's ordinary client. JMH arguments pass through, e.g.
#   perf/lts/run.sh -f 1 -wi 4 -i 3 -w 1s -r 1s -prof gc
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
. ci/find-jdk.sh
lts_version=2.73.12.1
m2="${HOME}/.m2/repository"
mvn -B -q -ntp dependency:get -Dartifact=org.bouncycastle:bcprov-lts8on:$lts_version -Dtransitive=false
lts="$m2/org/bouncycastle/bcprov-lts8on/$lts_version/bcprov-lts8on-$lts_version.jar"
jmh="$m2/org/openjdk/jmh/jmh-core/1.37/jmh-core-1.37.jar:$m2/net/sf/jopt-simple/jopt-simple/5.0.4/jopt-simple-5.0.4.jar:$m2/org/apache/commons/commons-math3/3.6.1/commons-math3-3.6.1.jar"
proc="$m2/org/openjdk/jmh/jmh-generator-annprocess/1.37/jmh-generator-annprocess-1.37.jar"
out=perf/lts/target
rm -rf "$out" && mkdir -p "$out"
"$JAVA_HOME/bin/javac" -proc:full -cp "$lts:$jmh" -processorpath "$proc:$jmh" -d "$out" \
  $(find perf/lts/src -name '*.java')
"$JAVA_HOME/bin/java" -cp "$out:$lts:$jmh" org.openjdk.jmh.Main LtsGcmBenchmark \
  -jvmArgsAppend --enable-native-access=ALL-UNNAMED "$@"
