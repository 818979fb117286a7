# Why: no Kerrighed cluster exists on the development machines, yet the
# Kerrighed platform layer must be tested against the real userland's formats,
# exit codes and quirks. This module is a test double of the Kerrighed 3.0
# userland (krgcapset, migrate, checkpoint, restart, krgcr-run, krgadm,
# ipccheckpoint, ipcrestart) and of
# the files the kernel exposes, all rooted at $KRGDEMO_SYSROOT. The behaviour
# follows shared/kerrighed/INTERFACE.md and the 3.0.0 tool sources it cites.
#
# The targets are real Linux processes; the Kerrighed state the kernel would
# keep about them (capabilities, applications, the node a process runs on)
# lives in files under <root>/.double/ so that several processes can drive
# the double at once (a global flock serialises updates). See README.md.
#
# Standard library only: run with /usr/bin/python3.
import ctypes
import errno
import fcntl
import json
import os
import random
import shutil
import signal
import stat
import struct
import sys
import time

VERSION = "3.0.0"
VERSION_24 = "2.4.4"   # make-sysroot --version 2.4.4: Kerrighed 2.4.4 mode
CAP_NAMES = [
    "CHANGE_KERRIGHED_CAP", "CAN_MIGRATE", "DISTANT_FORK", "FORK_DELAY",
    "CHECKPOINTABLE", "USE_REMOTE_MEMORY", "USE_INTRA_CLUSTER_KERSTREAMS",
    "USE_INTER_CLUSTER_KERSTREAMS", "USE_WORLD_VISIBLE_KERSTREAMS",
    "SEE_LOCAL_PROC_STAT", "DEBUG", "SYSCALL_EXIT_HOOK",
]
CAP_SIZE = len(CAP_NAMES)
CAP_CHANGE_KERRIGHED_CAP = 0
CAP_CAN_MIGRATE = 1
CAP_CHECKPOINTABLE = 4
CAP_SUPPORTED = 0o1067
CAP_FIELDS = ("permitted", "effective", "inheritable_permitted",
              "inheritable_effective")
CAP_INIT = {"permitted": CAP_SUPPORTED, "effective": 0o1,
            "inheritable_permitted": CAP_SUPPORTED, "inheritable_effective": 0o1}
MAX_NODES = 256        # KERRIGHED_MAX_NODES with autonodeid
MAX_SUBCLUSTERS = 256
NR_CPUS = 64           # x86_64 defconfig; kernel_max = 63
NR_IRQS = 256 + 32 * NR_CPUS   # NR_VECTORS + 32 * NR_CPUS (2.6.30 x86_64)
E_CR_APPBUSY, E_CR_PIDBUSY, E_CR_TASKDEAD, E_CR_BADDATA = 1000, 1001, 1002, 1003
PF_KTHREAD = 0x00200000
STATUS_STR = ["invalid", "possible", "present", "online"]
NO_WARRANTY = ("This is free software; see source for copying conditions. "
               "There is NO\nwarranty; not even for MERCHANBILITY or FITNESS "
               "FOR A PARTICULAR PURPOSE.\n\n")
COPY_INRIA = "Copyright (C) 2001-2006, INRIA, Universite de Rennes 1, EDF.\n"
COPY_KERLABS = "Copyright (C) 2010 Kerlabs.\n"


class KrgError(Exception):
    """A failed Kerrighed call: carries the errno the kernel would set."""

    def __init__(self, err):
        super().__init__(err)
        self.errno = err


def strerror(err):
    try:
        return os.strerror(err)
    except ValueError:
        return "Unknown error %d" % err


# ---------------------------------------------------------------- paths, state

def sysroot():
    return os.environ.get("KRGDEMO_SYSROOT", "").rstrip("/")


def rpath(*parts):
    """A path inside the sysroot: rpath('proc', 'nodes') -> <root>/proc/nodes."""
    return sysroot() + "/" + "/".join(str(p) for p in parts)


def kerrighed_running():
    return os.path.exists(rpath("proc", "nodes", "self"))


def state_path(*parts):
    return rpath(".double", *parts)


class StateLock:
    """Serialises every read-modify-write of <root>/.double (flock)."""

    def __enter__(self):
        os.makedirs(state_path(), exist_ok=True)
        self.fd = os.open(state_path("lock"), os.O_RDWR | os.O_CREAT, 0o666)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def write_atomic(path, data, mode=0o644):
    """Writes bytes or str so that readers never see a partial file."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def write_json(path, obj):
    write_atomic(path, json.dumps(obj, sort_keys=True, indent=1) + "\n")


def knob(name):
    """A fault knob: None when absent, else the set of pids listed in it
    (empty set = applies to every pid)."""
    try:
        with open(state_path(name)) as f:
            text = f.read()
    except OSError:
        return None
    return {int(t) for t in text.split() if t.lstrip("-").isdigit()}


def knob_applies(name, pid):
    pids = knob(name)
    return pids is not None and (not pids or pid in pids)


# ------------------------------------------------------------ C-like parsing

_SPACES = " \t\n\v\f\r"


def strtol(s, base=0):
    """C strtol: returns (value, end index); end 0 when nothing converted."""
    i, n = 0, len(s)
    while i < n and s[i] in _SPACES:
        i += 1
    neg = False
    if i < n and s[i] in "+-":
        neg = s[i] == "-"
        i += 1
    if base == 0:
        if s[i:i + 2].lower() == "0x" and i + 2 < n and \
                s[i + 2].lower() in "0123456789abcdef":
            base, i = 16, i + 2
        elif s[i:i + 1] == "0":
            base = 8
        else:
            base = 10
    elif base == 16 and s[i:i + 2].lower() == "0x" and i + 2 < n and \
            s[i + 2].lower() in "0123456789abcdef":
        i += 2
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"[:base]
    start, value = i, 0
    while i < n and s[i].lower() in digits:
        value = value * base + digits.index(s[i].lower())
        i += 1
    if i == start:
        return 0, 0
    value = -value if neg else value
    return max(-2 ** 63, min(2 ** 63 - 1, value)), i


def to_int32(v):
    return (v + 2 ** 31) % 2 ** 32 - 2 ** 31


def to_short(v):
    return (v + 2 ** 15) % 2 ** 16 - 2 ** 15


def atoi(s):
    return to_int32(strtol(s, 10)[0])


def atol(s):
    return strtol(s, 10)[0]


def getopt_long(argv, shortopts, longopts=(), opterr=True):
    """GNU getopt_long with argument permutation, as the tools use it.

    longopts: (name, has_arg 0/1/2, val). Returns (events, operands); an
    event is (c, optarg, message) where c is '?' on error and message is what
    glibc prints on stderr (None when opterr is off or no error).
    """
    prog = argv[0]
    posix = shortopts.startswith("+") or "POSIXLY_CORRECT" in os.environ
    shortopts = shortopts.lstrip("+-")
    spec, i = {}, 0
    while i < len(shortopts):
        ch, nargs = shortopts[i], 0
        if shortopts[i + 1:i + 2] == ":":
            nargs = 2 if shortopts[i + 2:i + 3] == ":" else 1
        spec[ch] = nargs
        i += 1 + nargs
    events, operands = [], []

    def err(msg):
        events.append(("?", None, msg if opterr else None))

    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            operands += argv[i + 1:]
            break
        if not arg.startswith("-") or arg == "-":
            if posix:
                operands += argv[i:]
                break
            operands.append(arg)
            i += 1
            continue
        if arg.startswith("--"):
            body = arg[2:]
            name, eq, value = body.partition("=")
            cands = [o for o in longopts if o[0] == name] or \
                [o for o in longopts if o[0].startswith(name)]
            if not cands:
                err("%s: unrecognized option '--%s'" % (prog, body))
            elif len(cands) > 1 and any(o[1:] != cands[0][1:] for o in cands):
                err("%s: option '--%s' is ambiguous; possibilities:%s" % (
                    prog, name, "".join(" '--%s'" % o[0] for o in cands)))
            else:
                opt = cands[0]
                if eq and opt[1] == 0:
                    err("%s: option '--%s' doesn't allow an argument" % (prog, opt[0]))
                elif eq:
                    events.append((opt[2], value, None))
                elif opt[1] == 1 and i + 1 < len(argv):
                    events.append((opt[2], argv[i + 1], None))
                    i += 1
                elif opt[1] == 1:
                    err("%s: option '--%s' requires an argument" % (prog, opt[0]))
                else:
                    events.append((opt[2], None, None))
            i += 1
            continue
        j = 1
        while j < len(arg):
            ch = arg[j]
            if ch not in spec or ch == ":":
                err("%s: invalid option -- '%s'" % (prog, ch))
                j += 1
                continue
            nargs, rest = spec[ch], arg[j + 1:]
            if nargs == 0:
                events.append((ch, None, None))
                j += 1
                continue
            if nargs == 2:
                events.append((ch, rest or None, None))
            elif rest:
                events.append((ch, rest, None))
            elif i + 1 < len(argv):
                events.append((ch, argv[i + 1], None))
                i += 1
            else:
                err("%s: option requires an argument -- '%s'" % (prog, ch))
            break
        i += 1
    return events, operands


def prog_name(script):
    """argv[0] as the C tool would see it: the bare name when it was found on
    PATH (the usual way it is run), else the path it was run by."""
    base = os.path.basename(script)
    found = shutil.which(base)
    if found and os.path.realpath(found) == os.path.realpath(script):
        return base
    return script


class Out:
    """stdout/stderr writers that keep C's two streams apart."""

    @staticmethod
    def out(text):
        sys.stdout.write(text)

    @staticmethod
    def err(text):
        sys.stdout.flush()
        sys.stderr.write(text)
        sys.stderr.flush()


def perror(prefix, err):
    Out.err("%s: %s\n" % (prefix, strerror(err)))


# ------------------------------------------------------------ real processes

class ProcInfo:
    """Fields of the real /proc/<pid>/stat (comm may hold ')' and spaces)."""

    def __init__(self, pid, raw):
        self.pid = pid
        self.raw = raw
        head, _, tail = raw.rpartition(")")
        self.head = head + ")"
        self.rest = tail.split()
        self.state = self.rest[0]
        self.ppid = int(self.rest[1])
        self.flags = int(self.rest[6])
        self.starttime = int(self.rest[19])


def proc_info(pid):
    if pid <= 0:
        return None
    try:
        with open("/proc/%d/stat" % pid) as f:
            return ProcInfo(pid, f.read())
    except (OSError, ValueError, IndexError):
        return None


def alive(pid, starttime=None):
    """True when pid runs (not a zombie) and, if given, started at starttime."""
    info = proc_info(pid)
    return bool(info and info.state not in "ZX" and
                (starttime is None or info.starttime == starttime))


def nr_threads(pid):
    try:
        return len(os.listdir("/proc/%d/task" % pid))
    except OSError:
        return 0


def children_map():
    kids = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            info = proc_info(int(name))
            if info:
                kids.setdefault(info.ppid, []).append(info.pid)
    return kids


def permissions_ok(pid):
    """The kernel's permissions_ok(): euid == target uid or euid, or root."""
    euid = os.geteuid()
    if euid == 0:
        return True
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Uid:"):
                    uids = [int(x) for x in line.split()[1:3]]
                    return euid in uids
    except OSError:
        pass
    return False


# -------------------------------------------------------------- capabilities

def caps_file(pid):
    return state_path("caps", pid)


def stored_caps(pid, starttime):
    rec = read_json(caps_file(pid))
    if rec and rec.get("starttime") == starttime:
        return {k: rec[k] for k in CAP_FIELDS}
    return None


def fork_caps(parent):
    """krg_cap_fork(): what a child gets from its parent at fork."""
    return {"permitted": parent["inheritable_permitted"],
            "effective": parent["inheritable_effective"] &
            parent["inheritable_permitted"],
            "inheritable_permitted": parent["inheritable_permitted"],
            "inheritable_effective": parent["inheritable_effective"]}


def get_caps(pid, cache=None):
    """Capabilities of a live pid: its stored state, or derived from the
    nearest ancestor that has state by the fork rule, once per generation.
    Raises KrgError(ESRCH) when the pid does not exist."""
    if cache is not None and pid in cache:
        return cache[pid]
    info = proc_info(pid)
    if info is None:
        raise KrgError(errno.ESRCH)
    caps = stored_caps(pid, info.starttime)
    if caps is None:
        if info.ppid <= 0 or pid == 1:
            caps = dict(CAP_INIT)
        else:
            try:
                caps = fork_caps(get_caps(info.ppid, cache))
            except KrgError:
                caps = dict(CAP_INIT)
    if cache is not None:
        cache[pid] = caps
    return caps


