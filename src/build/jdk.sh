#!/usr/bin/env bash
# Prints the home of the JDK 25 that builds, tests, benchmarks and packages icr-injector; fails with what to
# install when there is none. One finding for the Makefile (which exports JAVA_HOME and PATH from it for Maven and
# every java it runs), .ci/run (through the Makefile) and src/main/image/build.sh. In order:
#   1. JAVA_HOME, when it is a JDK 25 (the override: JAVA_HOME=/path/to/jdk-25 make ...);
#   2. /usr/lib/jvm/temurin-25-jdk-amd64 (or -arm64): where Adoptium's Debian/Ubuntu package installs it;
#   3. the `java` on PATH, when it is a 25 and a JDK (has javac and jlink).
#   src/build/jdk.sh            the home, or exit 1 with a message on stderr
#   src/build/jdk.sh --version  the home's `java -version` too (on stderr), for logs
set -euo pipefail

want=25

# A JDK's feature version from its release file (no JVM started), empty when it is not a JDK.
feature() {
  local home="$1"
  [[ -n "${home}" && -x "${home}/bin/java" && -x "${home}/bin/javac" && -x "${home}/bin/jlink" && -f "${home}/release" ]] || return 0
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*"$/\1/p' "${home}/release"
}

candidates=()
[[ -n "${JAVA_HOME:-}" ]] && candidates+=("${JAVA_HOME}")
arch="$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')"
candidates+=("/usr/lib/jvm/temurin-${want}-jdk-${arch}")
if command -v java >/dev/null; then
  candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
fi

for home in "${candidates[@]}"; do
  if [[ "$(feature "${home}")" == "${want}" ]]; then
    home="$(cd "${home}" && pwd -P)"
    echo "${home}"
    if [[ "${1:-}" == --version ]]; then
      echo "JDK ${want}: ${home}" >&2
      "${home}/bin/java" -version
    fi
    exit 0
  fi
done

cat >&2 <<MSG
icr-injector needs a JDK ${want} (it compiles for Java ${want} and its image runs Java ${want}); none found in
  JAVA_HOME=${JAVA_HOME:-<unset>}, /usr/lib/jvm/temurin-${want}-jdk-${arch}, or the java on PATH ($(command -v java || echo none)).
Install Eclipse Temurin ${want} (the package temurin-${want}-jdk from https://packages.adoptium.net/artifactory/deb,
or a tarball from https://adoptium.net), then set JAVA_HOME to it if it is not in /usr/lib/jvm/temurin-${want}-jdk-${arch}.
MSG
exit 1
