#!/usr/bin/env python3
"""build.sh's RUN step: run_step.py ROOT SPEC OUT.

Runs the Dockerfile's RUN described by SPEC (runN.json: argv, env, workdir, user) in a chroot of ROOT (the layers
so far, stacked by build.sh), in a mount and PID namespace of its own with /proc mounted and /dev's four character
devices made, as a container build would give it. What it wrote or changed is copied into OUT, the RUN's layer;
prints that layer as OUT:UID:GID. Needs root and unshare (util-linux).
"""
import json, os, shutil, stat, subprocess, sys
root, spec, out = sys.argv[1:4]
spec = json.load(open(spec))
skip = ("proc", "dev", "sys")
def listing():
    seen = {}
    for base, dirs, files in os.walk(root):
        rel = os.path.relpath(base, root)
        if rel.split(os.sep)[0] in skip:
            dirs[:] = []
            continue
        for name in dirs + files:
            p = os.path.join(base, name)
            st = os.lstat(p)
            seen[os.path.relpath(p, root)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return seen
before = listing()
for d in skip:
    os.makedirs(os.path.join(root, d), exist_ok=True)
for dev, minor in (("null", 3), ("zero", 5), ("random", 8), ("urandom", 9)):
    os.mknod(os.path.join(root, "dev", dev), 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    os.chmod(os.path.join(root, "dev", dev), 0o666)
user = spec["user"].split(":")
uid, gid = int(user[0]), int(user[1] if len(user) > 1 else user[0])
env = dict(e.split("=", 1) for e in spec["env"])
env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
child = (
    "import json, os, subprocess, sys\n"
    "root, workdir, uid, gid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])\n"
    "subprocess.run(['mount', '-t', 'proc', 'proc', os.path.join(root, 'proc')], check=True)\n"
    "os.chroot(root)\n"
    "os.chdir(workdir)\n"
    "os.setgroups([])\n"
    "os.setgid(gid)\n"
    "os.setuid(uid)\n"
    "argv = sys.argv[5:]\n"
    "os.execve(argv[0], argv, json.loads(os.environ['RUN_ENV']))\n")
log = os.path.join(os.path.dirname(out), os.path.basename(out) + ".log")
with open(log, "w") as f:
    rc = subprocess.run(["unshare", "--mount", "--pid", "--fork", "--propagation", "private", sys.executable, "-c",
                         child, root, spec["workdir"], str(uid), str(gid)] + spec["argv"],
                        env={"RUN_ENV": json.dumps(env), "PATH": os.environ["PATH"]},
                        stdout=f, stderr=subprocess.STDOUT).returncode
if rc != 0:
    sys.stderr.write(open(log).read()[-4000:])
    sys.exit(f"build.sh: RUN {spec['argv']} failed with exit code {rc} (log {log})")
for d in ("proc", "dev", "sys"):
    if os.path.ismount(os.path.join(root, d)):
        sys.exit(f"build.sh: {root}/{d} is still mounted after the RUN")
after = listing()
changed = [p for p, v in after.items() if before.get(p) != v and not stat.S_ISDIR(v[0])]
removed = [p for p in before if p not in after]
if removed:
    sys.exit(f"build.sh: RUN {spec['argv']} removed {removed[:5]}: build.sh writes no whiteouts")
os.makedirs(out)
def parents(p):
    # The layer's directories above a file keep the mode and owner they have in the image (/tmp stays 1777): the
    # layer's entry for a directory replaces the one of the layers below.
    d = os.path.dirname(p)
    if not d or os.path.isdir(os.path.join(out, d)):
        return
    parents(d)
    os.mkdir(os.path.join(out, d))
    st = os.lstat(os.path.join(root, d))
    os.chown(os.path.join(out, d), st.st_uid, st.st_gid)
    os.chmod(os.path.join(out, d), stat.S_IMODE(st.st_mode))
for p in sorted(changed):
    parents(p)
    shutil.copy2(os.path.join(root, p), os.path.join(out, p), follow_symlinks=False)
    print(f"[image] RUN wrote /{p} ({after[p][1]} bytes)", file=sys.stderr)
print(f"{out}:{uid}:{gid}")