def store_caps(pid, caps):
    info = proc_info(pid)
    if info is None:
        raise KrgError(errno.ESRCH)
    rec = {k: caps[k] for k in CAP_FIELDS}
    rec["starttime"] = info.starttime
    write_json(caps_file(pid), rec)


def materialize_children(pid):
    """Caps are fixed at fork: before a parent's caps change, its existing
    children keep what they derived from the old ones."""
    for kid in children_map().get(pid, []):
        info = proc_info(kid)
        if info and stored_caps(kid, info.starttime) is None:
            try:
                store_caps(kid, get_caps(kid))
            except KrgError:
                pass


def set_caps(pid, requested, caller_pid=None):
    """krg_set_cap(): the kernel rules of INTERFACE.md 1.4."""
    req = {k: to_int32(requested[k]) & 0xffffffff for k in CAP_FIELDS}
    with StateLock():
        cur = get_caps(pid)
        if (req["effective"] & ~req["permitted"]) or \
                (req["inheritable_permitted"] & ~req["permitted"]) or \
                (req["inheritable_effective"] & ~req["inheritable_permitted"]):
            raise KrgError(errno.EINVAL)
        if req["permitted"] & ~CAP_SUPPORTED:
            raise KrgError(errno.ENOSYS)
        if not permissions_ok(pid):
            raise KrgError(errno.EPERM)
        if not cur["effective"] & (1 << CAP_CHANGE_KERRIGHED_CAP):
            raise KrgError(errno.EPERM)
        perm = cur["permitted"] & req["permitted"]
        new = {"permitted": perm, "effective": perm & req["effective"],
               "inheritable_effective": perm & req["inheritable_effective"],
               "inheritable_permitted": perm & req["inheritable_permitted"]}
        materialize_children(pid)
        store_caps(pid, new)


def cap_raised(v, cap):
    return v & (1 << cap)


# ------------------------------------------------------------------- nodes

def load_nodes():
    """The cluster description written by make-sysroot (.double/nodes.json)."""
    rec = read_json(state_path("nodes.json"))
    if rec is None:
        raise KrgError(errno.EAGAIN)
    rec["nodes"] = {int(k): v for k, v in rec["nodes"].items()}
    return rec


def save_nodes(rec):
    out = dict(rec)
    out["nodes"] = {str(k): v for k, v in rec["nodes"].items()}
    write_json(state_path("nodes.json"), out)


def node_status(rec, node):
    """HOTPLUG_NODE_*: every id below max_nodes is possible."""
    if node < 0 or node >= MAX_NODES:
        return 0
    n = rec["nodes"].get(node)
    if n is None:
        return 1
    return 3 if n["status"] == "online" else 2


def online_nodes(rec):
    return sorted(k for k, v in rec["nodes"].items() if v["status"] == "online")


def present_nodes(rec):
    return sorted(k for k, v in rec["nodes"].items() if v["status"] == "present")


def _node_numbers(node, n):
    """Deterministic per-node values so each node looks different."""
    rnd = random.Random(node * 7919 + 17)
    mem_kb = n["mem_mb"] * 1024
    free_kb = int(mem_kb * rnd.uniform(0.55, 0.85))
    load = [round(rnd.uniform(0.0, 0.6) * n["cpus"], 2) for _ in range(3)]
    cpus = []
    for _ in range(n["cpus"]):
        user, system = rnd.randint(2000, 90000), rnd.randint(500, 20000)
        cpus.append([user, rnd.randint(0, 300), system,
                     rnd.randint(400000, 900000), rnd.randint(100, 3000),
                     rnd.randint(0, 50), rnd.randint(10, 500), 0, 0])
    return {"mem_kb": mem_kb, "free_kb": free_kb, "load": load, "cpus": cpus,
            "uptime": rnd.uniform(3000, 90000), "threads": rnd.randint(70, 140),
            "ctxt": rnd.randint(10 ** 6, 10 ** 7), "forks": rnd.randint(2000, 9000),
            "btime": 1275919520 + rnd.randint(0, 600)}


def _cpuinfo(node, n):
    blocks = []
    for i in range(n["cpus"]):
        blocks.append(
            "processor\t: %d\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n"
            "model\t\t: 23\nmodel name\t: Intel(R) Xeon(R) CPU           "
            "E5420  @ 2.50GHz\nstepping\t: 6\ncpu MHz\t\t: 2500.000\n"
            "cache size\t: 6144 KB\nphysical id\t: 0\nsiblings\t: %d\n"
            "core id\t\t: %d\ncpu cores\t: %d\napicid\t\t: %d\n"
            "initial apicid\t: %d\nfpu\t\t: yes\nfpu_exception\t: yes\n"
            "cpuid level\t: 10\nwp\t\t: yes\nflags\t\t: fpu vme de pse tsc msr "
            "pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi "
            "mmx fxsr sse sse2 ss ht tm pbe syscall nx lm constant_tsc "
            "arch_perfmon pebs bts rep_good pni dtes64 monitor ds_cpl vmx est "
            "tm2 ssse3 cx16 xtpr dca sse4_1 lahf_lm\nbogomips\t: 4999.%02d\n"
            "clflush size\t: 64\ncache_alignment\t: 64\n"
            "address sizes\t: 38 bits physical, 48 bits virtual\n"
            "power management:\n\n" % (node * NR_CPUS + i, n["cpus"], i,
                                       n["cpus"], i, i, 50 + node % 40))
    return "".join(blocks)


