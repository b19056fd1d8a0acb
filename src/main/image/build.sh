#!/usr/bin/env bash
# icr-injector's container image without a daemon or a registry.
#
#   src/main/image/build.sh image [OUT.tar] [NAME]   the OCI archive of the image (what `make image` runs);
#                                                    defaults target/image/icr-injector.oci.tar,
#                                                    docker.io/library/icr-injector:<version in pom.xml>
#   src/main/image/build.sh runtime DIR              only the runtime root filesystem (the Dockerfile's
#                                                    first stage runs this)
#
# Needs: a JDK 17 with jlink (JAVA_HOME, else the `java` on PATH), apt-get (Debian or Ubuntu: the runtime's
# libraries are Debian packages), python3, and `make build` first (target/quarkus-app).
#
# The image's configuration and layout come from the final stage of src/main/docker/Dockerfile.jvm (COPY from
# target/, USER, WORKDIR, ENV, EXPOSE, ENTRYPOINT), so the Dockerfile and this script build the same image.
# Load it into containerd with `ctr -n k8s.io images import OUT.tar`, or push it with
# `skopeo copy oci-archive:OUT.tar docker://<registry>/icr-injector:<tag>`.
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
  if [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/jlink" ]]; then
    echo "${JAVA_HOME}"
  elif command -v jlink >/dev/null; then
    dirname "$(dirname "$(readlink -f "$(command -v jlink)")")"
  else
    echo "build.sh: no jlink (set JAVA_HOME to a JDK 17)" >&2
    exit 1
  fi
}

# runtime DIR: a jlink'ed Java runtime in DIR/opt/java, the Debian packages of the libraries it links against
# unpacked into DIR, and the users of the image.
runtime() {
  local root="$1" jdk
  jdk="$(java_home)"
  local version
  version="$("${jdk}/bin/java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')"
  [[ "${version}" == 17 ]] || { echo "build.sh: ${jdk} is Java ${version}; the image runs Java 17" >&2; exit 1; }
  rm -rf "${root}"
  mkdir -p "${root}/opt"
  step "jlink: Java runtime from ${jdk} (${modules})"
  "${jdk}/bin/jlink" --add-modules "${modules}" --strip-debug --no-man-pages --no-header-files \
    --compress=2 --output "${root}/opt/java"
  # A headless JVM never loads these; without them the runtime needs no X11 libraries.
  # (java.desktop is there for java.beans; its native parts for fonts, images and sound are dropped too.)
  rm -f "${root}"/opt/java/lib/{libawt_xawt.so,libsplashscreen.so,libjawt.so,libfontmanager.so,libjsound.so,liblcms.so,libjavajpeg.so,libmlib_image.so}
  # The class data sharing archive of the JDK's own classes: a faster start, regenerated for this runtime.
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
  # The final stage of the Dockerfile: config.json for oci.py, and one layer directory per COPY from target/.
  python3 - "${repo}/src/main/docker/Dockerfile.jvm" "${work}" "${repo}" <<'PY'
import glob, json, os, shlex, shutil, sys
dockerfile, work, repo = sys.argv[1:4]
lines, cur = [], ""
for raw in open(dockerfile):
    s = raw.rstrip("\n")
    if not s.strip() or s.lstrip().startswith("#"):
        continue
    if s.endswith("\\"):
        cur += s[:-1] + " "
        continue
    lines.append(cur + s)
    cur = ""
final = lines[max(i for i, l in enumerate(lines) if l.split()[0].upper() == "FROM"):]
config, layers = {}, []
for l in final[1:]:
    op, rest = l.split(None, 1)
    op = op.upper()
    if op == "COPY":
        words = shlex.split(rest)
        flags = [w for w in words if w.startswith("--")]
        paths = [w for w in words if not w.startswith("--")]
        if any(f.startswith("--from=") for f in flags):
            continue  # the runtime stage: built above by `build.sh runtime`
        owner = next((f.split("=", 1)[1] for f in flags if f.startswith("--chown=")), "0:0")
        uid, _, gid = owner.partition(":")
        srcs, dest = paths[:-1], paths[-1]
        d = os.path.join(work, f"layer{len(layers)}")
        for src in srcs:
            for match in sorted(glob.glob(os.path.join(repo, src))):
                target = os.path.join(d, dest.lstrip("/"))
                if os.path.isdir(match):
                    shutil.copytree(match, target, dirs_exist_ok=True)
                else:
                    if dest.endswith("/"):
                        target = os.path.join(target, os.path.basename(match))
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    shutil.copy2(match, target)
        layers.append(f"{d}:{uid}:{gid or uid}\t{l}")
    elif op == "USER":
        config["User"] = rest.strip()
    elif op == "WORKDIR":
        config["WorkingDir"] = rest.strip()
    elif op == "ENV":
        env = config.setdefault("Env", [])
        for kv in shlex.split(rest):
            env.append(kv)
    elif op == "EXPOSE":
        ports = config.setdefault("ExposedPorts", {})
        for p in rest.split():
            ports[p if "/" in p else p + "/tcp"] = {}
    elif op == "ENTRYPOINT":
        config["Entrypoint"] = json.loads(rest)
    elif op == "CMD":
        config["Cmd"] = json.loads(rest)
    else:
        sys.exit(f"build.sh: the final stage of {dockerfile} has {op}, which build.sh does not build")
json.dump(config, open(os.path.join(work, "config.json"), "w"))
open(os.path.join(work, "layers.txt"), "w").write("\n".join(layers) + "\n")
PY
  local args=(--out "${out}" --name "${name}" --config "${work}/config.json"
    --layer "${work}/runtime" --created-by "build.sh runtime (jlink + Debian packages)")
  while IFS=$'\t' read -r layer what; do
    [[ -n "${layer}" ]] && args+=(--layer "${layer}" --created-by "${what}")
  done < "${work}/layers.txt"
  mkdir -p "$(dirname "${out}")"
  step "writing ${out} (${name})"
  python3 "${here}/oci.py" "${args[@]}" >/dev/null
  step "done: ${out} ($(du -h "${out}" | cut -f1)); load it with: ctr -n k8s.io images import ${out}"
}

case "${1:-image}" in
  runtime) [[ $# -eq 2 ]] || { echo "usage: build.sh runtime DIR" >&2; exit 2; }; runtime "$2" ;;
  image) shift || true; image "$@" ;;
  *) echo "usage: build.sh [image [OUT.tar [NAME]] | runtime DIR]" >&2; exit 2 ;;
esac
