"""The recognition benchmark behind ``make bench``: latency per stage, throughput, peak memory."""

from __future__ import annotations

import os
import platform
import resource
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from edge.cpu_info import cpu_flags, cpu_name, read_cpuinfo
from edge.vision.image import read_image
from edge.vision.recognizer import PlateRecognizer, RecognizerConfig

STAGES = ("detector", "reader", "total")


class Progress:
    """A one-line progress bar on a text stream (stderr), so stdout stays clean JSON."""

    def __init__(self, stream: TextIO | None, total: int, label: str) -> None:
        self.stream, self.total, self.label, self.done = stream, max(1, total), label, 0

    def step(self) -> None:
        self.done += 1
        if self.stream is not None:
            filled = int(30 * self.done / self.total)
            self.stream.write(f"\r{self.label:<22} [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}")
            if self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()


# CPU features that decide how fast (and, for INT8 models with full-range weights, how well) onnxruntime
# runs the models: integer dot products (VNNI on x86, dotprod on ARM) and the vector width.
SPEED_FEATURES = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "asimd", "asimddp")


def cpu_features(cpuinfo: str) -> list[str]:
    """The ``SPEED_FEATURES`` among the processor's flags in ``cpuinfo`` (the text of /proc/cpuinfo)."""
    present = cpu_flags(cpuinfo)
    return [f for f in SPEED_FEATURES if f in present]


def _summary(values: list[float]) -> dict[str, float]:
    array = np.array(values)
    return {"median_ms": round(float(np.median(array)), 2), "p95_ms": round(float(np.percentile(array, 95)), 2),
            "mean_ms": round(float(array.mean()), 2)}


def _latency(recognizer: PlateRecognizer, frames: list[np.ndarray], repeat: int,
             progress: Progress) -> dict[str, Any]:
    samples: dict[str, list[float]] = {s: [] for s in STAGES}
    for _ in range(repeat):
        for frame in frames:
            timings = recognizer.read(frame).timings_ms
            for stage in STAGES:
                samples[stage].append(timings[stage])
            progress.step()
    result: dict[str, Any] = {stage: _summary(v) for stage, v in samples.items()}
    result["frames_per_second"] = round(1000.0 / result["total"]["median_ms"], 2)
    return result


def _throughput(recognizer: PlateRecognizer, frames: list[np.ndarray], repeat: int, workers: int,
                progress: Progress) -> dict[str, float]:
    """Frames per second with one single-threaded stream per core, as camera threads would run."""
    def work(chunk: list[np.ndarray]) -> int:
        for frame in chunk:
            recognizer.read(frame)
            progress.step()
        return len(chunk)

    jobs = [frames * repeat for _ in range(workers)]
    start = time.perf_counter()
    with ThreadPoolExecutor(workers, thread_name_prefix="bench") as pool:
        count = sum(pool.map(work, jobs))
    seconds = time.perf_counter() - start
    return {"workers": workers, "frames": count, "frames_per_second": round(count / seconds, 2),
            "frames_per_second_per_core": round(count / seconds / workers, 2)}


def run_benchmark(config: RecognizerConfig, paths: list[str], repeat: int = 3, max_images: int = 40,
                  progress: TextIO | None = None) -> dict[str, Any]:
    """Measure on real images; returns a JSON-ready report."""
    frames = [read_image(Path(p)) for p in paths[:max_images]]
    if not frames:
        raise ValueError("no images to benchmark")
    cores = os.cpu_count() or 1
    one = PlateRecognizer.from_config(replace(config, threads=1))
    many = PlateRecognizer.from_config(replace(config, threads=cores))
    for frame in frames[:3]:  # warm-up: first runs allocate
        one.read(frame)
        many.read(frame)
    n = len(frames) * repeat
    cpuinfo = read_cpuinfo()
    report: dict[str, Any] = {
        "machine": {"cpu": cpu_name(cpuinfo), "cpu_features": cpu_features(cpuinfo), "cores": cores,
                    "python": platform.python_version()},
        "models": one.model_versions,
        "images": len(frames),
        "image_sizes": sorted({f"{f.shape[1]}x{f.shape[0]}" for f in frames}),
        "one_thread": _latency(one, frames, repeat, Progress(progress, n, "latency, 1 thread")),
        "all_threads": _latency(many, frames, repeat, Progress(progress, n, f"latency, {cores} threads")),
        "parallel_streams": _throughput(one, frames, repeat, cores,
                                        Progress(progress, n * cores, f"throughput, {cores} streams")),
    }
    report["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return report
