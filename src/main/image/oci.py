#!/usr/bin/env python3
"""Writes an OCI image archive (an OCI image layout in one tar) from directories, without a daemon or a registry.

    oci.py --out image.tar --name docker.io/library/icr-injector:0.1.0 --config config.json \
           --layer DIR[:UID:GID] [--layer ...]

Each --layer directory becomes one gzip layer, in order: entries sorted by path, times set to 0 and owners to
UID:GID when given (else 0:0), so that the same inputs give the same digests. --config is the image config's
"config" object (User, Entrypoint, Env, WorkingDir, ExposedPorts). The archive is what `ctr images import`,
`skopeo copy oci-archive:...` and `podman load` read; the image name is in the index annotations that containerd
(io.containerd.image.name) and the OCI spec (org.opencontainers.image.ref.name) define.

Why by hand: Jib and buildah need a base image from a registry or a daemon; this machine has neither, and the
format is four small JSON documents around tar files.
"""
import argparse
import gzip
import hashlib
import json
import os
import sys
import tarfile
import tempfile
import time

CHUNK = 1 << 20


def log(msg):
    print(f"[image] {msg}", file=sys.stderr, flush=True)


def layer_tar(root, uid, gid, dest):
    """Writes the tar of one directory to dest (a binary file); returns (sha256 of the tar, entries)."""
    entries = []
    for base, dirs, files in os.walk(root):
        dirs.sort()
        for name in dirs + sorted(files):
            entries.append(os.path.join(base, name))
    entries.sort(key=lambda p: os.path.relpath(p, root))
    with tarfile.open(fileobj=dest, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in entries:
            info = tar.gettarinfo(path, arcname=os.path.relpath(path, root))
            info.uid, info.gid, info.uname, info.gname, info.mtime = uid, gid, "", "", 0
            info.pax_headers = {}
            if info.isreg():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    return len(entries)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def blob(blobs, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return digest, len(data)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--name", required=True, help="full reference, e.g. docker.io/library/icr-injector:0.1.0")
    p.add_argument("--config", required=True, help="JSON file: the image config's 'config' object")
    p.add_argument("--layer", action="append", required=True, help="DIR or DIR:UID:GID")
    p.add_argument("--created-by", action="append", default=[], help="history text per layer")
    args = p.parse_args()

    with open(args.config) as f:
        run_config = json.load(f)
    work = tempfile.mkdtemp(prefix="oci-", dir=os.path.dirname(os.path.abspath(args.out)) or ".")
    blobs = os.path.join(work, "blobs", "sha256")
    os.makedirs(blobs)
    layers, diff_ids, history = [], [], []
    for i, spec in enumerate(args.layer):
        parts = spec.split(":")
        root = parts[0]
        uid, gid = (int(parts[1]), int(parts[2])) if len(parts) == 3 else (0, 0)
        if not os.path.isdir(root):
            sys.exit(f"oci.py: layer {root} is not a directory")
        t0 = time.monotonic()
        raw = os.path.join(work, "layer.tar")
        with open(raw, "wb") as f:
            n = layer_tar(root, uid, gid, f)
        diff_id = sha256_file(raw)
        gz = os.path.join(work, "layer.tar.gz")
        with open(raw, "rb") as src, open(gz, "wb") as out:
            # mtime=0 and no file name in the gzip header: the same tar gives the same blob.
            with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as z:
                for chunk in iter(lambda: src.read(CHUNK), b""):
                    z.write(chunk)
        digest = sha256_file(gz)
        size = os.path.getsize(gz)
        os.replace(gz, os.path.join(blobs, digest))
        os.remove(raw)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": f"sha256:{digest}", "size": size})
        diff_ids.append(f"sha256:{diff_id}")
        created_by = args.created_by[i] if i < len(args.created_by) else f"layer {root}"
        history.append({"created": "1970-01-01T00:00:00Z", "created_by": created_by})
        log(f"layer {i + 1}/{len(args.layer)} {root}: {n} entries, {size / 1048576:.1f} MiB gzip "
            f"in {time.monotonic() - t0:.1f}s")

    config = {"created": "1970-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
              "config": run_config, "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": history}
    cdigest, csize = blob(blobs, json.dumps(config, sort_keys=True, separators=(",", ":")).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": f"sha256:{cdigest}", "size": csize},
                "layers": layers}
    mdigest, msize = blob(blobs, json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode())
    tag = args.name.rsplit(":", 1)[1] if ":" in args.name.rsplit("/", 1)[-1] else "latest"
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": f"sha256:{mdigest}", "size": msize,
                            "platform": {"architecture": "amd64", "os": "linux"},
                            "annotations": {"io.containerd.image.name": args.name,
                                            "org.opencontainers.image.ref.name": tag}}]}
    with open(os.path.join(work, "index.json"), "w") as f:
        json.dump(index, f, sort_keys=True, separators=(",", ":"))
    with open(os.path.join(work, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')

    tmp_out = args.out + ".tmp"
    with tarfile.open(tmp_out, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in ["oci-layout", "index.json", "blobs"]:
            tar.add(os.path.join(work, name), arcname=name,
                    filter=lambda i: (setattr(i, "mtime", 0), setattr(i, "uid", 0), setattr(i, "gid", 0), i)[-1])
    os.replace(tmp_out, args.out)
    for base, dirs, files in os.walk(work, topdown=False):
        for name in files:
            os.remove(os.path.join(base, name))
        os.rmdir(base)
    log(f"wrote {args.out} ({os.path.getsize(args.out) / 1048576:.1f} MiB): {args.name}, manifest sha256:{mdigest}")
    print(f"sha256:{mdigest}")


if __name__ == "__main__":
    main()
