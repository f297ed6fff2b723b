"""A small seccomp filter for the python tool's sandbox (Linux x86-64, arm64).

Standard library only: sandbox_boot.py loads this file by path (it runs
outside the app, as ``python -I``), and the app imports it to know whether
the filter exists for this machine.

The filter is a classic BPF program installed with
``prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)`` after ``PR_SET_NO_NEW_PRIVS``
(what libseccomp does, without needing it). It is inherited across fork and
execve and cannot be removed. Default: allow. It answers ``EPERM`` to:

- new namespaces: ``unshare``, ``setns``, ``clone`` with any ``CLONE_NEW*``
  flag (``clone3`` gets ``ENOSYS``: its flags sit in memory a filter cannot
  read, and libc then falls back to ``clone``) — in namespace mode a nested
  user namespace would hand the code fresh capabilities;
- mounting: ``mount``, ``umount2``, ``pivot_root``, ``chroot`` and the new
  mount API (``open_tree``, ``move_mount``, ``fsopen``, ``fsconfig``,
  ``fsmount``, ``fspick``, ``mount_setattr``);
- reaching other processes: ``ptrace``, ``process_vm_readv/writev``, and
  ``kill``/``tgkill`` aimed at a negative PID (``kill(-1, 9)``: every process
  the user may signal; ``-pgid``: a whole process group);
- kernel surfaces a script has no use for: ``bpf``, ``perf_event_open``,
  ``userfaultfd``, ``io_uring_setup``, key rings, module loading, ``kexec``.

Any other architecture (or a foreign ABI such as x32 on x86-64) is killed
outright: its system call numbers would not match this table.
"""

from __future__ import annotations

import ctypes
import platform
import struct
import sys

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_ALLOW = 0x80000000, 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
EPERM, ENOSYS = 1, 38
# struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6]
_NR, _ARCH, _ARG0_LOW = 0, 4, 16  # little-endian: the low half of args[0] first
_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
X32_SYSCALL_BIT = 0x40000000
CLONE_NEW_FLAGS = (0x00020000 | 0x02000000 | 0x04000000 | 0x08000000  # NS CGROUP UTS IPC
                   | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080)  # USER PID NET TIME

# name -> (x86_64, aarch64)
_BLOCKED = {
    "unshare": (272, 97), "setns": (308, 268), "mount": (165, 40), "umount2": (166, 39),
    "pivot_root": (155, 41), "chroot": (161, 51), "open_tree": (428, 428),
    "move_mount": (429, 429), "fsopen": (430, 430), "fsconfig": (431, 431),
    "fsmount": (432, 432), "fspick": (433, 433), "mount_setattr": (442, 442),
    "ptrace": (101, 117), "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271), "bpf": (321, 280), "perf_event_open": (298, 241),
    "userfaultfd": (323, 282), "io_uring_setup": (425, 425), "add_key": (248, 217),
    "request_key": (249, 218), "keyctl": (250, 219), "init_module": (175, 105),
    "finit_module": (313, 273), "delete_module": (176, 106), "kexec_load": (246, 104),
}
_CLONE, _CLONE3 = (56, 220), (435, 435)
_KILL = {"kill": (62, 129), "tgkill": (234, 131)}  # the target PID is the first argument
_ARCHES = {"x86_64": (0, 0xC000003E), "amd64": (0, 0xC000003E),
           "aarch64": (1, 0xC00000B7), "arm64": (1, 0xC00000B7)}

BLOCKED_NAMES = tuple(sorted([*_BLOCKED, "clone (new namespaces)", "clone3",
                              "kill/tgkill (negative PID)"]))


def supported() -> bool:
    """Whether this machine gets the filter (Linux on x86-64 or arm64)."""
    return sys.platform.startswith("linux") and platform.machine().lower() in _ARCHES


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def program() -> bytes:
    """The BPF program for this architecture, as ``struct sock_filter`` bytes."""
    column, audit_arch = _ARCHES[platform.machine().lower()]
    deny, allow, nosys = (_op(_RET, SECCOMP_RET_ERRNO | EPERM), _op(_RET, SECCOMP_RET_ALLOW),
                          _op(_RET, SECCOMP_RET_ERRNO | ENOSYS))
    blocked = [numbers[column] for numbers in _BLOCKED.values()]
    head = [_op(_LD_W_ABS, _ARCH), _op(_JEQ, audit_arch, 1, 0),
            _op(_RET, SECCOMP_RET_KILL_PROCESS), _op(_LD_W_ABS, _NR)]
    if column == 0:  # x86-64: refuse the x32 ABI's numbering
        head += [_op(_JGE, X32_SYSCALL_BIT, 0, 1), _op(_RET, SECCOMP_RET_KILL_PROCESS)]
    # The jump table falls through to the tail's first instruction (allow).
    tail = [allow, deny, nosys,
            # 3: clone: refuse any CLONE_NEW* flag (set: deny at 5, clear: allow at 6)
            _op(_LD_W_ABS, _ARG0_LOW), _op(_JSET, CLONE_NEW_FLAGS, 0, 1), deny, allow,
            # 7: kill/tgkill: refuse a negative target PID (sign bit of the int)
            _op(_LD_W_ABS, _ARG0_LOW), _op(_JSET, 0x80000000, 0, 1), deny, allow]
    targets = {"deny": 1, "nosys": 2, "clone": 3, "kill": 7}
    jumps = [(number, "deny") for number in blocked] + [
        (_CLONE3[column], "nosys"), (_CLONE[column], "clone")] + [
        (numbers[column], "kill") for numbers in _KILL.values()]
    body = []
    for index, (number, target) in enumerate(jumps):
        after = len(jumps) - index - 1  # jump-table entries still ahead of this one
        body.append(_op(_JEQ, number, after + targets[target], 0))
    return b"".join(head + body + tail)


def install() -> None:
    """Install the filter on this process (and everything it starts).
    Raises OSError when the kernel refuses it."""
    libc = ctypes.CDLL(None, use_errno=True)
    code = program()
    count = len(code) // 8
    buffer = ctypes.create_string_buffer(code, len(code))

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = Program(count, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), ctypes.c_ulong(0),
                  ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
        raise OSError(ctypes.get_errno(), "no_new_privs failed")
    if libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER),
                  ctypes.byref(prog), ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"seccomp filter refused: errno {errno}")
