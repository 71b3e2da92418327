# Sourced by ./ipop and ci/*.sh: exports JAVA_HOME pointing at a JDK >= 25, or exits with a clear message.
# Looks at $IPOP_JAVA_HOME, $JAVA_HOME, the java on PATH, then every JDK under /usr/lib/jvm.

ipop_jdk_major() { # prints the feature version of the JDK at $1, or nothing
  local rel="$1/release" v
  [ -x "$1/bin/javac" ] || return 0
  if [ -f "$rel" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel")
  else
    v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = \([0-9]*\).*/\1/p')
  fi
  echo "$v"
}

ipop_find_jdk() {
  local c v path_java
  local candidates=()
  [ -n "${IPOP_JAVA_HOME:-}" ] && candidates+=("$IPOP_JAVA_HOME")
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if path_java=$(command -v java 2>/dev/null); then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$path_java")")")")
  fi
  for c in /usr/lib/jvm/*; do candidates+=("$c"); done
  for c in "${candidates[@]}"; do
    v=$(ipop_jdk_major "$c")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then
      export JAVA_HOME="$c"
      return 0
    fi
  done
  echo "ipop: no JDK 25 or newer found (looked at \$IPOP_JAVA_HOME, \$JAVA_HOME, java on PATH, /usr/lib/jvm/*)." >&2
  echo "ipop: install one (e.g. a Temurin 25 JDK under /usr/lib/jvm) or set IPOP_JAVA_HOME to its directory." >&2
  exit 3
}

ipop_find_jdk