def _meminfo(nums):
    total, free = nums["mem_kb"], nums["free_kb"]
    used = total - free
    buffers, cached = used // 10, used // 3
    anon = used - buffers - cached
    vals = [
        ("MemTotal", total), ("MemFree", free), ("Buffers", buffers),
        ("Cached", cached), ("SwapCached", 0),
        ("Active", anon // 2 + cached // 2), ("Inactive", anon // 2 + cached // 2),
        ("Active(anon)", anon // 2), ("Inactive(anon)", anon // 2),
        ("Active(file)", cached // 2), ("Inactive(file)", cached // 2),
        ("Unevictable", 0), ("Mlocked", 0), ("SwapTotal", 0), ("SwapFree", 0),
        ("Dirty", 16), ("Writeback", 0), ("AnonPages", anon),
        ("Mapped", cached // 8), ("Slab", used // 20),
        ("SReclaimable", used // 40), ("SUnreclaim", used // 40),
        ("PageTables", used // 100), ("NFS_Unstable", 0), ("Bounce", 0),
        ("WritebackTmp", 0), ("CommitLimit", total // 2),
        ("Committed_AS", used), ("VmallocTotal", 34359738367),
        ("VmallocUsed", 5012), ("VmallocChunk", 34359727676)]
    text = "".join("%-16s%8d kB\n" % (k + ":", v) for k, v in vals)
    return text + ("HugePages_Total:   %5d\nHugePages_Free:    %5d\n"
                   "HugePages_Rsvd:    %5d\nHugePages_Surp:    %5d\n"
                   "Hugepagesize:   %8d kB\n" % (0, 0, 0, 0, 2048))


def _fixed_load(x):
    """avenrun fixed point (FSHIFT 11) as the kernel prints it, rounded."""
    v = int(x * 2048) + 2048 // 200
    return "%d.%02d" % (v >> 11, ((v & 2047) * 100) >> 11)


def _loadavg(per_node):
    a = [sum(p["load"][k] for p in per_node) for k in range(3)]
    running = sum(1 for p in per_node)
    threads = sum(p["threads"] for p in per_node)
    return "%s %s %s %d/%d %d\n" % (_fixed_load(a[0]), _fixed_load(a[1]),
                                    _fixed_load(a[2]), running, threads, 4242)


def _uptime(per_node):
    up = max(p["uptime"] for p in per_node)
    idle = sum(p["uptime"] * 0.8 for p in per_node) / len(per_node)
    return "%d.%02d %d.%02d\n" % (int(up), int(up * 100) % 100,
                                  int(idle), int(idle * 100) % 100)


def _stat(nodes_nums):
    """Kerrighed's stat: the aggregate 'cpu' line is written into an 80-blank
    head (padded with spaces), cpu lines use global ids node*NR_CPUS+cpu."""
    total = [0] * 9
    lines = []
    for node, nums in nodes_nums:
        for i, c in enumerate(nums["cpus"]):
            lines.append("cpu%d  %s\n" % (node * NR_CPUS + i, " ".join(map(str, c))))
            total = [a + b for a, b in zip(total, c)]
    head = "cpu   " + " ".join(map(str, total))
    head = (head[:80] + " " * 80)[:80] + "\n"
    intr = sum(sum(n["cpus"][0][:3]) for _, n in nodes_nums)
    tail = "intr %d%s\nctxt %d\nbtime %d\nprocesses %d\nprocs_running %d\n" \
        "procs_blocked %d\n" % (
            intr, " 0" * NR_IRQS, sum(n["ctxt"] for _, n in nodes_nums),
            max(n["btime"] for _, n in nodes_nums),
            sum(n["forks"] for _, n in nodes_nums), len(nodes_nums), 0)
    return head + "".join(lines) + tail


def render_nodes(rec):
    """(Re)writes /proc/nodes, the cluster-wide /proc files and
    /sys/kerrighed from the node description."""
    online = online_nodes(rec)
    nodes_dir = rpath("proc", "nodes")
    os.makedirs(nodes_dir, exist_ok=True)
    for name in os.listdir(nodes_dir):
        if name.startswith("node") and name[4:].isdigit() and int(name[4:]) not in online:
            shutil.rmtree(os.path.join(nodes_dir, name))
    session = "%d\n" % rec["session"]
    all_nums = []
    for node in online:
        n = rec["nodes"][node]
        nums = _node_numbers(node, n)
        all_nums.append((node, nums))
        d = os.path.join(nodes_dir, "node%d" % node)
        files = {"nodeid": "%d\n" % node, "session": session,
                 "cpuinfo": _cpuinfo(node, n), "meminfo": _meminfo(nums),
                 "loadavg": _loadavg([nums]), "uptime": _uptime([nums]),
                 "stat": _stat([(node, nums)])}
        for fname, text in files.items():
            write_atomic(os.path.join(d, fname), text, 0o444)
    cluster = {"session": session,
               "cpuinfo": "".join(_cpuinfo(k, rec["nodes"][k]) for k in online),
               "meminfo": _meminfo({"mem_kb": sum(n["mem_kb"] for _, n in all_nums),
                                    "free_kb": sum(n["free_kb"] for _, n in all_nums)}),
               "loadavg": _loadavg([n for _, n in all_nums]),
               "uptime": _uptime([n for _, n in all_nums]),
               "stat": _stat(all_nums)}
    for fname, text in cluster.items():
        write_atomic(os.path.join(nodes_dir, "cluster", fname), text, 0o444)
        if fname != "session":
            write_atomic(rpath("proc", fname), text, 0o444)
    write_atomic(os.path.join(nodes_dir, "nrnodes"), "ONLINE:%d\nPRESENT:%d\nPOSSIBLE:%d\n" % (
        len(online), len(online) + len(present_nodes(rec)), MAX_NODES), 0o444)
    self_link = os.path.join(nodes_dir, "self")
    if os.path.lexists(self_link):
        os.unlink(self_link)
    if not rec.get("stopped"):
        os.symlink("node%d" % rec["self"], self_link)


def make_sysroot(root, nodes, self_node, cpus, mem_mb, present, session=1,
                 version=VERSION):
    """Creates a sysroot describing a running cluster (see make-sysroot)."""
    saved = os.environ.get("KRGDEMO_SYSROOT")
    os.environ["KRGDEMO_SYSROOT"] = root
    try:
        _make_sysroot(nodes, self_node, cpus, mem_mb, present, session, version)
    finally:
        if saved is None:
            del os.environ["KRGDEMO_SYSROOT"]
        else:
            os.environ["KRGDEMO_SYSROOT"] = saved


def _make_sysroot(nodes, self_node, cpus, mem_mb, present, session, version):
    root = sysroot()
    os.makedirs(root, exist_ok=True)
    for sub in ("caps", "apps", "migrating"):
        os.makedirs(state_path(sub), exist_ok=True)
    rec = {"self": self_node, "session": session, "nodes": {}, "version": version}
    for node in nodes:
        rec["nodes"][node] = {"status": "online", "cpus": cpus, "mem_mb": mem_mb}
    for node in present:
        rec["nodes"][node] = {"status": "present", "cpus": cpus, "mem_mb": mem_mb}
    save_nodes(rec)
    render_nodes(rec)
    os.makedirs(rpath("proc", "kerrighed", "epm"), exist_ok=True)
    write_atomic(rpath("proc", "kerrighed", "services"), "", 0o444)
    sysk = {"node_id": "%d\n" % self_node, "session_id": "%d\n" % session,
            "subsession_id": "0\n", "max_nodes": "%d\n" % MAX_NODES,
            "max_subclusters": "%d\n" % MAX_SUBCLUSTERS, "abi": "1\n"}
    for name, text in sysk.items():
        write_atomic(rpath("sys", "kerrighed", name), text, 0o444)
    kernel_max = rpath("sys", "devices", "system", "cpu", "kernel_max")
    if version == VERSION_24:
        # Linux 2.6.20 has no kernel_max (it came with 2.6.28).
        if os.path.exists(kernel_max):
            os.unlink(kernel_max)
    else:
        write_atomic(kernel_max, "%d\n" % (NR_CPUS - 1), 0o444)
    os.makedirs(rpath("var", "chkpt"), exist_ok=True)
    os.chmod(rpath("var", "chkpt"), 0o1777)
    make_scheduler_config(nodes)


def _node_list(nodes):
    """A node set as krgnodelist_scnprintf() prints it: ascending, runs of
    consecutive ids as ranges ("2,5-7,11")."""
    items, run = [], []
    for n in sorted(set(nodes)):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            items.append(str(run[0]) if len(run) == 1 else "%d-%d" % (run[0], run[-1]))
        run = [n]
    if run:
        items.append(str(run[0]) if len(run) == 1 else "%d-%d" % (run[0], run[-1]))
    return ",".join(items)


def _parse_node_list(text):
    """The ids of a node list ("2,5-7,11"); ValueError when malformed."""
    nodes = set()
    for item in text.strip().split(","):
        if item:
            lo, _, hi = item.partition("-")
            nodes.update(range(int(lo), int(hi or lo) + 1))
    return nodes


def update_scheduler_node_sets(added, removed):
    """What hotplug does to the schedulers (scheduler_post_add() and
    scheduler_remove(), kernel@3.0.0:kerrighed/scheduler/scheduler.c): a
    scheduler whose node_set_max_fit is 1 (the default: krg_legacy_scheduler
    never writes node_set) follows the online nodes, so added nodes join its
    node_set; removed nodes leave every scheduler's node_set."""
    base = rpath("config", "krg_scheduler", "schedulers")
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return
    for name in names:
        path = os.path.join(base, name, "node_set")
        try:
            with open(path) as f:
                nodes = _parse_node_list(f.read())
        except (OSError, ValueError):
            continue
        if _int_file(os.path.join(base, name, "node_set_max_fit"), 1) == 1:
            nodes |= set(added)
        nodes -= set(removed)
        write_atomic(path, _node_list(nodes) + "\n")


def make_scheduler_config(nodes):
    """The configfs tree krg_legacy_scheduler leaves behind (INTERFACE 2.2)."""
    base = rpath("config", "krg_scheduler")

    def put(rel, text):
        write_atomic(os.path.join(base, rel), text)

    def link(target, rel):
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(os.path.relpath(os.path.join(base, target),
                                   os.path.dirname(path)), path)

    mosix = "probes/mosix_probe"
    for probe in ("process_load", "norm_upper_load", "norm_mean_load"):
        put("%s/%s/value" % (mosix, probe), "0\n")
    put(mosix + "/norm_single_process_load/value", "1000\n")
    put("probes/migration_probe/last_migration/value", "0\n")
    for sched in ("rr", "mosix"):
        s = "schedulers/" + sched
        put(s + "/node_set", _node_list(nodes) + "\n")
        put(s + "/node_set_exclusive", "0\n")
        put(s + "/node_set_max_fit", "1\n")   # scheduler_create()'s default
        put(s + "/process_set/handle_all", "1\n")
        for sub in ("single_processes", "process_groups", "process_sessions"):
            os.makedirs(os.path.join(base, s, "process_set", sub), exist_ok=True)
    os.makedirs(os.path.join(base, "schedulers/rr/round_robin_balancer"), exist_ok=True)
    pol = "schedulers/mosix/mosix_load_balancer"
    put(pol + "/local_load/freq_limit_filter/min_interval", "2000000000\n")
    put(pol + "/local_load/freq_limit_filter/threshold_filter/threshold", "1500\n")
    put(pol + "/remote_load/remote_cache_filter/polling_period", "1000\n")
    put(pol + "/stab_factor", "130\n")   # mosix_load_balancer.c's attribute
    os.makedirs(os.path.join(base, pol, "single_process_load/remote_cache_filter"),
                exist_ok=True)
    link("probes/migration_probe/last_migration",
         pol + "/local_load/freq_limit_filter/last_event/migration")
    link(mosix + "/process_load", pol + "/process_load/mosix")
    link(mosix + "/norm_upper_load", pol + "/remote_load/remote_cache_filter/mosix_upper")
    link(mosix + "/norm_single_process_load",
         pol + "/single_process_load/remote_cache_filter/mosix")
    link(mosix + "/norm_mean_load",
         pol + "/local_load/freq_limit_filter/threshold_filter/mosix_mean")


# ----------------------------------------------------------------- migration

def override_stat_path(pid):
    return rpath("proc", pid, "stat")


def current_node(pid, rec=None):
    """Where a pid runs: field 39 of <root>/proc/<pid>/stat when the double
    wrote one for this very process, else the self node."""
    rec = rec or load_nodes()
    info = proc_info(pid)
    try:
        with open(override_stat_path(pid)) as f:
            over = ProcInfo(pid, f.read())
        if info and over.starttime == info.starttime:
            return int(over.rest[36]) // NR_CPUS
    except (OSError, ValueError, IndexError):
        pass
    return rec["self"]


def migration_pending(pid, starttime):
    rec = read_json(state_path("migrating", pid))
    return bool(rec and rec.get("starttime") == starttime and
                alive(rec.get("helper", 0)))


def do_migrate(pid, node):
    """sys_migrate_process(): validation order of kernel@3.0.0 migration.c;
    the move itself happens later in a detached helper."""
    if not kerrighed_running():
        raise KrgError(errno.EBADF)   # libkerrighed: open() failed, close(-1)
    node = to_short(node)             # the ioctl argument is a short
    if node < 0 or node >= MAX_NODES:
        raise KrgError(errno.EINVAL)
    with StateLock():
        rec = load_nodes()
        if node_status(rec, node) != 3:
            raise KrgError(errno.ENONET)
        info = proc_info(pid)
        if info is None:
            raise KrgError(errno.ESRCH)
        if (not permissions_ok(pid) or
                not cap_raised(get_caps(pid)["effective"], CAP_CAN_MIGRATE) or
                migration_pending(pid, info.starttime) or
                info.state in "ZX" or info.flags & PF_KTHREAD or
                nr_threads(pid) > 1 or knob_applies("migrate_eperm", pid)):
            raise KrgError(errno.EPERM)
        if node == current_node(pid, rec):
            return
        cpu = random.randrange(rec["nodes"][node]["cpus"])
        delay = random.uniform(0.05, 0.3)
        try:
            lo, hi = (float(x) for x in open(state_path("migrate_delay_ms")).read().split()[:2])
            delay = random.uniform(lo, hi) / 1000.0
        except (OSError, ValueError):
            pass
        helper = spawn_detached(lambda: _complete_migration(pid, info.starttime,
                                                           node, cpu, delay))
        write_json(state_path("migrating", pid),
                   {"starttime": info.starttime, "node": node, "helper": helper})


def spawn_detached(work):
    """Runs work() in a grandchild in its own session, with stdio on
    /dev/null (so callers capturing our output are not held open); returns
    the grandchild's pid."""
    sys.stdout.flush()
    sys.stderr.flush()
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(rfd)
            os.setsid()
            gpid = os.fork()
            if gpid:
                os.write(wfd, b"%d" % gpid)
                os._exit(0)
            os.close(wfd)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            work()
        finally:
            os._exit(0)
    os.close(wfd)
    data = b""
    while True:
        chunk = os.read(rfd, 64)
        if not chunk:
            break
        data += chunk
    os.close(rfd)
    os.waitpid(pid, 0)
    return int(data or b"0")


def land_migration(pid, node, cpu):
    """The process now runs on `node`: <root>/proc/<pid>/stat, a copy of the
    real one with field 39 = node * NR_CPUS + cpu."""
    with open("/proc/%d/stat" % pid) as f:
        info = ProcInfo(pid, f.read())
    fields = list(info.rest)
    fields[36] = str(node * NR_CPUS + cpu)
    write_atomic(override_stat_path(pid),
                 info.head + " " + " ".join(fields) + "\n", 0o444)


def _complete_migration(pid, starttime, node, cpu, delay):
    time.sleep(delay)
    if not os.path.isdir(state_path()):
        return                         # the sysroot was removed meanwhile
    with StateLock():
        try:
            if alive(pid, starttime) and not knob_applies("migrate_aborts", pid):
                land_migration(pid, node, cpu)
        finally:
            try:
                os.unlink(state_path("migrating", pid))
            except OSError:
                pass


def main_migrate(argv):
    prog = prog_name(argv[0])
    argv = [prog] + argv[1:]
    events, operands = getopt_long(argv, "hv", [("help", 0, "h"), ("version", 0, "v")])
    help_text = "Usage: %s [-h|--help] [-v|--version] <pid> <nodeid>\n" % prog
    for c, _, msg in events:
        if msg:
            Out.err(msg + "\n")
        if c == "h":
            Out.out(help_text)
            return 0
        if c == "v":
            Out.out("%s %s\n%s%s%s" % (prog, VERSION, COPY_INRIA, COPY_KERLABS, NO_WARRANTY))
            return 0
        Out.out(help_text)
        return 1
    if len(operands) != 2:
        Out.out(help_text)
        return 1
    try:
        do_migrate(atoi(operands[0]), atoi(operands[1]))
    except KrgError as e:
        perror("migrate", e.errno)
        return 1
    return 0


# ------------------------------------------------------------------ balancer
#
# The mosix load balancer (kerrighed/scheduler/policies/mosix_load_balancer.c)
# as krg_legacy_scheduler configures it, off unless the `balancer` knob
# exists. A detached daemon, started by the first tool run while the knob
# exists, does one round per interval: each node of a scheduler that has a
# mosix_load_balancer policy and process_set/handle_all = 1 whose load is
# above the threshold moves one process that may migrate (CAN_MIGRATE
# effective, one thread) to the least loaded node, if that node's load plus
# stab_factor % of one process is below its own (find_target_task picks the
# second busiest candidate, as the kernel does). See README.md.

def _sched_path(*parts):
    return rpath("config", "krg_scheduler", *parts)


def _int_file(path, default):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return default


def mosix_schedulers():
    """(policy dir, node set) of every scheduler the balancer works for."""
    out = []
    base = _sched_path("schedulers")
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return out
    for name in names:
        policy = os.path.join(base, name, "mosix_load_balancer")
        if not os.path.isdir(policy) or _int_file(
                os.path.join(base, name, "process_set", "handle_all"), 0) != 1:
            continue
        try:
            with open(os.path.join(base, name, "node_set")) as f:
                nodes = _parse_node_list(f.read())
        except (OSError, ValueError):
            continue
        out.append((policy, nodes))
    return out


def balancer_interval():
    """Seconds between rounds: the knob's first number (ms), else the
    policy's freq_limit_filter/min_interval (ns; 2 s as configured)."""
    try:
        with open(state_path("balancer")) as f:
            words = f.read().split()
        if words:
            return max(0.01, float(words[0]) / 1000.0)
    except (OSError, ValueError):
        pass
    for policy, _ in mosix_schedulers():
        ns = _int_file(os.path.join(policy, "local_load", "freq_limit_filter",
                                    "min_interval"), 2000000000)
        return max(0.01, ns / 1e9)
    return 2.0


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _process_loads(prev, rec):
    """{node: [(load, pid, starttime, may_move)]} of the processes with
    CAN_MIGRATE effective; load 1.0 = one CPU-bound process: one running or
    runnable now, or that used at least a tenth of a CPU since the last round
    (the test machine is shared: the share a process got is not what it
    asks for)."""
    now, seen, cache, by_node = time.monotonic(), {}, {}, {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        info = proc_info(int(name))
        if info is None or info.state in "ZX" or info.flags & PF_KTHREAD:
            continue
        try:
            caps = get_caps(info.pid, cache)
        except KrgError:
            continue
        if not cap_raised(caps["effective"], CAP_CAN_MIGRATE):
            continue
        ticks = int(info.rest[11]) + int(info.rest[12])   # utime + stime
        seen[info.pid] = (info.starttime, ticks, now)
        old = prev.get(info.pid)
        share = 0.0
        if old and old[0] == info.starttime and now > old[2]:
            share = (ticks - old[1]) / float(CLK_TCK) / (now - old[2])
        load = 1.0 if info.state == "R" or share >= 0.1 else max(0.0, share)
        may_move = (nr_threads(info.pid) == 1 and permissions_ok(info.pid) and
                    not migration_pending(info.pid, info.starttime) and
                    not knob_applies("migrate_eperm", info.pid))
        by_node.setdefault(current_node(info.pid, rec), []).append(
            (load, info.pid, info.starttime, may_move))
    prev.clear()
    prev.update(seen)
    return by_node


def balance_round(prev, last_move, interval):
    with StateLock():
        rec = load_nodes()
        online = set(online_nodes(rec))
        by_node = _process_loads(prev, rec)
        now = time.monotonic()
        single = _int_file(_sched_path("probes", "mosix_probe",
                                       "norm_single_process_load", "value"), 1000)
        for policy, node_set in mosix_schedulers():
            nodes = sorted(node_set & online)
            threshold = _int_file(os.path.join(
                policy, "local_load", "freq_limit_filter", "threshold_filter",
                "threshold"), single * 3 // 2)
            stab = _int_file(os.path.join(policy, "stab_factor"), 130)
            for node in nodes:
                if now - last_move.get(node, -1e9) < interval * 0.9:
                    continue
                procs = by_node.get(node, [])
                local = sum(p[0] for p in procs) * single
                movable = sorted((p for p in procs if p[3] and p[0] > 0),
                                 key=lambda p: -p[0])
                if local <= threshold or not movable:
                    continue
                task = movable[1] if len(movable) > 1 else movable[0]
                target, lowest = None, local
                for other in nodes:
                    if other == node:
                        continue
                    remote = sum(p[0] for p in by_node.get(other, [])) * single \
                        + single * stab // 100
                    if remote < lowest:
                        target, lowest = other, remote
                if target is None:
                    continue
                last_move[node] = now
                if knob_applies("migrate_aborts", task[1]) or \
                        not alive(task[1], task[2]):
                    continue
                land_migration(task[1], target,
                               random.randrange(rec["nodes"][target]["cpus"]))
                procs.remove(task)
                by_node.setdefault(target, []).append(task[:3] + (False,))


def balancer_loop():
    prev, last_move = {}, {}
    while os.path.isdir(state_path()) and knob("balancer") is not None:
        interval = balancer_interval()
        time.sleep(interval)
        try:
            balance_round(prev, last_move, interval)
        except (OSError, ValueError, KrgError):
            pass   # the sysroot is being removed, or a process just exited


def ensure_balancer():
    """Starts the balancer daemon when the knob exists and none runs."""
    if knob("balancer") is None or not kerrighed_running():
        return
    with StateLock():
        rec = read_json(state_path("balancer.json")) or {}
        if alive(rec.get("pid", 0), rec.get("starttime")):
            return
        pid = spawn_detached(balancer_loop)
        info = proc_info(pid)
        write_json(state_path("balancer.json"),
                   {"pid": pid, "starttime": info.starttime if info else None})


# ----------------------------------------------------------------- krgcapset

def print_capability(vector, skip=()):
    """print_capability() of krgcapset.c, byte for byte (2.4.4's skips
    CHECKPOINTABLE: skip=(CAP_CHECKPOINTABLE,))."""
    out, col = [], 8
    for i in range(CAP_SIZE):
        if i in skip:
            continue
        if cap_raised(vector, i):
            width = len(CAP_NAMES[i]) + 2
            if col + width < 80:
                if col != 8:
                    out.append(", ")
                    width += 2
                else:
                    out.append("\t")
            else:
                out.append("\n\t")
                col = 8
            out.append(CAP_NAMES[i])
            col += width
    out.append("\n")
    Out.out("".join(out))


def print_capabilities(caps, skip=()):
    for title, key in (("Permitted", "permitted"), ("Effective", "effective"),
                       ("Inheritable Permitted", "inheritable_permitted"),
                       ("Inheritable Effective", "inheritable_effective")):
        Out.out("%s Capabilities: 0%o\n" % (title, caps[key] & 0xffffffff))
        print_capability(caps[key], skip)


def construct_capability(description, v24=False):
    """3.0: unknown names on stderr; 2.4.4 does not know CHECKPOINTABLE and
    says so on stdout."""
    res = 0
    skip = (CAP_CHECKPOINTABLE,) if v24 else ()
    for token in description.split(","):
        for i, name in enumerate(CAP_NAMES):
            if i not in skip and token.startswith(name):
                res |= 1 << i
                break
        else:
            text = "Unrecognized capability: %s\nAuthorized capability names are:\n" % token
            if v24:
                Out.out(text)
            else:
                Out.err(text)
            print_capability(CAP_SUPPORTED, skip)
    return res


def update_capability(description, old, v24=False):
    if description.startswith("+"):
        return construct_capability(description[1:], v24) | old
    if description.startswith("-"):
        return ~construct_capability(description[1:], v24) & old
    return construct_capability(description, v24)


def parse_cap_value(arg, old, v24=False):
    value, end = strtol(arg, 0)
    if end != len(arg):
        value = update_capability(arg, old, v24)
    return to_int32(value)


KRGCAPSET_LONG = [("help", 0, "h"), ("version", 0, "v"), ("show", 0, "s"),
                  ("force", 0, "f"), ("pid", 1, "k"), ("permitted", 1, "p"),
                  ("effective", 1, "e"), ("inheritable-permitted", 1, "i"),
                  ("inheritable-effective", 1, "d")]


def krgcapset_usage(prog):
    Out.out(("Usage: %s [-h|--help] [-v|--version]\n"
             "  or:  %s [-k|--pid <pid>] -s|--show\n"
             "  or:  %s [-f|--force] [-k|--pid <pid>] {SET {[+|-]CAPABILITY LIST | OCTAL VALUE}...}\n"
             "  -h, --help                   display this help and exit\n"
             "  -v, --version                display version informations and exit\n"
             "  -k, --pid <pid>              act on the task having pid <pid>\n"
             "                               (default: calling process)\n"
             "  -s, --show                   show the capabilities of the designated task\n"
             "\n"
             "Change capabilities of the designated task.\n"
             " SET is one of:\n"
             "  -e, --effective              set up effective capabilities\n"
             "  -p, --permitted              set up permitted capabilities\n"
             "  -d, --inheritable-effective  set up inheritable effective capabilities\n"
             "  -i, --inheritable-permitted  set up inheritable permitted capabilities\n"
             "\n") % (prog, prog, prog))
    if kerrighed_running():
        Out.out("CAPABILITY LIST is a comma-separated list of capabilities amongst:\n")
        print_capability(CAP_SUPPORTED)
    else:
        Out.out("WARNING: Capability list not available. You may not be running a "
                "Kerrighed kernel.\n")


def read_answer():
    """The y/N loop of krgcapset.c (including its always-true `answer = '\\n'`)."""
    sys.stdout.flush()
    answer = sys.stdin.buffer.read(1)
    while answer not in (b"y", b"Y", b"n", b"N", b"", b"\n"):
        answer = sys.stdin.buffer.read(1)
    return answer in (b"y", b"Y")


def cluster_version():
    """The Kerrighed release the sysroot models (make-sysroot --version)."""
    rec = read_json(state_path("nodes.json")) or {}
    return rec.get("version", VERSION)


def krgcapset_usage_244(prog):
    """usage() of kerrighed-2.4.4/tools/krgcapset.c: no -v, no -k line."""
    Out.out("Usage: %s -h|--help\n"
            "  or:  %s -s|--show\n"
            "  or:  %s [-f|--force] [-k|--pid <pid>] {SET {[+|-]CAPABILITY LIST | OCTAL VALUE}...}\n"
            "\n"
            " -h, --help                    display this help and exit\n"
            " -s, --show                    show capabilities of calling process\n"
            "\n"
            "Change capabilities of the calling (or designated) process.\n"
            " SET is one of:\n"
            "  -e, --effective              set up effective capabilities\n"
            "  -p, --permitted              set up permitted capabilities\n"
            "  -d, --inheritable-effective  set up inheritable effective capabilities\n"
            "  -i, --inheritable-permitted  set up inheritable permitted capabilities\n"
            "\n"
            " CAPABILITY LIST is a comma-separated list of capabilities amongst:\n"
            % (prog, prog, prog))
    print_capability(CAP_SUPPORTED, (CAP_CHECKPOINTABLE,))


def main_krgcapset_244(argv):
    """Kerrighed 2.4.4's krgcapset: Kerrighed is checked before anything
    else, one getopt pass ("hsfk:p:e:i:d:", no --version: an unknown option
    prints usage and exits 1), CHECKPOINTABLE unknown."""
    prog = prog_name(argv[0])
    argv = [prog] + argv[1:]
    if not kerrighed_running():
        Out.err("Unable to get the list of supported caps.\nIs Kerrighed running?\n")
        return 255
    try:
        caps = dict(get_caps(os.getppid()))
    except KrgError as e:
        Out.out("Unable to get my father's capabilities res: -1, errno: %d\n" % e.errno)
        return 255
    if len(argv) == 1:
        krgcapset_usage_244(prog)
        return 0
    long_opts = [o for o in KRGCAPSET_LONG if o[0] != "version"]
    events, _ = getopt_long(argv, "hsfk:p:e:i:d:", long_opts)
    return krgcapset_options(events, caps, prog, v24=True)


def krgcapset_options(events, caps, prog, v24):
    """krgcapset's option loop (in 3.0 its second pass: -h and -v have
    been handled), then the set."""
    skip = (CAP_CHECKPOINTABLE,) if v24 else ()
    usage = krgcapset_usage_244 if v24 else krgcapset_usage
    pid, force, changed = -1, False, False
    keys = {"e": "effective", "p": "permitted", "i": "inheritable_permitted",
            "d": "inheritable_effective"}
    for c, arg, msg in events:
        if msg:
            Out.err(msg + "\n")
        if c == "f":
            force = True
        elif c == "s":
            print_capabilities(caps, skip)
        elif c in keys:
            caps[keys[c]] = parse_cap_value(arg, caps[keys[c]], v24)
            changed = True
        elif c == "k":
            pid = atoi(arg)
            if changed:
                Out.out("Conflict in implementation: -k must be the first option used\n")
                return 1
            try:
                if not permissions_ok(pid):
                    raise KrgError(errno.EPERM)
                caps = dict(get_caps(pid))
            except KrgError as e:
                Out.out("Unable to get capabilities of process %d (res: -1, errno: %d))\n"
                        % (pid, e.errno))
                return 255
        elif c == "h":
            usage(prog)
            return 0
        else:
            usage(prog)
            return 1
    return apply_krgcapset(caps, pid, force, changed)


def apply_krgcapset(caps, pid, force, changed):
    """The end of krgcapset's main() (2.4.4 and 3.0 alike): the y/N prompt,
    then the set, whose failure is printed and still exits 0."""
    if changed and not force and (
            not cap_raised(caps["permitted"], CAP_CHANGE_KERRIGHED_CAP) or
            not cap_raised(caps["effective"], CAP_CHANGE_KERRIGHED_CAP)):
        Out.out("Are you sure you want to loose the capability to change your "
                "capabilities (y/N)\n")
        if not read_answer():
            return 0
    if changed:
        target = os.getppid() if pid == -1 else pid
        try:
            if target <= 1:
                raise KrgError(errno.EPERM)   # never change init's caps
            set_caps(target, caps)
        except KrgError as e:
            if pid == -1:
                Out.out("Unable to set my father's capabilities\n")
            else:
                Out.out("Unable to set the capabilities of process %d (res is -1, "
                        "errno %d)\n" % (pid, e.errno))
    return 0


def main_krgcapset(argv):
    if cluster_version() == VERSION_24:
        return main_krgcapset_244(argv)
    prog = prog_name(argv[0])
    argv = [prog] + argv[1:]
    if len(argv) == 1:
        krgcapset_usage(prog)
        return 0
    events, _ = getopt_long(argv, "hvsfk:p:e:i:d:", KRGCAPSET_LONG)
    for c, _, msg in events:          # first pass: -h / -v only
        if msg:
            Out.err(msg + "\n")
        if c == "v":
            Out.out("%s %s\nCopyright (C) 2001-2006, INRIA, Universite de Rennes 1, "
                    "EDF\n%s%s" % (prog, VERSION, COPY_KERLABS, NO_WARRANTY))
            return 0
        if c == "h":
            krgcapset_usage(prog)
            return 0
    if not kerrighed_running():
        Out.err("Unable to get the list of supported caps.\nIs Kerrighed running?\n")
        return 255
    try:
        caps = get_caps(os.getppid())
    except KrgError as e:
        Out.out("Unable to get my father's capabilities res: -1, errno: %d\n" % e.errno)
        return 255
    return krgcapset_options(events, dict(caps), prog, v24=False)


# -------------------------------------------------------------- applications

def app_path(appid):
    return state_path("apps", "%d.json" % appid)


def load_app(appid):
    """An application record, or None once its root process is gone."""
    rec = read_json(app_path(appid))
    if rec and alive(rec["root_pid"], rec["root_starttime"]):
        return rec
    return None


def save_app(rec):
    write_json(app_path(rec["appid"]), rec)


def has_ckpt(pid, cache):
    try:
        return cap_raised(get_caps(pid, cache)["effective"], CAP_CHECKPOINTABLE)
    except KrgError:
        return False


def chain_top(pid, cache):
    """The topmost ancestor-or-self reached through CHECKPOINTABLE processes."""
    top = pid
    while True:
        info = proc_info(top)
        if info is None or info.ppid <= 1 or not has_ckpt(info.ppid, cache):
            return top
        top = info.ppid


def app_of_root(root_pid):
    """The record whose live root process is root_pid (restarted apps keep
    their appid while their root runs under a new real pid)."""
    info = proc_info(root_pid)
    try:
        names = os.listdir(state_path("apps"))
    except OSError:
        names = []
    for name in names:
        rec = read_json(state_path("apps", name))
        if rec and info and rec["root_pid"] == root_pid and \
                rec["root_starttime"] == info.starttime:
            return rec
    return None


def appid_from_pid(pid, cache):
    """get_appid_from_pid(): ESRCH, EPERM without CHECKPOINTABLE, else the
    application (created lazily, appid = its root pid)."""
    info = proc_info(pid)
    if info is None or info.state in "ZX":
        raise KrgError(errno.ESRCH)
    if not has_ckpt(pid, cache):
        raise KrgError(errno.EPERM)
    top = chain_top(pid, cache)
    rec = app_of_root(top)
    if rec is None:
        rec = {"appid": top, "root_pid": top,
               "root_starttime": proc_info(top).starttime,
               "state": "RUNNING", "chkpt_sn": 0}
        save_app(rec)
    return rec


def app_from_appid(appid, cache):
    rec = load_app(appid)
    if rec is None:
        info = proc_info(appid)
        if info is None or info.state in "ZX" or not has_ckpt(appid, cache) or \
                chain_top(appid, cache) != appid:
            raise KrgError(errno.ESRCH)
        rec = appid_from_pid(appid, cache)
    return rec


def app_members(rec, cache):
    """The root process and its descendants reached through CHECKPOINTABLE
    processes, in tree order."""
    kids = children_map()
    members, todo = [], [rec["root_pid"]]
    while todo:
        pid = todo.pop(0)
        members.append(pid)
        todo += [k for k in sorted(kids.get(pid, [])) if has_ckpt(k, cache)]
    return members


def resolve_app(target, from_appid, cache):
    if target < 0:
        raise KrgError(errno.EINVAL)
    rec = app_from_appid(target, cache) if from_appid else appid_from_pid(target, cache)
    # An application may not freeze or checkpoint itself.
    me = os.getpid()
    if has_ckpt(me, cache) and app_of_root(chain_top(me, cache)) and \
            app_of_root(chain_top(me, cache))["appid"] == rec["appid"]:
        raise KrgError(errno.EPERM)
    return rec


def app_freeze(target, from_appid):
    cache = {}
    with StateLock():
        rec = resolve_app(target, from_appid, cache)
        if rec["state"] != "RUNNING":
            raise KrgError(errno.EPERM)
        members = app_members(rec, cache)
        for pid in members:
            info = proc_info(pid)
            if info and info.state == "Z":
                raise KrgError(E_CR_TASKDEAD)
        for pid in members:
            try:
                os.kill(pid, signal.SIGSTOP)
            except OSError:
                pass
        deadline = time.time() + 2
        while time.time() < deadline:
            states = [proc_info(p) for p in members]
            if all(i is None or i.state in "TtZX" for i in states):
                break
            time.sleep(0.005)
        rec["state"] = "FROZEN"
        save_app(rec)


def app_unfreeze(target, from_appid, sig):
    if not 0 <= sig < 34:             # get_appid(): signal < 0 or >= SIGRTMIN
        raise KrgError(errno.EINVAL)
    cache = {}
    with StateLock():
        rec = resolve_app(target, from_appid, cache)
        if rec["state"] == "RUNNING":
            raise KrgError(errno.EPERM)
        members = app_members(rec, cache)
        for pid in members:
            try:
                if sig:
                    os.kill(pid, sig)
                os.kill(pid, signal.SIGCONT)
            except OSError:
                pass
        rec["state"] = "RUNNING"
        save_app(rec)


def chkpt_dir(appid, version=None):
    if version is None:
        return rpath("var", "chkpt", appid)
    return rpath("var", "chkpt", appid, "v%d" % version)


def _readlink(path):
    try:
        return os.readlink(path)
    except OSError:
        return ""


def _read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def _fd_entries(pid):
    """(fd, flags, pos, target) of the open files of a real process."""
    out = []
    try:
        fds = sorted(int(x) for x in os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return out
    for fd in fds:
        flags, pos = 0, 0
        for line in _read_bytes("/proc/%d/fdinfo/%d" % (pid, fd)).decode(errors="replace").splitlines():
            if line.startswith("flags:"):
                flags = int(line.split()[1], 8)
            elif line.startswith("pos:"):
                pos = int(line.split()[1])
        out.append((fd, flags, pos, _readlink("/proc/%d/fd/%d" % (pid, fd))))
    return out


def _file_type(pid, fd, target):
    try:
        st = os.stat("/proc/%d/fd/%d" % (pid, fd))
    except OSError:
        return None, None
    mode = st.st_mode
    if stat.S_ISREG(mode):
        kind = "file"
    elif stat.S_ISDIR(mode):
        kind = "dir"
    elif stat.S_ISFIFO(mode):
        kind = "pipe" if target.startswith("pipe:") else "fifo"
    elif stat.S_ISSOCK(mode):
        kind = "socket"
    elif stat.S_ISCHR(mode):
        major = os.major(st.st_rdev)
        kind = "tty" if major in (4, 5) or 136 <= major <= 143 else "char"
    elif stat.S_ISBLK(mode):
        kind = "block"
    else:
        kind = "link"
    return kind, (st.st_dev << 32) ^ st.st_ino


def unsupported_files(pid):
    """The open files checkpoint refuses without -i: sockets (the kernel's
    is_file_type_supported(), kerrighed/fs/mobility.c) and named pipes (the
    checkpoint(1) man page); anonymous pipes are saved (user_info `pipe`)."""
    kinds = (_file_type(pid, fd, target)[0] for fd, _, _, target in _fd_entries(pid))
    return [k for k in kinds if k in ("socket", "fifo")]


def task_record(krg_pid, pid, node, caps):
    """task_<pid>.bin: the double's own format (the real one is a kernel
    ghost). Header lines, then length-prefixed byte fields."""
    info = proc_info(pid)
    parts = [b"KRGDOUBLE-TASK 1\n",
             b"pid %d\nrealpid %d\nppid %d\nnode %d\n" % (krg_pid, pid, info.ppid if info else 0, node),
             b"caps %o %o %o %o\n" % tuple(caps[k] for k in CAP_FIELDS)]

    def field(name, data):
        parts.append(b"%s %d\n" % (name, len(data)) + data + b"\n")

    field(b"exe", _readlink("/proc/%d/exe" % pid).encode())
    field(b"cwd", _readlink("/proc/%d/cwd" % pid).encode())
    field(b"argv", _read_bytes("/proc/%d/cmdline" % pid))
    field(b"environ", _read_bytes("/proc/%d/environ" % pid))
    for fd, flags, pos, target in _fd_entries(pid):
        if fd <= 2:
            field(b"fd %d %o %d" % (fd, flags, pos), target.encode())
    parts.append(b"end\n")
    return b"".join(parts)


def parse_task(data):
    """Inverse of task_record(); raises ValueError on anything malformed."""
    lines = data.split(b"\n", 1)
    if lines[0] != b"KRGDOUBLE-TASK 1":
        raise ValueError("bad header")
    rest, task = lines[1], {"fds": {}}
    while True:
        line, _, rest = rest.partition(b"\n")
        words = line.split()
        if not words:
            raise ValueError("truncated")
        key = words[0].decode()
        if key == "end":
            return task
        if key in ("pid", "realpid", "ppid", "node"):
            task[key] = int(words[1])
        elif key == "caps":
            task["caps"] = dict(zip(CAP_FIELDS, (int(w, 8) for w in words[1:5])))
        else:
            n = int(words[-1])
            value, rest = rest[:n], rest[n:]
            if not rest.startswith(b"\n"):
                raise ValueError("bad length")
            rest = rest[1:]
            if key == "fd":
                task["fds"][int(words[1])] = (int(words[2], 8), int(words[3]), value)
            else:
                task[key] = value


def app_checkpoint(target, from_appid, ignore_unsupported):
    """Checkpoints a frozen application into /var/chkpt/<appid>/v<n>/."""
    cache = {}
    with StateLock():
        rec = resolve_app(target, from_appid, cache)
        if rec["state"] != "FROZEN":
            raise KrgError(errno.EPERM)
        members = app_members(rec, cache)
        for pid in members:
            info = proc_info(pid)
            if info is None or info.state == "Z":
                raise KrgError(E_CR_TASKDEAD)
            if not has_ckpt(pid, cache):
                raise KrgError(errno.EPERM)
        if not ignore_unsupported and any(unsupported_files(pid) for pid in members):
            raise KrgError(errno.ENOSYS)
        version = rec["chkpt_sn"] + 1
        while os.path.lexists(chkpt_dir(rec["appid"], version)):
            version += 1
        d = chkpt_dir(rec["appid"], version)
        os.makedirs(d)
        nodes = load_nodes()
        by_node = {}
        for pid in members:
            node = current_node(pid, nodes)
            krg_pid = rec["appid"] if pid == rec["root_pid"] else pid
            by_node.setdefault(node, []).append((krg_pid, pid))
            write_atomic(os.path.join(d, "task_%d.bin" % krg_pid),
                         task_record(krg_pid, pid, node, get_caps(pid, cache)))
        for node, tasks in sorted(by_node.items()):
            write_atomic(os.path.join(d, "node_%d.bin" % node), "KRGDOUBLE-NODE 1\n" +
                         "".join("task %d\n" % k for k, _ in tasks))
            write_atomic(os.path.join(d, "shared_obj_%d.bin" % node), "KRGDOUBLE-SHARED 1\n")
            write_atomic(os.path.join(d, "user_info_%d.txt" % node), _user_info(node, tasks))
        write_atomic(os.path.join(d, "global.bin"),
                     "KRGDOUBLE-GLOBAL 1\nappid %d\nversion %d\nnodes %s\n" % (
                         rec["appid"], version, _node_list(by_node)))
        rec["chkpt_sn"] = version
        save_app(rec)
        return rec["appid"], version


def _user_info(node, tasks):
    """user_info_<node>.txt: `type|file_identifier|symbolic name|pid:fd,...`."""
    files, order = {}, []
    for krg_pid, pid in tasks:
        for fd, _, _, target in _fd_entries(pid):
            kind, ident = _file_type(pid, fd, target)
            if kind is None:
                continue
            key = "%04X%016X" % (node & 0xffff, ident & 0xffffffffffffffff)
            if key not in files:
                files[key] = [kind, target, []]
                order.append(key)
            files[key][2].append("%d:%d" % (krg_pid, fd))
    return "".join("%-8s|%s|%s|%s\n" % (files[k][0], k, files[k][1], ",".join(files[k][2]))
                   for k in order)


# ---------------------------------------------------------------- checkpoint

CHECKPOINT_LONG = [("help", 0, "h"), ("version", 0, "v"), ("quiet", 0, "q"),
                   ("from-appid", 0, "a"), ("ckpt-only", 0, "c"),
                   ("description", 1, "d"), ("no-callbacks", 0, "b"),
                   ("freeze", 0, "f"), ("unfreeze", 2, "u"), ("kill", 2, "k"),
                   ("ignore-unsupported-files", 0, "i")]


def checkpoint_help(prog):
    Out.out("Usage: %s [options] <pid>\n"
            "\n"
            "Mutually Exclusive Options:\n"
            "  Without any of these options, freeze and checkpoint the application.\n"
            "  -f|--freeze             Freeze the application\n"
            "  -u|--unfreeze [signal]  Unfreeze the application\n"
            "  -c|--ckpt-only          Checkpoint a frozen application\n"
            "  -k|--kill [signal]      Send a signal to the application, after checkpointing and before unfreezing\n"
            "\n"
            "General Options:\n"
            "  -h|--help               Display this information and exit\n"
            "  -v|--version            Display version informations and exit\n"
            "  -q|--quiet              Be less verbose\n"
            "  -b|--no-callbacks       Do not execute callbacks\n"
            "  -d|--description        Associate a description with the checkpoint\n"
            "  -a|--appid              Use <pid> as an application identifier rather than a process identifier\n"
            "  -i|--ignore-unsupported-files\n"
            "                          Allow to checkpoint application with open files of unsupported type\n"
            % prog)


def check_cr_environment():
    """check_environment() of checkpoint.c/restart.c; False after printing."""
    if not kerrighed_running():
        perror("Kerrighed is not started", errno.EAGAIN)
        return False
    if not os.path.exists(rpath("var", "chkpt")):
        perror("/var/chkpt", errno.ENOENT)
        return False
    return True


def checkpoint_show_error(err):
    if err == E_CR_TASKDEAD:
        Out.err("checkpoint: can not checkpoint an application with dead/zombie process\n")
    else:
        perror("checkpoint", err)


class Checkpointer:
    """The freeze/checkpoint/unfreeze steps of checkpoint.c."""

    def __init__(self, pid, from_appid, quiet, description, ignore):
        self.pid, self.from_appid, self.quiet = pid, from_appid, quiet
        self.description, self.ignore = description, ignore

    def say(self, verb):
        if self.quiet:
            return
        if self.from_appid:
            Out.out("%s application %d...\n" % (verb, self.pid))
        else:
            Out.out("%s application in which process %d is involved...\n" % (verb, self.pid))

    def freeze(self):
        self.say("Freezing")
        try:
            app_freeze(self.pid, self.from_appid)
        except KrgError as e:
            checkpoint_show_error(e.errno)
            return 1
        return 0

    def unfreeze(self, sig, quiet=None):
        saved, self.quiet = self.quiet, self.quiet if quiet is None else quiet
        self.say("Unfreezing")
        self.quiet = saved
        try:
            app_unfreeze(self.pid, self.from_appid, sig)
        except KrgError as e:
            checkpoint_show_error(e.errno)
            return 1
        return 0

    def checkpoint(self):
        self.say("Checkpointing")
        try:
            appid, version = app_checkpoint(self.pid, self.from_appid, self.ignore)
        except KrgError as e:
            checkpoint_show_error(e.errno)
            return 1
        description = self.description if self.description is not None else "No description"
        now = int(time.time())
        if not self.quiet:
            Out.out("Identifier: %d\nVersion: %d\nDescription: %s\nDate: %s\n\n" % (
                appid, version, description, time.ctime(now)))
        path = os.path.join(chkpt_dir(appid, version), "description.txt")
        try:
            with open(path, "a") as f:
                f.write("Identifier: %d\nVersion: %d\nDescription: %s\nDate: %d\n" % (
                    appid, version, description, now))
        except OSError as e:
            perror("/var/chkpt/%d/v%d/description.txt" % (appid, version), e.errno)
        return 0


def main_checkpoint(argv):
    prog = prog_name(argv[0])
    argv = [prog] + argv[1:]
    events, operands = getopt_long(argv, "hqacd:bfu::k::i", CHECKPOINT_LONG)
    action, sig, opts = "all", 0, {"from_appid": False, "quiet": False,
                                  "description": None, "ignore": False}
    for c, arg, msg in events:
        if msg:
            Out.err(msg + "\n")
        if c == "h":
            checkpoint_help(prog)
            return 0
        if c == "v":
            Out.out("%s %s\n%s%s%s" % (prog, VERSION, COPY_INRIA, COPY_KERLABS, NO_WARRANTY))
            return 0
        if c == "q":
            opts["quiet"] = True
        elif c == "a":
            opts["from_appid"] = True
        elif c == "d":
            opts["description"] = arg
        elif c == "c":
            action = "checkpoint"
        elif c == "b":
            pass                       # callbacks: the double has none to run
        elif c == "f":
            action = "freeze"
        elif c == "u":
            action = "unfreeze"
            if arg is not None:
                sig = atoi(arg)
        elif c == "k":
            sig = atoi(arg) if arg is not None else 15
        elif c == "i":
            opts["ignore"] = True
        else:
            checkpoint_help(prog)
            return 1
    if len(operands) != 1:
        checkpoint_help(prog)
        return 1
    if not check_cr_environment():
        return 1
    pid = atol(operands[0])
    if pid < 2:
        return 1
    ck = Checkpointer(pid, opts["from_appid"], opts["quiet"], opts["description"],
                      opts["ignore"])
    if action == "checkpoint":
        return ck.checkpoint()
    if action == "freeze":
        return ck.freeze()
    if action == "unfreeze":
        return ck.unfreeze(sig)
    if ck.freeze():
        return 1
    if ck.checkpoint():
        ck.unfreeze(0, quiet=True)     # silently, without any signal
        return 1
    return ck.unfreeze(sig)


# ------------------------------------------------------------------- restart

RESTART_LONG = [("help", 0, "h"), ("version", 0, "v"), ("foreground", 0, "f"),
                ("tty", 0, "t"), ("pids", 0, "p"), ("substitute-file", 1, "s"),
                ("quiet", 0, "q"), ("debug", 0, "d")]


def restart_help(prog):
    Out.out("Usage: %s [options] appid version\n"
            "\n"
            "Options:\n"
            "  -h|--help                Display this information and exit\n"
            "  -v|--version             Display version information\n"
            "  -t|--replace-tty         Replace application original terminal by the current one\n"
            "  -f|--foreground          Restart the application in foreground\n"
            "  -p|--pids                Replace application orphan pgrp and sid by the ones of restart\n"
            "  -s|--substitute-file file_id,fd\n"
            "                           Substitute application open files by restart parent fd\n"
            % prog)


def _valid_substitution(arg):
    """sscanf(arg, "%a[0-9A-F],%d") == 2."""
    i = 0
    while i < len(arg) and arg[i] in "0123456789ABCDEF":
        i += 1
    return i > 0 and arg[i:i + 1] == "," and strtol(arg[i + 1:], 10)[1] > 0


def _replace_stdio_keys(appid, version):
    """replace_stdin_stdout_stderr(): the greps restart.c runs through popen."""
    d = chkpt_dir(appid, version)
    shown = "/var/chkpt/%d/v%d/" % (appid, version)
    try:
        with open(os.path.join(d, "description.txt")) as f:
            ids = [l for l in f if l.startswith("Identifier:")]
        root = "".join(ids).replace(" ", "").replace("\n", "").split(":")[1:2]
        root = root[0] if root else ""
    except OSError:
        Out.err("grep: %s/description.txt: No such file or directory\n" % shown)
        root = ""
    infos = sorted(n for n in (os.listdir(d) if os.path.isdir(d) else [])
                   if n.startswith("user_info_") and n.endswith(".txt"))
    if not infos:
        Out.err("grep: %s/user_info_*.txt: No such file or directory\n" % shown)
    for fd in (0, 1, 2):
        key = ""
        for name in infos:
            with open(os.path.join(d, name)) as f:
                for line in f:
                    parts = line.rstrip("\n").split("|")
                    if len(parts) >= 4 and "%s:%d" % (root, fd) in parts[3].split(","):
                        key = key or parts[1]
        if not key:
            Out.err("restart: unable to substitute stdin, stdout, stderr: %s\n"
                    % strerror(errno.ENOENT))
            return False
    return True


def load_checkpoint(appid, version):
    """Reads back what app_checkpoint wrote; E_CR_BADDATA when anything is
    missing or malformed."""
    d = chkpt_dir(appid, version)
    try:
        if knob("restart_baddata") is not None:
            raise ValueError("knob")
        with open(os.path.join(d, "global.bin")) as f:
            if f.readline() != "KRGDOUBLE-GLOBAL 1\n":
                raise ValueError("global")
        tasks = []
        for name in sorted(os.listdir(d)):
            if name.startswith("node_") and name.endswith(".bin"):
                with open(os.path.join(d, name)) as f:
                    lines = f.read().splitlines()
                if lines[:1] != ["KRGDOUBLE-NODE 1"]:
                    raise ValueError("node")
                tasks += [int(l.split()[1]) for l in lines[1:]]
        if appid not in tasks:
            raise ValueError("no root task")
        parsed = {}
        for krg_pid in tasks:
            with open(os.path.join(d, "task_%d.bin" % krg_pid), "rb") as f:
                parsed[krg_pid] = parse_task(f.read())
        return parsed
    except (OSError, ValueError, IndexError, KeyError):
        raise KrgError(E_CR_BADDATA)


def _child_stdio(task, use_current):
    """Opens what fds 0-2 of the restarted root get: ours with -t/-f, else the
    recorded regular files re-opened (as Kerrighed re-opens regular files),
    else /dev/null."""
    if use_current:
        return
    for fd in (0, 1, 2):
        flags, pos, target = task["fds"].get(fd, (os.O_RDWR, 0, b""))
        newfd = -1
        if target.startswith(b"/") and os.path.isfile(target):
            try:
                newfd = os.open(target, flags & ~(os.O_CREAT | os.O_TRUNC | os.O_EXCL))
                if not flags & os.O_APPEND:
                    os.lseek(newfd, pos, os.SEEK_SET)
            except OSError:
                newfd = -1
        if newfd < 0:
            newfd = os.open(os.devnull, os.O_RDWR)
        if newfd != fd:
            os.dup2(newfd, fd)
            os.close(newfd)


def _exec_task(task, appid, version, use_current, sync_fd):
    """In the restarted process: wait until the double recorded us, then
    re-run the recorded command line in the recorded cwd and environment."""
    while os.read(sync_fd, 1):
        pass
    os.close(sync_fd)
    _child_stdio(task, use_current)
    env = {}
    for item in task.get("environ", b"").split(b"\0"):
        if b"=" in item:
            k, _, v = item.partition(b"=")
            env[k] = v
    env[b"KRG_DOUBLE_RESTARTED"] = b"%d:%d" % (appid, version)
    argv = [a for a in task.get("argv", b"").split(b"\0")]
    if argv and argv[-1] == b"":
        argv.pop()
    try:
        os.chdir(task.get("cwd", b"/") or b"/")
    except OSError:
        os.chdir("/")
    exe = task.get("exe", b"")
    try:
        if exe and os.path.exists(exe):
            os.execve(exe, argv or [exe], env)
        os.execvpe(argv[0], argv, env)
    except (OSError, IndexError):
        os._exit(127)


def app_restart(appid, version, foreground, use_current):
    """application_restart(): APPBUSY, BADDATA, PIDBUSY, then re-creates the
    root process. Returns the new real pid of the root."""
    with StateLock():
        if load_app(appid) is not None:
            raise KrgError(E_CR_APPBUSY)
        tasks = load_checkpoint(appid, version)
        for krg_pid in tasks:
            if proc_info(krg_pid) is not None:
                raise KrgError(E_CR_PIDBUSY)
        task = tasks[appid]
        sys.stdout.flush()
        sys.stderr.flush()
        sync_r, sync_w = os.pipe()
        exec_r, exec_w = os.pipe()      # close-on-exec: EOF once we exec'd
        if foreground:
            pid = os.fork()
            if pid == 0:
                try:
                    os.close(sync_w)
                    os.close(exec_r)
                    os.setsid()
                    _exec_task(task, appid, version, use_current, sync_r)
                finally:
                    os._exit(127)
        else:
            pid = spawn_detached_exec(task, appid, version, use_current, sync_r, sync_w,
                                      exec_r)
        os.close(sync_r)
        os.close(exec_w)
        info = proc_info(pid)
        store_caps(pid, task["caps"])
        save_app({"appid": appid, "root_pid": pid, "root_starttime": info.starttime,
                  "state": "RUNNING", "chkpt_sn": version})
        os.close(sync_w)
        while os.read(exec_r, 1):
            pass
        os.close(exec_r)
        return pid


def spawn_detached_exec(task, appid, version, use_current, sync_r, sync_w, exec_r):
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(rfd)
            os.close(sync_w)
            os.close(exec_r)
            os.setsid()
            gpid = os.fork()
            if gpid:
                os.write(wfd, b"%d" % gpid)
                os._exit(0)
            os.close(wfd)
            _exec_task(task, appid, version, use_current, sync_r)
        finally:
            os._exit(127)
    os.close(wfd)
    data = b""
    while True:
        chunk = os.read(rfd, 64)
        if not chunk:
            break
        data += chunk
    os.close(rfd)
    os.waitpid(pid, 0)
    return int(data)


def wait_relaying(pid):
    """wait() for the child while relaying SIGINT/SIGTERM to it; its status."""
    def relay(signum, _frame):
        try:
            os.kill(pid, signum)
        except OSError:
            pass
    signal.signal(signal.SIGINT, relay)
    signal.signal(signal.SIGTERM, relay)
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except InterruptedError:
            continue


def main_restart(argv):
    prog = prog_name(argv[0])
    argv = [prog] + argv[1:]
    events, operands = getopt_long(argv, "hvftps:qd", RESTART_LONG)
    foreground = tty = quiet = False
    for c, arg, msg in events:
        if msg:
            Out.err(msg + "\n")
        if c == "h":
            restart_help(prog)
            return 0
        if c == "v":
            Out.out("%s %s\n%s%s%s" % (prog, VERSION, COPY_INRIA, COPY_KERLABS, NO_WARRANTY))
            return 0
        if c == "f":
            foreground = tty = True
        elif c == "t":
            tty = True
        elif c in "pd":
            pass                        # pgrp/sid and debug: nothing to emulate
        elif c == "s":
            if not _valid_substitution(arg):
                Out.err("restart: fail to parse args: %s\n" % strerror(errno.EINVAL))
                return 1
        elif c == "q":
            quiet = True
        else:
            restart_help(prog)
            return 1
    if len(operands) != 2:
        restart_help(prog)
        return 1
    appid, version = atol(operands[0]), atoi(operands[1])
    if tty and not _replace_stdio_keys(appid, version):
        return 1
    if not check_cr_environment():
        return 1
    if not quiet:
        Out.out("Restarting application %d (v%d) ...\n" % (appid, version))
    try:
        pid = app_restart(appid, version, foreground, tty)
    except KrgError as e:
        if e.errno == E_CR_APPBUSY:
            Out.err("restart: an application using appid %d is already running\n" % appid)
        elif e.errno == E_CR_PIDBUSY:
            Out.err("restart: one PID (including session id or group id) of the "
                    "application is already in use\n")
        elif e.errno == E_CR_BADDATA:
            Out.err("restart: invalid checkpoint files (corrupted or wrong kernel version)\n")
        else:
            perror("restart", e.errno)
        return 1
    if not quiet:
        Out.out("Application %d has been successfully restarted\n" % appid)
    if foreground:
        sys.stdout.flush()
        if wait_relaying(pid):
            return 1
    return 0


# ----------------------------------------------------------------- krgcr-run

def krgcr_run_usage(prog):
    Out.err("Usage: %s [OPTIONS] -- program [arg ...]\n"
            "  -h          Show this information and exit\n"
            "  -v          Show version informations and exit\n"
            "  -o file     write the session id in a file\n"
            "  -b          start the program in background (default: foreground)\n"
            "  -q          (quiet) do not show the Application idendifier\n" % prog)


def main_krgcr_run(argv):
    prog = prog_name(argv[0])
    argv = [prog] + argv[1:]
    if len(argv) < 2:
        krgcr_run_usage(prog)
        return 1
    events, operands = getopt_long(argv, "vhbo:qsn")
    background = quiet = sync = False
    setcap, filepath = True, ""
    for c, arg, msg in events:
        if msg:
            Out.err(msg + "\n")
        if c == "v":
            Out.out("%s %s\n%s%s" % (prog, VERSION, COPY_KERLABS, NO_WARRANTY))
            return 0
        if c == "h":
            krgcr_run_usage(prog)
            return 0
        if c == "b":
            background = True
        elif c == "o":
            filepath = arg[:255]
        elif c == "q":
            quiet = True
        elif c == "s":
            sync = True
        elif c == "n":
            setcap = False
        else:
            Out.out("** unknown option\n")
            krgcr_run_usage(prog)
            return 1
    sync = sync and background
    me = os.getpid()
    if setcap:
        if not kerrighed_running():
            Out.err("Fail to get Kerrighed capabilities of current process (%d)\n" % me)
            return 1
        try:
            caps = dict(get_caps(me))
            caps["inheritable_effective"] |= 1 << CAP_CHECKPOINTABLE
            set_caps(me, caps)
        except KrgError:
            Out.err("Fail to set Kerrighed capabilities of current process (%d)\n" % me)
            return 1
    if sync:
        pipe_r, pipe_w = os.pipe()
    go_r, go_w = os.pipe()
    exec_r, exec_w = os.pipe()          # close-on-exec: EOF once the child exec'd
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(go_w)
            os.close(exec_r)
            while os.read(go_r, 1):     # vfork(): run only once we are recorded
                pass
            os.close(go_r)
            if sync:
                os.close(pipe_r)
                os.set_inheritable(pipe_w, True)
            sid = os.setsid()
            if filepath:
                try:
                    with open(filepath, "w") as f:
                        f.write("%d" % sid)
                except OSError as e:
                    perror("fopen", e.errno)
                    os._exit(1)
            if not operands:
                raise OSError(errno.EFAULT, "")
            os.execvp(operands[0], operands)
        except OSError as e:
            perror("execvp", e.errno)
        os._exit(1)
    os.close(go_r)
    if kerrighed_running():
        with StateLock():
            try:
                store_caps(pid, get_caps(pid))   # caps are fixed at fork
            except KrgError:
                pass
    os.close(go_w)
    os.close(exec_w)
    while os.read(exec_r, 1):
        pass
    os.close(exec_r)
    if not quiet:
        Out.out("Running application %d\n" % pid)
    sys.stdout.flush()
    if not background:
        if wait_relaying(pid):
            return 1
    elif sync:
        os.close(pipe_w)
        os.read(pipe_r, 1)
        os.close(pipe_r)
    return 0


# -------------------------------------------------------------------- krgadm

def krgadm_help(prog):
    Out.out("Usage: %s [-h|--help] [--version]\n"
            "  or:  %s cluster {status|poweroff|reboot}\n"
            "  or:  %s nodes status [-n|--nodes]\n"
            "  or:  %s nodes {add|del} {(-n|--nodes node_list) | (-c|--count node_count) | (-t|--total node_count) |(-a|--all)}\n"
            % (prog, prog, prog, prog))
    Out.out("\nCluster Mode:\n"
            "  status            print cluster status\n"
            "  poweroff          poweroff all nodes in the cluster\n"
            "  reboot            restart all nodes in the cluster\n"
            "\nNodes Mode:\n"
            "  status            print status of each present nodes\n"
            "  add               add nodes to the running cluster\n"
            "  del               remove nodes from the running cluster\n"
            "\nOptions:\n"
            "  -n, --nodes       list of nodes to add/del\n"
            "                    ie: 2,3,6-10,42-45\n"
            "  -c, --count       number of nodes to add/del\n"
            "  -t, --total       number of nodes in resulting cluster\n"
            "  -a, --all         apply to all nodes\n"
            "\nNode Status:\n"
            "  present           available for integrating the cluster\n"
            "  online            participating in the cluster\n"
            "\n")


def parse_nodes(text, nodes):
    """parse_nodes() of krgadm.c: item(,item)*, item = id | id-id."""
    if "," in text:
        head, _, tail = text.rpartition(",")
        return parse_nodes(head, nodes) and parse_nodes(tail, nodes)
    if "-" in text:
        n1, end = strtol(text, 10)
        if end == 0 or text[end:end + 1] != "-":
            perror("first node range", errno.EINVAL)
            return False
        rest = text[text.index("-") + 1:]
        n2, end = strtol(rest, 10)
        if end == 0 or end != len(rest):
            perror("end node range", errno.EINVAL)
            return False
        nodes.update(n for n in range(n1, n2 + 1) if 0 <= n < MAX_NODES)
        return True
    n, end = strtol(text, 10)
    if end == 0 or end != len(text):
        perror("node", errno.EINVAL)
        return False
    if 0 <= n < MAX_NODES:
        nodes.add(n)
    return True


def set_str(nodes):
    return "[%s]" % ",".join(str(n) for n in sorted(nodes))


def set_node_states(nodes, status):
    with StateLock():
        rec = load_nodes()
        for n in nodes:
            rec["nodes"][n]["status"] = status
        save_nodes(rec)
        render_nodes(rec)
        if status == "online":
            update_scheduler_node_sets(nodes, ())
        else:
            update_scheduler_node_sets((), nodes)


def wait_for_nodes(nodes):
    if not nodes:
        return True
    Out.out("Waiting for nodes to join... ")
    while True:
        rec = load_nodes()
        done = True
        for n in sorted(nodes):
            ok = node_status(rec, n) == 2
            done = done and ok
            Out.out("%4d:%d" % (n, 1 if ok else 0))
        sys.stdout.flush()
        if done:
            Out.out(" done\n")
            return True
        time.sleep(1)
        Out.out("\b" * 6 * len(nodes))


def wait_for_nodes_count(count, nodes):
    if count <= 0:
        return True
    Out.out("Waiting for %d nodes to join... " % count)
    if count > MAX_NODES:
        Out.out(" fail (%s)\n" % strerror(errno.ERANGE))
        return False
    while True:
        present = present_nodes(load_nodes())
        Out.out("%4d/%-4d" % (len(present), count))
        sys.stdout.flush()
        if len(present) >= count:
            nodes.update(present[:count])
            Out.out(" done\n")
            return True
        time.sleep(1)
        Out.out("\b" * 9)


def krgadm_nodes_add(nodes, count, mode):
    rec = load_nodes()
    if mode == "all":
        nodes = set(present_nodes(rec))
    elif mode == "list":
        nodes = {n for n in nodes if node_status(rec, n) != 3}
        if not wait_for_nodes(nodes):
            return 1
    else:
        if mode == "total":
            count -= len(online_nodes(rec))
        nodes = set()
        if not wait_for_nodes_count(count, nodes):
            return 1
    if not nodes:
        Out.out("No present node to add.\n")
        return 0
    Out.out("Adding nodes %s... " % set_str(nodes))
    set_node_states(nodes, "online")
    Out.out("done\n")
    return 0


def krgadm_nodes_del(nodes, count, mode):
    rec = load_nodes()
    me = rec["self"]
    online = online_nodes(rec)
    if mode == "all":
        nodes = {n for n in online if n != me}
    elif mode == "list":
        keep = set()
        for n in sorted(nodes):
            if n not in online:
                Out.out("Unable to suppress node %d (must be 'online').\n" % n)
            elif n == me:
                Out.out("Unable to suppress current node.\n")
            else:
                keep.add(n)
        nodes = keep
    else:
        if mode == "total":
            count = len(online) - count
        if not count < len(online):
            Out.out("Not enough nodes to remove. Aborting.\n")
            return 1
        nodes, taken = set(), 0
        for n in online:               # the n first online nodes but this one
            if taken < count and n != me:
                nodes.add(n)
                taken += 1
    if not nodes:
        Out.out("No online node to remove.\n")
        return 0
    Out.out("Removing nodes %s... " % set_str(nodes))
    set_node_states(nodes, "present")
    Out.out("done\n")
    return 0


def krgadm_nodes(args, prog):
    if not kerrighed_running():
        perror("Kerrighed is not running", errno.EAGAIN)
        return 1
    action = "none"
    if not args or args[0] == "status":
        action = "status"
    elif args[0] in ("add", "del"):
        action = args[0]
    events, _ = getopt_long(args if args else [""], "n:c:t:a",
                            [("nodes", 1, "n"), ("count", 1, "c"),
                             ("total", 1, "t"), ("all", 0, "a")], opterr=False)
    mode, nodes, count = None, set(), -1
    exclusive = "Only one of --all, --count, --total or --nodes option is\nsupported. Aborting.\n"
    for c, arg, _ in events:
        if c in ("n", "c", "t", "a") and mode is not None:
            Out.out(exclusive)
            return 1
        if c == "n":
            mode = "list"
            if not parse_nodes(arg, nodes):
                return 1
        elif c in "ct":
            mode = "count" if c == "c" else "total"
            if action == "status":
                krgadm_help(prog)
                return 1
            count, end = strtol(arg, 10)
            if end == 0 or end != len(arg):
                perror("nodes number", errno.EINVAL)
                return 1
            count = to_int32(count)
        elif c == "a":
            mode = "all"
        else:
            krgadm_help(prog)
            return 1
    if action in ("add", "del") and mode is None:
        krgadm_help(prog)
        return 1
    if action == "status":
        rec = load_nodes()
        if mode in (None, "all"):
            shown = [n for n in range(MAX_NODES) if node_status(rec, n) > 1]
        else:
            shown = sorted(n for n in nodes if node_status(rec, n) >= 2)
        for n in shown:
            Out.out("%d:%s\n" % (n, STATUS_STR[node_status(rec, n)]))
        return 0
    if action == "add":
        return krgadm_nodes_add(nodes, count, mode)
    if action == "del":
        return krgadm_nodes_del(nodes, count, mode)
    krgadm_help(prog)
    return 0


def krgadm_cluster(args, prog):
    if not kerrighed_running():
        perror("Kerrighed is not running", errno.EAGAIN)
        return 1
    action = args[0] if args else "status"
    down = os.path.exists(state_path("cluster_down"))
    up_count = 0 if down else len(online_nodes(load_nodes()))
    if action == "status":
        Out.out("status: " + ("down\n" if up_count == 0 else "up on %d nodes\n" % up_count))
        return 0
    if action in ("poweroff", "reboot"):
        Out.out("Shutting down cluster... " if action == "poweroff" else "Rebooting cluster... ")
        if up_count == 0:
            Out.out("fail (cluster not running)\n")
            return 1
        if action == "poweroff":
            write_atomic(state_path("cluster_down"), "")
        Out.out("done\n")
        return 0
    krgadm_help(prog)
    return 0


def main_krgadm(argv):
    prog = prog_name(argv[0])
    if len(argv) == 1:
        krgadm_help(prog)
        return 0
    if argv[1] == "cluster":
        return krgadm_cluster(argv[2:], prog)
    if argv[1] == "nodes":
        return krgadm_nodes(argv[2:], prog)
    if argv[1] == "--version":
        Out.out("%s %s\n%s%s" % (prog, VERSION, COPY_KERLABS, NO_WARRANTY))
        return 0
    krgadm_help(prog)
    return 0


# ------------------------------------------------- ipccheckpoint, ipcrestart

IPC_CREAT, IPC_EXCL, IPC_RMID, IPC_STAT = 0o1000, 0o2000, 0, 2
GETALL, SETALL, SHM_RDONLY = 13, 17, 0o10000
IPC_LONG = {"ipccheckpoint": [("help", 0, "h"), ("version", 0, "v"), ("queue", 1, "q"),
                              ("semaphore", 1, "s"), ("memory", 1, "m")],
            "ipcrestart": [("help", 0, "h"), ("version", 0, "v"), ("queue", 0, "q"),
                           ("semaphore", 0, "s"), ("memory", 0, "m")]}
IPC_TYPES = {"q": "msgq", "s": "sem", "m": "shm"}
_LIBC = []


def libc():
    """System V IPC through ctypes (glibc, x86-64 layouts)."""
    if not _LIBC:
        lib = ctypes.CDLL(None, use_errno=True)
        lib.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
        lib.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
        lib.shmat.restype = ctypes.c_void_p
        lib.shmdt.argtypes = [ctypes.c_void_p]
        lib.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
        lib.semget.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        _LIBC.append(lib)
    return _LIBC[0]


def _ipc_call(ret):
    if ret == -1 or ret is None or ret == ctypes.c_void_p(-1).value:
        raise KrgError(ctypes.get_errno())
    return ret


def _ipc_stat(kind, ipcid):
    """(key, mode, size-or-nsems) of a segment or semaphore set."""
    buf = ctypes.create_string_buffer(128)
    if kind == "shm":
        _ipc_call(libc().shmctl(ipcid, IPC_STAT, buf))
        return struct.unpack_from("<i", buf, 0)[0], struct.unpack_from("<H", buf, 20)[0], \
            struct.unpack_from("<Q", buf, 48)[0]
    _ipc_call(libc().semctl(ctypes.c_int(ipcid), ctypes.c_int(0), ctypes.c_int(IPC_STAT), buf))
    return struct.unpack_from("<i", buf, 0)[0], struct.unpack_from("<H", buf, 20)[0], \
        struct.unpack_from("<Q", buf, 80)[0]


def ipc_dump(kind, ipcid):
    """The double's own file format of a saved object (the real one is a
    kernel ghost): a header, then the segment's bytes or the set's values."""
    if kind == "msgq":
        raise KrgError(errno.ENOSYS)   # not modelled (README)
    if not kerrighed_running():
        raise KrgError(errno.ENOENT)   # no /proc/kerrighed/services
    key, mode, n = _ipc_stat(kind, ipcid)
    head = "KRGDOUBLE-IPC 1\nkind %s\nid %d\nkey %d\nmode %o\n" % (kind, ipcid, key, mode & 0o777)
    if kind == "shm":
        addr = _ipc_call(libc().shmat(ipcid, None, SHM_RDONLY))
        try:
            data = ctypes.string_at(addr, n)
        finally:
            libc().shmdt(ctypes.c_void_p(addr))
        return head.encode() + b"size %d\n" % n + data
    values = (ctypes.c_ushort * n)()
    _ipc_call(libc().semctl(ctypes.c_int(ipcid), ctypes.c_int(0), ctypes.c_int(GETALL), values))
    return (head + "nsems %d\nvalues %s\n" % (n, " ".join(str(v) for v in values))).encode()


def ipc_load(kind, data):
    """Recreates a saved object, under its key and mode. The id cannot be
    the saved one (README): Linux gives a new one."""
    if kind == "msgq":
        raise KrgError(errno.ENOSYS)
    if not kerrighed_running():
        raise KrgError(errno.ENOENT)
    fields, rest = {}, data
    for _ in range(6):
        line, _, rest = rest.partition(b"\n")
        words = line.decode(errors="replace").split()
        if len(words) == 2:
            fields[words[0]] = words[1]
    try:
        if data.split(b"\n", 1)[0] != b"KRGDOUBLE-IPC 1" or fields.get("kind") != kind:
            raise ValueError
        key, mode = int(fields["key"]), int(fields["mode"], 8)
        flags = IPC_CREAT | IPC_EXCL | mode
        if kind == "shm":
            size = int(fields["size"])
            if len(rest) != size:
                raise ValueError
            ipcid = _ipc_call(libc().shmget(key, size, flags))
            addr = _ipc_call(libc().shmat(ipcid, None, 0))
            ctypes.memmove(addr, rest, size)
            libc().shmdt(ctypes.c_void_p(addr))
            return ipcid
        nsems = int(fields["nsems"])
        words = rest.decode().split()
        if words[:1] != ["values"] or len(words) != nsems + 1:
            raise ValueError
        values = (ctypes.c_ushort * nsems)(*(int(v) for v in words[1:]))
    except (KeyError, ValueError, UnicodeDecodeError, OverflowError):
        raise KrgError(errno.EINVAL)
    ipcid = _ipc_call(libc().semget(key, nsems, flags))
    _ipc_call(libc().semctl(ctypes.c_int(ipcid), ctypes.c_int(0), ctypes.c_int(SETALL), values))
    return ipcid


def ipc_options(prog, argv):
    """getopt of ipccheckpoint.c ("hq:s:m:") / ipcrestart.c ("hqsm"): the
    object type (and id) or an exit code. -v is not in either short string."""
    name = "ipccheckpoint" if prog.endswith("ipccheckpoint") else "ipcrestart"
    short = "hq:s:m:" if name == "ipccheckpoint" else "hqsm"
    events, operands = getopt_long([prog] + argv[1:], short, IPC_LONG[name])
    kind, ipcid = None, 0
    for c, arg, msg in events:
        if msg:
            Out.err(msg + "\n")
        if c == "h":
            ipc_help(prog, name)
            return 0, None, None, operands
        if c == "v":
            Out.out("%s %s\n%s%s" % (prog, VERSION, COPY_KERLABS, NO_WARRANTY))
            return 0, None, None, operands
        if c in IPC_TYPES:
            kind = IPC_TYPES[c]
            if arg is not None:
                ipcid = atoi(arg)
        else:
            ipc_help(prog, name)
            return 1, None, None, operands
    if kind is None or len(operands) != 1:
        ipc_help(prog, name)
        return 1, None, None, operands
    return None, kind, ipcid, operands


def ipc_help(prog, name):
    args = "<IPC ID> pathname" if name == "ipccheckpoint" else "pathname"
    Out.out("Usage: %s [-h|--help] [-v|--version] {-q|-s|-m} %s\n"
            "  -h|--help       Show this information and exit\n"
            "  -v|--version    Show version informations and exit\n"
            "  -q|--queue      for a message queue\n"
            "  -s|--semaphore  for a semaphore array\n"
            "  -m|--memory     for a shared memory segment\n" % (prog, args))


def main_ipccheckpoint(argv):
    prog = prog_name(argv[0])
    code, kind, ipcid, operands = ipc_options(prog, argv)
    if code is not None:
        return code
    path = operands[0]
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as e:
        perror(path, e.errno)
        return 1
    try:
        data = ipc_dump(kind, ipcid)
        os.write(fd, data)
    except KrgError as e:
        os.close(fd)
        perror("ipc_%s_checkpoint" % kind, e.errno)
        os.unlink(path)
        return 1
    os.close(fd)
    return 0


def main_ipcrestart(argv):
    prog = prog_name(argv[0])
    code, kind, _, operands = ipc_options(prog, argv)
    if code is not None:
        return code
    path = operands[0]
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        perror(path, e.errno)
        return 1
    try:
        with StateLock():
            ipc_load(kind, data)
    except KrgError as e:
        perror("ipc_%s_restart" % kind, e.errno)
        return 1
    return 0


# --------------------------------------------------------------- entry point

TOOLS = {"krgcapset": main_krgcapset, "migrate": main_migrate,
         "checkpoint": main_checkpoint, "restart": main_restart,
         "krgcr-run": main_krgcr_run, "krgadm": main_krgadm,
         "ipccheckpoint": main_ipccheckpoint, "ipcrestart": main_ipcrestart}


def run_tool(name, argv):
    """Entry point of the bin/ wrappers: runs a tool, flushes, exits."""
    try:
        ensure_balancer()
        code = TOOLS[name](argv)
    except BrokenPipeError:
        code = 1
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    os._exit(code & 0xff)
