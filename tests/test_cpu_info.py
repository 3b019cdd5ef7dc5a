"""The processor's name and flags from the text of /proc/cpuinfo, on x86, on ARM and off Linux."""

from __future__ import annotations

import platform
from pathlib import Path

from edge.cpu_info import cpu_flags, cpu_name, read_cpuinfo

X86 = ("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu avx2 amx_bf16\n\n"
       "processor\t: 1\nmodel name\t: Other\nflags\t\t: fpu\n")
ARM = "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd bf16\n"


def test_flags_and_name_are_the_first_processors() -> None:
    assert cpu_flags(X86) == {"fpu", "avx2", "amx_bf16"}
    assert cpu_name(X86) == "Intel(R) Xeon(R) Processor"


def test_arm_features_count_as_flags() -> None:
    assert cpu_flags(ARM) == {"fp", "asimd", "bf16"}


def test_without_cpuinfo_there_are_no_flags_and_platform_names_the_cpu(tmp_path: Path) -> None:
    assert read_cpuinfo(tmp_path / "missing") == ""
    assert cpu_flags("") == frozenset() and cpu_flags("model name : x\n") == frozenset()
    assert cpu_name("") == (platform.processor() or platform.machine())


def test_read_cpuinfo_survives_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cpuinfo"
    path.write_bytes(b"model name\t: \xff\xfe odd\nflags\t: avx2\n")
    text = read_cpuinfo(path)
    assert cpu_flags(text) == {"avx2"} and "odd" in cpu_name(text)
