"""Readings of this process: resident memory, threads, and CPU time by thread group."""

from __future__ import annotations

import ctypes
import os
import sqlite3  # noqa: F401 - loads _sqlite3, the C module linked to the SQLite library
import sys
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from edge.daemon_bench.reports import CpuUse


def rss_mb() -> float:
    """This process's resident memory (VmRSS), in MB; 0.0 where /proc is missing."""
    return _proc_status_value("VmRSS") / 1024


def sqlite_mb() -> float | None:
    """Memory SQLite holds in this process (page caches, statements), in MB; None where it cannot tell.

    Read from the SQLite library Python's ``sqlite3`` module is linked against (``sqlite3_memory_used``).
    """
    module = sys.modules.get("_sqlite3")  # the C module behind sqlite3, linked to the library
    try:
        used = ctypes.CDLL(str(getattr(module, "__file__", ""))).sqlite3_memory_used
    except (OSError, AttributeError):
        return None
    used.restype = ctypes.c_int64
    return int(used()) / 1e6


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def heap_mb() -> tuple[float, float] | None:
    """glibc's heap: MB in use by the program, and MB free but kept by malloc (None without glibc 2.33+).

    RSS that grows while the first stays level is fragmentation, not a leak.
    """
    try:
        mallinfo2 = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return None
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return (info.uordblks + info.hblkhd) / 1e6, info.fordblks / 1e6


def python_blocks() -> int:
    """Memory blocks Python's allocator has handed out and not got back (every object, strings included):
    a leak of Python objects raises it. A counter, safe to read while other threads run; not
    ``gc.get_objects()``, which takes references to tuples other threads are still building and makes
    their ``_PyTuple_Resize`` fail ("bad argument to internal function": frames lost in a soak)."""
    return sys.getallocatedblocks()


def os_threads() -> int:
    """Threads of this process as the kernel counts them (FFmpeg's and onnxruntime's included)."""
    return int(_proc_status_value("Threads"))


def _proc_status_value(key: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _thread_group(name: str | None) -> str:
    if name is None:
        return "native"
    for prefix, group in (("source-", "capture"), ("pipeline-", "pipeline"), ("outbox-", "outbox"),
                          ("paho", "mqtt"), ("MainThread", "main")):
        if name.startswith(prefix):
            return group
    return "other"


def _thread_seconds() -> dict[int, tuple[str, float]]:
    """CPU seconds of each live thread of this process, with its group (empty where /proc is missing)."""
    names = {t.native_id: t.name for t in threading.enumerate() if t.native_id is not None}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    out: dict[int, tuple[str, float]] = {}
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return out
    for task in tasks:
        with suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/self/task/{task}/stat").read_text().rsplit(")", 1)[1].split()
            tid = int(task)
            out[tid] = (_thread_group(names.get(tid)), (int(fields[11]) + int(fields[12])) / tick)
    return out


@dataclass(frozen=True)
class CpuMark:
    """The clocks read at one moment: wall, process CPU, CPU of each thread; ``since`` gives the CPU used."""

    wall: float
    process: float
    threads: dict[int, tuple[str, float]]

    @classmethod
    def now(cls) -> CpuMark:
        return cls(time.monotonic(), time.process_time(), _thread_seconds())

    def since(self, start: CpuMark) -> CpuUse:
        wall = max(1e-6, self.wall - start.wall)
        groups: dict[str, float] = {}
        for tid, (group, seconds) in self.threads.items():
            earlier = start.threads.get(tid, (group, 0.0))[1]
            groups[group] = groups.get(group, 0.0) + max(0.0, seconds - earlier)
        return CpuUse(round(wall, 1), round((self.process - start.process) / wall, 3),
                      {g: round(s / wall, 3) for g, s in sorted(groups.items())})
