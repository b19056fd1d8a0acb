#!/usr/bin/env bash
# icr-injector's container image without a daemon or a registry.
#
#   src/main/image/build.sh image [OUT.tar] [NAME]   the OCI archive of the image (what `make image` runs);
#                                                    defaults target/image/icr-injector.oci.tar,
#                                                    docker.io/library/icr-injector:<version in pom.xml>
#   src/main/image/build.sh runtime DIR              only the runtime root filesystem (the Dockerfile's
#                                                    first stage runs this)
#
# Needs: a JDK 25 with jlink (found as the Makefile finds it, src/build/jdk.sh: JAVA_HOME when it is a 25, else
# /usr/lib/jvm/temurin-25-jdk-<arch>, else the `java` on PATH), apt-get (Debian or Ubuntu: the runtime's libraries
# are Debian packages), python3, and `make build` first (target/quarkus-app).
#
# The image's configuration and layout come from the final stage of src/main/docker/Dockerfile.jvm (COPY from
# target/, RUN in exec form, USER, WORKDIR, ENV, EXPOSE, ENTRYPOINT), so the Dockerfile and this script build the
# same image. A RUN (the AOT cache's training run) runs in a chroot of the layers before it, so building the
# image needs root (and unshare, from util-linux).
# Push it with `skopeo copy oci-archive:OUT.tar docker://<registry>/icr-injector:<tag>`; on the project's
# single-node cluster import it with `src/test/node/cluster.sh import OUT.tar` (`make node-import`: that node's
# containerd has a socket of its own, so a plain `ctr -n k8s.io images import` cannot reach it).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../../.." && pwd)"
start=${SECONDS}
step() { printf '[image %4ds] %s\n' "$((SECONDS - start))" "$*" >&2; }

# The Java modules the app needs (jdeps over target/quarkus-app, plus what is loaded reflectively: EC keys for
# TLS, DNS for JNDI, JFR and the management beans for diagnostics, java.desktop for java.beans in Jackson and
# SnakeYAML).
modules=java.base,java.desktop,java.logging,java.management,java.naming,java.net.http,java.security.jgss,java.sql,java.xml,jdk.crypto.ec,jdk.jfr,jdk.management,jdk.naming.dns,jdk.unsupported,jdk.zipfs

java_home() {
  bash "${here}/../../build/jdk.sh" || { echo "build.sh: the image's runtime is jlinked from a JDK 25" >&2; exit 1; }
}

