"""The daemon benchmarks run briefly and report sane numbers in the documented shape (speed is never asserted)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from edge.app import SAMPLE_CLIP
from edge.cli import main
from edge.daemon_bench import (
    BenchError,
    BenchPlan,
    Percentiles,
    as_dict,
    camera_capacity,
    clip_info,
    heap_mb,
    idle_cost,
    latency_to_mqtt,
    least_squares,
    run_cameras,
    scene_frames,
    soak,
    sqlite_mb,
    two_1080p_cameras,
    write_clip,
)
from tests.services import MOSQUITTO, require_service

SMALL = (320, 180)
NOWHERE = ("127.0.0.1", 9)  # discard port: nothing listens there


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    out = {"arrival": folder / "arrival.mp4", "empty": folder / "empty.mp4"}
    write_clip(out["arrival"], SMALL, 10, "arrival")
    write_clip(out["empty"], SMALL, 10, "empty")
    return out


def _is_cpu(cpu: dict[str, object]) -> None:
    assert isinstance(cpu["cores"], float) and cpu["cores"] >= 0
    assert isinstance(cpu["seconds"], float) and cpu["seconds"] > 0
    assert isinstance(cpu["by_thread"], dict)


# ---- clips and pure helpers -------------------------------------------------------------------------


def test_generated_clips_have_the_asked_size_rate_and_length(clips: dict[str, Path]) -> None:
    for path in clips.values():
        info = clip_info(path)
        assert (info.width, info.height, info.fps) == (320, 180, 10.0)
        assert 7.5 <= info.seconds <= 8.5


def test_arrival_scene_has_a_car_then_road_and_the_empty_scene_only_road() -> None:
    arrival = list(scene_frames(SMALL, 2, "arrival"))
    empty = list(scene_frames(SMALL, 2, "empty"))
    assert len(arrival) == len(empty) == 16
    assert all(f.shape == (180, 320, 3) for f in arrival + empty)
    assert arrival[9].std() > 4 * empty[0].std()  # the car at the gate, against a plain road with noise
    assert abs(float(arrival[-1].mean()) - float(empty[0].mean())) < 2


@pytest.mark.parametrize(("size", "fps", "scene"), [((321, 180), 10, "arrival"), ((8, 8), 10, "arrival"),
                                                     ((320, 180), 0, "arrival"), ((320, 180), 1e9, "empty"),
                                                     ((320, 180), 10, "../../etc")])
def test_bad_clip_requests_are_refused(tmp_path: Path, size: tuple[int, int], fps: float, scene: str) -> None:
    with pytest.raises(ValueError):
        write_clip(tmp_path / "x.mp4", size, fps, scene)
    assert not (tmp_path / "x.mp4").exists()


def test_clip_info_of_a_file_that_is_no_video_is_a_bench_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 1000)
    with pytest.raises(BenchError):
        clip_info(junk)


def test_least_squares_finds_the_slope_and_ignores_too_few_points() -> None:
    slope, stderr = least_squares([(t, 3.0 + 2.0 * t) for t in range(10)])
    assert slope == pytest.approx(2.0) and stderr == pytest.approx(0.0, abs=1e-9)
    assert least_squares([(0, 1.0), (1, 5.0)]) == (0.0, 0.0)
    assert least_squares([(1, 1.0), (1, 2.0), (1, 3.0)]) == (0.0, 0.0)  # one x: no line


def test_percentiles_of_nothing_and_of_values() -> None:
    assert Percentiles.of([]) == Percentiles(0, None, None, None)
    summary = Percentiles.of([float(v) for v in range(1, 101)])
    assert summary.n == 100 and summary.p50 == pytest.approx(50.5) and summary.max == 100.0
    assert summary.p50 is not None and summary.p95 is not None and summary.p50 < summary.p95


@pytest.mark.parametrize("call", [
    lambda: latency_to_mqtt(0),
    lambda: latency_to_mqtt(3, interval_s=0.1),
    lambda: latency_to_mqtt(3, warmup=-1),
    lambda: camera_capacity(max_cameras=0),
    lambda: run_cameras(SAMPLE_CLIP, 0, 5.0, 1.0),
    lambda: run_cameras(SAMPLE_CLIP, 1, 5.0, -1.0),
    lambda: soak(0),
    lambda: soak(10, sample_s=0),
    lambda: soak(10, cameras=0),
    lambda: soak(10, snapshot_cap_mb=0),
])
def test_bad_arguments_are_refused_before_anything_starts(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


def test_latency_without_a_broker_is_a_bench_error() -> None:
    with pytest.raises(BenchError, match="no MQTT broker"):
        latency_to_mqtt(1, broker=NOWHERE)


def test_quick_plan_is_shorter_than_the_full_one() -> None:
    quick, full = BenchPlan.quick(), BenchPlan()
    assert quick.vehicles < full.vehicles and quick.capacity_step_s < full.capacity_step_s


# ---- the benches, briefly ------------------------------------------------------------------------------


def test_latency_to_mqtt_times_every_car() -> None:
    require_service("Mosquitto", MOSQUITTO)
    report = as_dict(latency_to_mqtt(3, warmup=1, interval_s=0.8, picture_size=(640, 360)))
    assert report["vehicles"] == report["decided"] == 3
    latency = report["capture_to_mqtt_ms"]
    assert latency["n"] == 3 and 0 < latency["p50"] <= latency["p95"] <= latency["max"]
    assert set(report["stages_p50_ms"]) == {"capture_to_decided", "decided_to_published", "published_to_received"}
    assert report["pipeline_ms"]["n"] >= 1 and report["pipeline_ms"]["p50"] > 0
    assert set(report["status_latency_ms"]) == {"p50", "p95"}
    assert isinstance(report["met"], bool) and report["target_p95_ms"] == 300.0
    _is_cpu(report["cpu"])
    json.dumps(report)


def test_camera_capacity_reports_each_step(clips: dict[str, Path]) -> None:
    report = as_dict(camera_capacity(clips["arrival"], fps=5.0, step_s=2.0, warmup_s=0.5, max_cameras=1))
    assert len(report["steps"]) == 1 and report["min_fps"] == 4.75
    step = report["steps"][0]
    assert [c["camera"] for c in step["cameras"]] == ["cam1"]
    camera = step["cameras"][0]
    assert camera["source_fps"] > 0 and camera["taken_fps"] > 0
    assert camera["taken_fps"] == pytest.approx(camera["model_fps"] + camera["still_fps"], abs=0.02)
    assert report["sustained_cameras"] == (1 if step["held"] else 0)
    assert report["limit_found"] is not step["held"]
    _is_cpu(step["cpu"])


def test_two_cameras_report_both(clips: dict[str, Path]) -> None:
    report = as_dict(two_1080p_cameras(clips["arrival"], fps=10.0, seconds=2.0, warmup_s=0.5))
    assert [c["camera"] for c in report["cameras"]] == ["cam1", "cam2"]
    assert all(c["taken_fps"] > 0 for c in report["cameras"])
    assert report["clip"]["width"] == 320 and report["fps_asked"] == 10.0
    assert report["cpu"]["cores"] > 0 and isinstance(report["held"], bool)


def test_idle_cost_compares_a_still_camera_with_no_camera(clips: dict[str, Path]) -> None:
    report = as_dict(idle_cost(clips["empty"], fps=5.0, seconds=2.0, baseline_s=1.0, warmup_s=1.0))
    assert report["camera"]["still_fps"] > 0  # the motion gate let nearly nothing through
    assert report["camera"]["model_fps"] < report["camera"]["still_fps"]
    assert report["camera_core_percent"] == pytest.approx(
        (report["with_camera"]["cores"] - report["baseline"]["cores"]) * 100, abs=0.01)
    assert report["target_percent"] == 5.0 and isinstance(report["met"], bool)
    _is_cpu(report["baseline"])
    _is_cpu(report["with_camera"])


def test_soak_command_writes_its_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "soak.json"
    assert main(["soak", "--duration", "8", "--sample", "1", "--snapshot-cap-mb", "5", "--output", str(output)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert json.loads(output.read_text()) == printed
    report = printed["soak"]
    assert len(report["samples"]) >= 6 and all(mb > 0 for _, mb in report["samples"])
    assert 0 < report["rss_start_mb"] <= report["rss_max_mb"] and report["rss_end_mb"] <= report["rss_max_mb"]
    assert report["conclusive"] is False and report["verdict"] == "too short to tell"
    assert report["cameras"] == 2 and set(report["frames_taken"]) == {"cam1", "cam2"}
    assert all(n > 0 for n in report["frames_taken"].values())
    assert report["python_threads"][0] > 0 and report["os_threads"][0] >= report["python_threads"][0]
    assert report["events_lost"] == 0 and isinstance(report["outbox_depth_end"], dict)
    assert printed["machine"]["cores"] >= 1
    # SQLite's own memory (history and outbox page caches) is sampled beside RSS.
    assert len(report["sqlite_samples"]) == len(report["samples"])
    assert all(mb > 0 for _, mb in report["sqlite_samples"])
    assert isinstance(report["sqlite_slope_mb_per_hour"], float)
    # glibc's heap, in use and kept free, also beside RSS.
    assert len(report["heap_samples"]) == len(report["samples"])
    assert all(used > 1 and free >= 0 for _, used, free in report["heap_samples"])
    assert isinstance(report["heap_in_use_slope_mb_per_hour"], float)
    # Python's own allocations (a daemon with its models and libraries holds hundreds of thousands of blocks).
    assert len(report["python_samples"]) == len(report["samples"])
    assert all(blocks > 100_000 for _, blocks in report["python_samples"])
    assert isinstance(report["python_blocks_slope_per_hour"], float)
    # The snapshots' retention cap it ran under, and what it left on disk: a frame and a crop per event.
    kept = report["snapshots"]
    assert kept["cap_mb"] == 5
    assert kept["files_end"] >= report["events_stored"] > 0
    assert 0 < kept["mb_end"] <= 5


@pytest.mark.parametrize("argv", [["soak", "--duration", "0"], ["soak", "--duration", "-5"],
                                  ["soak", "--duration", "1e12"], ["soak", "--sample", "0"],
                                  ["soak", "--duration", "nan"], ["soak", "--snapshot-cap-mb", "0"],
                                  ["soak", "--snapshot-cap-mb", "-3"]])
def test_soak_command_refuses_bad_durations(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "error" in capsys.readouterr().err


def test_sqlite_memory_is_read_from_the_library_python_uses(tmp_path: Path) -> None:
    before = sqlite_mb()
    assert before is not None
    connection = sqlite3.connect(tmp_path / "t.sqlite3")
    connection.execute("CREATE TABLE t (x TEXT)")
    connection.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 3000)
    grown = sqlite_mb()
    connection.close()
    assert grown is not None and grown > before + 0.5  # its page cache holds some of the 3 MB written


def test_heap_reading_sees_an_allocation() -> None:
    before = heap_mb()
    assert before is not None
    block = bytearray(32_000_000)
    during = heap_mb()
    assert during is not None and during[0] > before[0] + 30
    del block
