#!/usr/bin/env python3
"""build.sh's reading of the Dockerfile: stage.py DOCKERFILE WORK REPO.

Reads the final stage of DOCKERFILE and writes WORK/config.json (USER, WORKDIR, ENV, EXPOSE, ENTRYPOINT, CMD, for
oci.py), one layer directory per COPY from target/ (WORK/layerN), one WORK/runN.json per RUN (exec form only: the
image has no shell) and WORK/layers.txt, the layers in order, each with the line that made it.
"""
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
    elif op == "RUN":
        # Exec form only (the image has no shell): run later by build.sh in a chroot of the layers so far, with
        # the ENV, WORKDIR and USER of this point of the stage; what it writes becomes a layer of its own.
        try:
            argv = json.loads(rest)
        except ValueError:
            sys.exit(f"build.sh: {dockerfile}: RUN must be in exec form (a JSON array): the image has no shell")
        n = sum(1 for x in layers if x.startswith("run:"))
        step = {"argv": argv, "env": list(config.get("Env", [])), "workdir": config.get("WorkingDir", "/"),
                "user": config.get("User", "0:0")}
        json.dump(step, open(os.path.join(work, f"run{n}.json"), "w"))
        layers.append(f"run:{n}\t{l}")
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
