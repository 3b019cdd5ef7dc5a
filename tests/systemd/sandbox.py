"""Run a command under the seccomp rules the unit asks systemd for, without systemd running as PID 1.

``python -m tests.systemd.sandbox UNIT -- COMMAND...`` reads ``SystemCallFilter=``,
``SystemCallErrorNumber=``, ``MemoryDenyWriteExecute=`` and ``RestrictAddressFamilies=`` from UNIT, builds the
same filters with libseccomp (the library systemd itself uses; the groups come from
``systemd-analyze syscall-filter``), loads them as systemd does (one filter per feature, no new privileges)
and executes COMMAND. Other sandbox settings (namespaces, read-only paths) are not reproduced here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import mmap
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4
SCMP_CMP_GT = 6
SCMP_CMP_MASKED_EQ = 7
SHM_EXEC = 0o100000
AF_MAX = 46
FAMILIES = {"AF_UNIX": socket.AF_UNIX, "AF_INET": socket.AF_INET, "AF_INET6": socket.AF_INET6,
            "AF_NETLINK": 16, "AF_PACKET": 17}


def scmp_act_errno(number: int) -> int:
    return 0x00050000 | (number & 0xFFFF)


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


@dataclass(frozen=True)
class UnitSandbox:
    allowed: frozenset[str]  # system calls (groups expanded); empty: no allow list
    denied: frozenset[str]
    error_number: int
    deny_write_execute: bool
    address_families: frozenset[int]  # empty: any


def syscall_groups() -> dict[str, list[str]]:
    """Every ``@group`` and its members, as ``systemd-analyze syscall-filter`` prints them."""
    text = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True, check=True).stdout
    groups: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), [])
        elif line.startswith("    ") and not line.strip().startswith("#") and line.strip():
            current.append(line.strip())
    return groups


def expand(names: list[str], groups: dict[str, list[str]]) -> set[str]:
    calls: set[str] = set()
    for name in names:
        calls |= expand(groups[name], groups) if name.startswith("@") else {name}
    return calls


def read_unit(unit: Path) -> UnitSandbox:
    settings: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            settings.setdefault(key.strip(), []).append(value.strip())
    groups = syscall_groups()
    allowed: set[str] = set()
    denied: set[str] = set()
    for entry in settings.get("SystemCallFilter", []):
        names = entry.removeprefix("~").split()
        if entry.startswith("~"):
            denied |= expand(names, groups)
        else:
            allowed |= expand([*names, "@default"], groups)  # systemd adds @default to an allow list
    error_name = (settings.get("SystemCallErrorNumber") or ["EPERM"])[-1]
    families = {FAMILIES[f] for entry in settings.get("RestrictAddressFamilies", []) for f in entry.split()}
    mdwe = (settings.get("MemoryDenyWriteExecute") or ["no"])[-1].lower() in {"yes", "true", "1", "on"}
    return UnitSandbox(frozenset(allowed - denied), frozenset(denied), getattr(errno, error_name), mdwe,
                       frozenset(families))


class Seccomp:
    def __init__(self) -> None:
        name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
        self.lib = ctypes.CDLL(name, use_errno=True)
        self.lib.seccomp_init.restype = ctypes.c_void_p
        self.lib.seccomp_init.argtypes = [ctypes.c_uint32]
        self.lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                                    ctypes.POINTER(ArgCmp)]
        self.lib.seccomp_load.argtypes = [ctypes.c_void_p]
        self.lib.seccomp_release.argtypes = [ctypes.c_void_p]
        self.lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]

    def number(self, name: str) -> int | None:
        value = int(self.lib.seccomp_syscall_resolve_name(name.encode()))
        return None if value == -1 else value  # __NR_SCMP_ERROR: newer than this libseccomp

    def load(self, default_action: int, rules: list[tuple[int, str, list[tuple[int, int, int, int]]]]) -> None:
        ctx = self.lib.seccomp_init(default_action)
        if not ctx:
            raise OSError("seccomp_init failed")
        try:
            for action, name, comparisons in rules:
                number = self.number(name)
                if number is None:
                    continue
                array = (ArgCmp * max(1, len(comparisons)))(*[ArgCmp(*c) for c in comparisons])
                # A call this architecture lacks is ignored by libseccomp, as by systemd.
                self.lib.seccomp_rule_add_array(ctx, action, number, len(comparisons), array)
            if self.lib.seccomp_load(ctx) != 0:
                raise OSError(ctypes.get_errno(), "seccomp_load failed")
        finally:
            self.lib.seccomp_release(ctx)


def apply(sandbox: UnitSandbox) -> None:
    seccomp = Seccomp()
    refuse = scmp_act_errno(sandbox.error_number)
    if sandbox.deny_write_execute:  # systemd's rules: W+X mappings, making memory executable, SHM_EXEC
        write_exec = mmap.PROT_WRITE | mmap.PROT_EXEC
        seccomp.load(SCMP_ACT_ALLOW, [
            (scmp_act_errno(errno.EPERM), "mmap", [(2, SCMP_CMP_MASKED_EQ, write_exec, write_exec)]),
            (scmp_act_errno(errno.EPERM), "mmap2", [(2, SCMP_CMP_MASKED_EQ, write_exec, write_exec)]),
            (scmp_act_errno(errno.EPERM), "mprotect", [(2, SCMP_CMP_MASKED_EQ, mmap.PROT_EXEC, mmap.PROT_EXEC)]),
            (scmp_act_errno(errno.EPERM), "pkey_mprotect", [(2, SCMP_CMP_MASKED_EQ, mmap.PROT_EXEC, mmap.PROT_EXEC)]),
            (scmp_act_errno(errno.EPERM), "shmat", [(2, SCMP_CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC)]),
        ])
    if sandbox.address_families:
        refused = [f for f in range(AF_MAX) if f not in sandbox.address_families]
        rules = [(scmp_act_errno(errno.EAFNOSUPPORT), "socket", [(0, SCMP_CMP_EQ, f, 0)]) for f in refused]
        rules.append((scmp_act_errno(errno.EAFNOSUPPORT), "socket", [(0, SCMP_CMP_GT, AF_MAX - 1, 0)]))
        seccomp.load(SCMP_ACT_ALLOW, rules)
    # The system call list goes last, as systemd loads it: it may refuse seccomp() itself.
    if sandbox.allowed:
        seccomp.load(refuse, [(SCMP_ACT_ALLOW, name, []) for name in sorted(sandbox.allowed)])
    elif sandbox.denied:
        seccomp.load(SCMP_ACT_ALLOW, [(refuse, name, []) for name in sorted(sandbox.denied)])


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m tests.systemd.sandbox UNIT -- COMMAND...", file=sys.stderr)
        return 2
    apply(read_unit(Path(argv[0])))
    os.execvp(argv[2], argv[2:])
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
