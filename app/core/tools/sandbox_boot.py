"""Sandbox bootstrap: runs as the first process of a ``python`` tool run.

Started as ``python -I sandbox_boot.py CONFIG_JSON``, usually inside fresh
Linux namespaces made by ``unshare`` (user, mount, PID, network). It locks the
process down, reports what it enforced on a status pipe (one JSON line), then
forks a fresh isolated interpreter on the user's code with the resource limits
applied, waits for it and reports its exit (a second JSON line). Standard
library only: it runs outside the app (no ``app`` imports).

It stays as a small supervisor rather than ``exec``-ing the user's code because
PID 1 of a namespace is special: the kernel drops signals it has no handler for
(so SIGXCPU would be ignored) and orphans are re-parented to it. When it exits,
the kernel kills every process left in the namespace.

In namespace mode it is PID 1 of its own PID namespace and holds every
capability of its own user namespace, which it uses to:

- cap the number of tasks (processes + threads) in the namespace through the
  per-namespace ``kernel.pid_max`` (Linux >= 6.14) plus ``ns_last_pid``, so new
  PIDs come from a window of ``max_tasks`` numbers only;
- remount every mount read-only except the run's temporary folder;
- drop every capability (bounding set, inheritable, no_new_privs) so the user's
  code can undo none of it;
- install the seccomp filter of sandbox_seccomp.py (no nested namespaces, no
  mounts, no ptrace, no kill(-1), ...), which a nested user namespace would
  otherwise get around.

Failing to make the file system read-only, to drop capabilities or to install
the filter aborts the run (exit status 125): the tool fails closed rather than
run less isolated. Without namespaces (only when the person allowed a run
without isolation) the filter is still installed where it can be, and reported.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import signal
import sys
import time

ABORT_STATUS = 125
RESERVED_PIDS = 300  # the kernel hands out PIDs >= this once the cursor passed it

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME = 16384, 1 << 18, 1 << 21
PR_CAPBSET_DROP, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 24, 36, 38

_libc = (ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
         if os.name == "posix" else None)


def _mount(source: str | None, target: str, flags: int) -> None:
    result = _libc.mount(source.encode() if source else None, target.encode(), None,
                         ctypes.c_ulong(flags), None)
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target}: {os.strerror(errno)}")


def _unescape(path: str) -> str:
    """Undo mountinfo's octal escapes (``\\040`` for a space, ...)."""
    out, i = [], 0
    while i < len(path):
        code = path[i + 1:i + 4]
        if path[i] == "\\" and len(code) == 3 and code.isdigit():
            out.append(chr(int(path[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(path[i])
            i += 1
    return "".join(out)


def _locked_flags(path: str) -> int:
    """The mount flags a remount must keep (the kernel locks them in a user ns)."""
    flag = os.statvfs(path).f_flag
    flags = 0
    for st, ms in ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV),
                   (os.ST_NOEXEC, MS_NOEXEC), (os.ST_NOATIME, MS_NOATIME),
                   (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME)):
        if flag & st:
            flags |= ms
    return flags


def make_read_only(workdir: str) -> list[str]:
    """Bind the work folder onto itself, then remount every other mount
    read-only. Returns the mount points still writable (empty = success)."""
    _mount(None, "/", MS_REC | MS_PRIVATE)
    _mount(workdir, workdir, MS_BIND | MS_REC)
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        points = [_unescape(line.split()[4]) for line in handle if line.strip()]
    writable = []
    for point in dict.fromkeys(points):
        if point == workdir or point.startswith(workdir + "/"):
            continue
        try:
            if not os.statvfs(point).f_flag & os.ST_RDONLY:
                _mount(None, point, MS_REMOUNT | MS_BIND | MS_RDONLY | _locked_flags(point))
        except OSError:
            pass  # judged below by what is visible at that path
        try:
            if not os.statvfs(point).f_flag & os.ST_RDONLY:
                writable.append(point)
        except OSError:
            continue  # not reachable from here (shadowed, permission): not writable either
    return writable


def _kernel_at_least(major: int, minor: int) -> bool:
    try:
        found = tuple(int(part) for part in os.uname().release.split("-")[0].split(".")[:2])
    except ValueError:
        return False
    return found >= (major, minor)


def limit_tasks(max_tasks: int) -> bool:
    """Allow at most ``max_tasks`` new PIDs at once in this PID namespace.

    Only on Linux >= 6.14, where ``kernel.pid_max`` belongs to the PID
    namespace. Before that it is global, and a process whose uid maps to the
    real root (the app run as root) could lower it for the whole machine."""
    if not _kernel_at_least(6, 14):
        return False
    try:
        with open("/proc/sys/kernel/pid_max", "w", encoding="ascii") as handle:
            handle.write(str(RESERVED_PIDS + max_tasks))
        with open("/proc/sys/kernel/ns_last_pid", "w", encoding="ascii") as handle:
            handle.write(str(RESERVED_PIDS))
    except OSError:
        return False  # not allowed here: RLIMIT_NPROC remains
    return True


def drop_capabilities() -> None:
    """Empty the bounding and inheritable sets and forbid regaining privileges:
    after execve the user's code holds no capability, even as uid 0 in the ns."""
    cap = 0
    while _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:
        cap += 1
    if cap == 0:
        raise OSError(ctypes.get_errno(), "could not drop the capability bounding set")

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (Data * 2)()
    if _libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "no_new_privs failed")


def set_limits(limits: dict[str, int]) -> list[str]:
    """Apply the resource limits to this process (the user's code inherits
    them); returns the names the kernel accepted (macOS refuses some)."""
    import resource

    applied = []
    for name, value in limits.items():
        which = getattr(resource, f"RLIMIT_{name.upper()}", None)
        if which is None:
            continue
        # CPU: SIGXCPU at the soft limit, SIGKILL one second later.
        hard = value + 1 if name == "cpu" else value
        try:
            resource.setrlimit(which, (value, hard))
        except (ValueError, OSError):
            continue
        applied.append(name)
    return applied


def become_subreaper() -> bool:
    """Without a PID namespace: adopt orphaned descendants (Linux), so that
    even a double-forked, ``setsid`` child can be found and killed at the end."""
    return sys.platform.startswith("linux") and _libc is not None and \
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def _children() -> list[int]:
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            if fields[1] == me:
                found.append(int(entry))
    return found


def kill_descendants() -> None:
    """SIGKILL every child (adopted orphans included) until none is left.
    Bounded: the parent's wall-time limit covers a pathological race."""
    for _ in range(1000):
        for pid in _children():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return  # no child left
        time.sleep(0.01)


def _report(fd: int, message: dict[str, object]) -> None:
    if fd >= 0:
        os.write(fd, (json.dumps(message) + "\n").encode())


def _install_seccomp(status: dict[str, object], required: bool) -> None:
    """Block new namespaces, mounts, ptrace, kill(-1) ... (sandbox_seccomp.py,
    loaded by path: ``python -I`` does not put this folder on sys.path). With
    namespaces a failure aborts the run; without, it is reported."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox_seccomp.py")
    try:
        spec = importlib.util.spec_from_file_location("sandbox_seccomp", path)
        if spec is None or spec.loader is None:
            raise OSError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.install()
    except OSError as exc:
        status["seccomp"] = False
        if required:
            raise OSError(f"could not install the seccomp filter: {exc}") from exc
        return
    status["seccomp"] = True


class _Stop(Exception):
    """Raised by a signal handler to interrupt the wait for the child."""


def _supervise(argv: list[str], workdir: str, fd: int, reap_all: bool,
               wall_seconds: float) -> int:
    """Fork the user's interpreter, wait for it at most ``wall_seconds``
    (reaping orphans on the way) and report how it ended. Returns this
    process's exit status. SIGTERM (the app cancelling the run) ends the child
    the same way. The app also kills the whole group a little later should
    this process itself hang."""
    waiting = [True]
    why: list[str] = []

    def stop(signum: int, frame: object) -> None:
        why.append("timeout" if signum == signal.SIGALRM else "terminated")
        if waiting[0]:
            raise _Stop

    signal.signal(signal.SIGALRM, stop)
    signal.signal(signal.SIGTERM, stop)
    child = os.fork()
    if child == 0:
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            if fd >= 0:
                os.close(fd)
            os.chdir(workdir)
            os.execv(argv[0], argv)
        except (OSError, ValueError) as exc:  # report, then end the child (any
            # other exception ends it the same way, through the finally below)
            os.write(2, f"sandbox: could not start python: {exc}\n".encode())
        finally:
            os._exit(127)
    signal.setitimer(signal.ITIMER_REAL, wall_seconds)
    wait_status: int | None = None
    cpu = 0.0  # CPU seconds the child used: tells RLIMIT_CPU's SIGKILL from others
    try:
        while True:
            pid, status, usage = os.wait4(-1, 0)
            if pid == child:
                wait_status, cpu = status, usage.ru_utime + usage.ru_stime
                break
    except _Stop:
        pass
    waiting[0] = False
    if wait_status is None:  # stopped: end the child (it may have just ended)
        try:
            os.kill(child, signal.SIGKILL)
            _pid, wait_status, usage = os.wait4(child, 0)
            cpu = usage.ru_utime + usage.ru_stime
        except (ProcessLookupError, ChildProcessError):
            wait_status = signal.SIGKILL  # reaped in the race: a raw "killed" status
    signal.setitimer(signal.ITIMER_REAL, 0)
    if reap_all:
        kill_descendants()
    if os.WIFSIGNALED(wait_status):
        _report(fd, {"signal": os.WTERMSIG(wait_status), "timeout": why[:1] == ["timeout"],
                     "cpu_seconds": round(cpu, 3)})
        return 128 + os.WTERMSIG(wait_status)
    code = os.waitstatus_to_exitcode(wait_status)
    _report(fd, {"exit": code, "cpu_seconds": round(cpu, 3)})
    return code


def main() -> None:
    config = json.loads(sys.argv[1])
    fd = config["status_fd"]
    status: dict[str, object] = {"namespaces": config["namespaces"]}
    try:
        if config["namespaces"]:
            status["task_limit"] = limit_tasks(config["max_tasks"])
            writable = make_read_only(config["workdir"])
            if writable:
                raise OSError(f"could not make read-only: {', '.join(writable[:5])}")
            status["read_only_fs"] = True
            drop_capabilities()
            status["capabilities_dropped"] = True
        if config.get("seccomp"):
            _install_seccomp(status, required=config["namespaces"])
    except OSError as exc:
        status["error"] = str(exc)
    if os.name != "posix":  # no fork, no resource limits: just run it
        import subprocess

        sys.exit(subprocess.call(config["argv"], cwd=config["workdir"]))
    reap_all = not config["namespaces"] and become_subreaper()
    status["subreaper"] = reap_all
    status["rlimits"] = set_limits(config["limits"])
    _report(fd, status)
    if "error" in status:
        print(f"sandbox setup failed: {status['error']}", file=sys.stderr)
        os._exit(ABORT_STATUS)
    os._exit(_supervise(config["argv"], config["workdir"], fd, reap_all,
                        config["wall_seconds"]))


if __name__ == "__main__":
    main()
