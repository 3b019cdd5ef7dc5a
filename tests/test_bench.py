"""``make bench`` produces its report; speed itself is never asserted in tests."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from edge.bench import SPEED_FEATURES, cpu_features, run_benchmark
from edge.settings.vision import VisionSettings

IMAGES = Path(__file__).resolve().parent / "images"


def test_benchmark_report_has_every_stage_and_thread_setting() -> None:
    progress = io.StringIO()
    report = run_benchmark(VisionSettings().recognizer_config(), [str(IMAGES / "ro-B58DTK.jpg")], repeat=1,
                           progress=progress)
    for setting in ("one_thread", "all_threads"):
        for stage in ("detector", "reader", "total"):
            summary = report[setting][stage]
            assert 0 < summary["median_ms"] <= summary["p95_ms"]
    assert report["parallel_streams"]["frames"] == report["machine"]["cores"]
    assert set(report["machine"]["cpu_features"]) <= set(SPEED_FEATURES)
    assert report["peak_memory_mb"] > 0
    assert "1/1" in progress.getvalue()


def test_benchmark_without_images_is_an_error() -> None:
    with pytest.raises(ValueError, match="no images"):
        run_benchmark(VisionSettings().recognizer_config(), [])


def test_cpu_features_name_what_decides_int8_speed_on_x86_and_arm() -> None:
    x86 = ("processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse avx avx2 avx512f avx512_vnni bmi2\n\n"
           "processor\t: 1\n")
    assert cpu_features(x86) == ["avx2", "avx512f", "avx512_vnni"]
    assert cpu_features("flags\t: fpu sse avx avx2 fma\n") == ["avx2"]  # no VNNI: INT8 needs 7-bit weights
    assert cpu_features("Features\t: fp asimd evtstrm aes crc32 asimddp\n") == ["asimd", "asimddp"]
    assert cpu_features("") == [] and cpu_features("model name : x\n") == []