# runtime DIR: a jlink'ed Java runtime in DIR/opt/java, the Debian packages of the libraries it links against
# unpacked into DIR, and the users of the image.
runtime() {
  local root="$1" jdk
  jdk="$(java_home)"
  local version
  version="$("${jdk}/bin/java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')"
  [[ "${version}" == 25 ]] || { echo "build.sh: ${jdk} is Java ${version}; the image runs Java 25" >&2; exit 1; }
  rm -rf "${root}"
  mkdir -p "${root}/opt"
  # Temurin 25 ships without jmods: its jlink links from the JDK's own run-time image (JEP 493, a JDK built with
  # --enable-linkable-runtime), which works as long as the JDK's files are as installed. A JDK with jmods uses them.
  local from="run-time image (JEP 493)"
  [[ -d "${jdk}/jmods" ]] && from="jmods"
  step "jlink: Java ${version} runtime from ${jdk}, ${from} (${modules})"
  "${jdk}/bin/jlink" --add-modules "${modules}" --strip-debug --no-man-pages --no-header-files \
    --compress=zip-6 --output "${root}/opt/java"
  # A headless JVM never loads these; without them the runtime needs no X11 libraries.
  # (java.desktop is there for java.beans; its native parts for fonts, images and sound are dropped too.)
  rm -f "${root}"/opt/java/lib/{libawt_xawt.so,libsplashscreen.so,libjawt.so,libfontmanager.so,libjsound.so,liblcms.so,libjavajpeg.so,libmlib_image.so}
  # The class data sharing archive of the JDK's own classes, regenerated for this runtime: what a JVM of the image
  # maps when it runs without the app's AOT cache (which replaces it when -XX:AOTCache names it).
  "${root}/opt/java/bin/java" -Xshare:dump -XX:+UseSerialGC >/dev/null 2>&1 || step "CDS archive: not made"

  # Which Debian packages hold the libraries the runtime's ELF files need (outside the runtime itself).
  local libs pkgs
  libs="$(find "${root}/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) -exec ldd {} + 2>/dev/null \
    | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/lib.*ld-linux/ {print $1}' \
    | grep -v "^${root}/" | sort -u)"
  pkgs="$(for l in ${libs}; do dpkg -S "$(readlink -f "${l}")" 2>/dev/null || dpkg -S "${l}"; done \
    | cut -d: -f1 | sort -u | tr '\n' ' ')"
  step "Debian packages for the runtime's libraries: ${pkgs}"
  local debs
  debs="$(mktemp -d)"
  chmod 0777 "${debs}" # apt's download user must be able to write there
  if ! (cd "${debs}" && apt-get download ${pkgs} >/dev/null 2>&1); then
    # A fresh machine has no package lists yet; as root, fetch them once and try again.
    [[ $(id -u) -eq 0 ]] && step "apt-get update (no package lists yet)" && apt-get update -qq >/dev/null 2>&1 || true
    (cd "${debs}" && apt-get download ${pkgs} >/dev/null) || {
      echo "build.sh: apt-get download ${pkgs} failed (as root: apt-get update, then again)" >&2
      exit 1
    }
  fi
  for deb in "${debs}"/*.deb; do
    dpkg-deb -x "${deb}" "${root}"
  done
  rm -rf "${debs}"
  # Documentation, locales and package metadata are of no use in the image.
  rm -rf "${root}"/usr/share/{doc,man,info,lintian,locale} "${root}"/usr/lib/x86_64-linux-gnu/gconv
  # Debian's usrmerge layout: /lib and /lib64 are links into /usr (the loader path in every ELF is /lib64/...).
  for d in lib lib64 bin sbin; do
    if [[ -d "${root}/${d}" && ! -L "${root}/${d}" ]]; then
      cp -a "${root}/${d}/." "${root}/usr/${d}/" 2>/dev/null || mkdir -p "${root}/usr/${d}"
      rm -rf "${root:?}/${d}"
    fi
    [[ -e "${root}/usr/${d}" ]] && ln -sfn "usr/${d}" "${root}/${d}"
  done
  mkdir -p "${root}/etc" "${root}/tmp" "${root}/deployments"
  chmod 1777 "${root}/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\napp:x:185:185:icr-injector:/deployments:/sbin/nologin\n' > "${root}/etc/passwd"
  printf 'root:x:0:\napp:x:185:\n' > "${root}/etc/group"
  step "runtime: $(du -sh "${root}" | cut -f1) in ${root}"
}

# run_step WORK N LAYER_DIR...: the Dockerfile's RUN number N (WORK/runN.json: argv, env, workdir, user) in a
# chroot of the layers so far, stacked in order, with every time set to 0 as in the image's layers (oci.py), so
# that what the step records of the files (the AOT cache records the jars' times and sizes) holds in the
# image. Runs in a mount and PID namespace of its own with /proc mounted and /dev's four character devices made,
# as a container build would give it. Prints the layer of what it wrote or changed (DIR:UID:GID).
run_step() {
  local work="$1" n="$2"
  shift 2
  local root="${work}/run${n}-root" out="${work}/run${n}-layer"
  [[ $(id -u) -eq 0 ]] || { echo "build.sh: the Dockerfile's RUN needs root here (chroot)" >&2; exit 1; }
  rm -rf "${root}" "${out}"
  mkdir -p "${root}"
  local d
  for d in "$@"; do
    cp -a "${d%%:*}/." "${root}/" || return 1
  done
  # (errexit does not reach into the $(...) this runs in: each step checks for itself)
  find "${root}" -exec touch -h -d @0 {} + || return 1
  step "RUN $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["argv"]))' "${work}/run${n}.json")"
  python3 "${here}/run_step.py" "${root}" "${work}/run${n}.json" "${out}"
  local rc=$?
  rm -rf "${root}"
  return "${rc}"
}

image() {
  local out="${1:-${repo}/target/image/icr-injector.oci.tar}" name="${2:-}"
  if [[ -z "${name}" ]]; then
    local version
    version="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' "${repo}/pom.xml" | head -1)"
    name="docker.io/library/icr-injector:${version%-SNAPSHOT}"
  fi
  [[ -f "${repo}/target/quarkus-app/quarkus-run.jar" ]] || {
    echo "build.sh: no target/quarkus-app (run 'make build' first)" >&2
    exit 1
  }
  work="$(mktemp -d "${TMPDIR:-/tmp}/icr-image.XXXXXX")"
  trap 'rm -rf "${work}"' EXIT
  runtime "${work}/runtime"
  # The final stage of the Dockerfile: config.json for oci.py, and one layer directory per COPY from target/
  # (stage.py); its RUNs are written as runN.json, for run_step.
  python3 "${here}/stage.py" "${repo}/src/main/docker/Dockerfile.jvm" "${work}" "${repo}"
  local args=(--out "${out}" --name "${name}" --config "${work}/config.json"
    --layer "${work}/runtime" --created-by "build.sh runtime (jlink + Debian packages)")
  local dirs=("${work}/runtime")
  while IFS=$'\t' read -r layer what; do
    [[ -z "${layer}" ]] && continue
    if [[ "${layer}" == run:* ]]; then
      layer="$(run_step "${work}" "${layer#run:}" "${dirs[@]}")" || exit 1
    fi
    args+=(--layer "${layer}" --created-by "${what}")
    dirs+=("${layer%%:*}")
  done < "${work}/layers.txt"
  mkdir -p "$(dirname "${out}")"
  step "writing ${out} (${name})"
  python3 "${here}/oci.py" "${args[@]}" >/dev/null
  step "done: ${out} ($(du -h "${out}" | cut -f1)); on the local node: src/test/node/cluster.sh import ${out} (make node-import); to a registry: skopeo copy oci-archive:${out} docker://<registry>/icr-injector:<tag>"
}

case "${1:-image}" in
  runtime) [[ $# -eq 2 ]] || { echo "usage: build.sh runtime DIR" >&2; exit 2; }; runtime "$2" ;;
  image) shift || true; image "$@" ;;
  *) echo "usage: build.sh [image [OUT.tar [NAME]] | runtime DIR]" >&2; exit 2 ;;
esac
