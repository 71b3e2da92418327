#!/usr/bin/env bash
# Runs the perf module's JMH benchmarks with JDK 25; arguments go to JMH unchanged, e.g.
#   perf/jmh.sh 'Aead.*' -prof gc
# Build first (never `mvn install`):
#   . ci/find-jdk.sh && mvn -B -q -ntp -pl perf -am package -DskipTests
# The machine is shared: prefer short runs (-f 1 -wi 2 -i 3 -w 1s -r 1s, the annotated defaults).
set -euo pipefail
perf_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$perf_dir/../ci/find-jdk.sh"
classpath_file="$perf_dir/target/jmh.classpath"
if [ ! -f "$classpath_file" ] || [ ! -d "$perf_dir/target/classes" ]; then
  echo "perf/jmh.sh: $classpath_file missing; build with: mvn -B -q -ntp -pl perf -am package -DskipTests" >&2
  exit 1
fi
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
  -cp "$(cat "$classpath_file"):$perf_dir/target/classes" org.openjdk.jmh.Main "$@"
