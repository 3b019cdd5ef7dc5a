"""What ``/proc/cpuinfo`` says about this machine's processor: its name and its feature flags.

Read once by whoever needs it (``read_cpuinfo``), then parsed as text, so that the parsing is tested with
the text of any machine. Off Linux there is no such file: no flags, and the name ``platform`` gives.
"""

from __future__ import annotations

import platform
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")


def read_cpuinfo(path: Path = CPUINFO) -> str:
    """The text of ``path``; empty where it cannot be read (not Linux)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def cpu_name(cpuinfo: str) -> str:
    """The first processor's ``model name``, else what ``platform`` knows of it."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            return value.strip()
    return platform.processor() or platform.machine()


def cpu_flags(cpuinfo: str) -> frozenset[str]:
    """The first processor's feature flags: its ``flags`` line on x86, its ``Features`` line on ARM."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in {"flags", "Features"}:
            return frozenset(value.split())
    return frozenset()
