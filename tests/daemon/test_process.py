"""``carwatch-edge run`` as the service manager runs it: a process, signals, kill -9, and bad input at its door."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import pytest

from tests.daemon.conftest import (
    ARRIVAL,
    CAR,
    OTHER_CAR,
    OTHER_PLATE,
    PLATE,
    SharedBroker,
    drop,
    sqlite_rows,
    stored_events,
    wait_for,
)
from tests.storage.factories import free_port

CLI = str(Path(sys.executable).with_name("carwatch-edge"))
SECRET = "Sup3r-S3cret"


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value))  # a JSON string is a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def toml_text(values: dict[str, Any]) -> str:
    """The daemon's config as TOML: plain keys, then tables, then arrays of tables (cameras)."""
    plain = [f"{k} = {toml_value(v)}" for k, v in values.items() if not isinstance(v, dict | list) or
             (isinstance(v, list) and not (v and isinstance(v[0], dict)))]
    tables = [f"\n[{k}]\n" + toml_text(v) for k, v in values.items() if isinstance(v, dict)]
    arrays = [f"\n[[{k}]]\n" + toml_text(item) for k, v in values.items()
              if isinstance(v, list) and v and isinstance(v[0], dict) for item in v]
    return "\n".join(plain) + "\n" + "".join(tables) + "".join(arrays)


def folder(path: Path, name: str, role: str = "entry") -> dict[str, Any]:
    path.mkdir(parents=True, exist_ok=True)
    return {"name": name, "source": str(path), "role": role, "motion_gate": False}


def config(data: Path, cameras: list[dict[str, Any]], mqtt: dict[str, Any], **values: Any) -> dict[str, Any]:
    return {"site": "test-site", "data_dir": str(data), "shutdown_timeout_s": 5.0, "heartbeat_s": 1.0,
            "outbox": {"retry_initial_s": 0.1, "retry_max_s": 0.5}, "mqtt": mqtt, **values, "cameras": cameras}


def clean_env(**more: str) -> dict[str, str]:
    """The environment without CARWATCH_ settings of whoever runs the tests (CI's own flags stay)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARWATCH_") or k == "CARWATCH_REQUIRE_SERVICES"}
    return {**env, "CARWATCH_API__PORT": "0", **more}  # the API on a free port: tests run side by side


class Process:
    """``carwatch-edge run`` with its log in a file; killed on close if it is still running."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.log_path = log
        self._log: IO[bytes] = log.open("ab")
        self.popen = subprocess.Popen([CLI, "run", *args], stdout=subprocess.DEVNULL, stderr=self._log,
                                      env=env or clean_env())

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_log(self, text: str, count: int = 1, timeout: float = 20.0) -> None:
        wait_for(lambda: self.log.count(text) >= count or self.popen.poll() is not None, timeout=timeout,
                 what=f"{text!r} in the daemon's log")
        assert self.log.count(text) >= count, f"the daemon exited ({self.popen.returncode}):\n{self.log[-3000:]}"

    def close(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(10)
        self._log.close()


def outbox_items(data: Path) -> set[tuple[str, int]]:
    """(event id, revision) of the events in the outbox, read through a read-only URI (no lock taken)."""
    return {(r["event_id"], r["revision"])
            for r in sqlite_rows(f"file:{data / 'outbox.sqlite3'}?mode=ro", "SELECT event_id, revision FROM items")}


def test_run_with_a_video_source_exits_0_with_one_event_in_history(tmp_path: Path, broker: SharedBroker) -> None:
    data = tmp_path / "data"
    env = clean_env(CARWATCH_MQTT__TOPIC_PREFIX=broker.prefix, CARWATCH_MQTT__CLIENT_ID=broker.client_id())
    result = subprocess.run([CLI, "run", "--source", str(ARRIVAL), "--role", "entry", "--site", "gate-a",
                             "--duration", "4", "--data-dir", str(data)],
                            capture_output=True, text=True, timeout=60, env=env, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = stored_events(data)
    assert len({r["event_id"] for r in rows}) == 1, rows
    assert (rows[0]["plate_number"], rows[0]["status"], rows[0]["camera"]) == (PLATE, "entering", "arrival-mp4")
    assert {e["event_id"] for e in broker.events()} == {rows[0]["event_id"]}
    assert "Traceback" not in result.stderr and "stopped" in result.stderr


def test_kill_9_loses_no_stored_event(tmp_path: Path, broker: SharedBroker) -> None:
    """The broker is down, so events stay in the outbox; the daemon dies by SIGKILL; the next start sends them."""
    data = tmp_path / "data"
    cameras = [folder(tmp_path / "a", "gate-a"), folder(tmp_path / "b", "gate-b")]
    path = tmp_path / "carwatch.toml"
    path.write_text(toml_text(config(data, cameras, broker.settings(port=free_port()))))
    first = Process(["--config", str(path)], tmp_path / "first.log")
    try:
        first.wait_log("receiving frames", count=2)
        drop(tmp_path / "a", CAR)
        drop(tmp_path / "b", OTHER_CAR)
        held = wait_for(lambda: outbox_items(data) if len(outbox_items(data)) == 4 else None,
                        what="4 events in the outbox")
        first.popen.send_signal(signal.SIGKILL)
        assert first.popen.wait(10) == -signal.SIGKILL
    finally:
        first.close()
    assert {revision for _, revision in held} == {1, 2} and len({event_id for event_id, _ in held}) == 2

    path.write_text(toml_text(config(data, cameras, broker.settings())))  # the broker is back
    second = Process(["--config", str(path)], tmp_path / "second.log")
    try:
        wait_for(lambda: held <= {(e["event_id"], e["revision"]) for e in broker.events()}, timeout=20,
                 what="every stored event on MQTT")
        wait_for(lambda: not outbox_items(data), what="the outbox emptied")
        second.popen.send_signal(signal.SIGTERM)
        assert second.popen.wait(20) == 0
    finally:
        second.close()
    rows = stored_events(data)
    assert {(r["event_id"], r["revision"]) for r in rows} == {(e, 2) for e, r in held if r == 2}
    assert sorted(r["plate_number"] for r in rows) == [PLATE, OTHER_PLATE]
    assert {e["event_id"] for e in broker.events()} == {e for e, _ in held}  # no event made up on the way


def test_sighup_adds_a_camera_and_sigterm_stops_cleanly_with_the_open_vehicle_stored(
    tmp_path: Path, broker: SharedBroker
) -> None:
    """A long track timeout keeps the vehicle's track open until SIGTERM: its final event must still be
    stored and delivered before the process exits 0."""
    data = tmp_path / "data"
    gate_a, gate_b = folder(tmp_path / "a", "gate-a"), folder(tmp_path / "b", "gate-b", role="exit")
    path = tmp_path / "carwatch.toml"
    mqtt = broker.settings()
    path.write_text(toml_text(config(data, [gate_a], mqtt, tracking={"track_timeout_s": 30.0})))
    process = Process(["--config", str(path)], tmp_path / "daemon.log")
    try:
        process.wait_log("receiving frames")
        path.write_text(toml_text(config(data, [gate_a, gate_b], mqtt, tracking={"track_timeout_s": 30.0})))
        process.popen.send_signal(signal.SIGHUP)  # (saving the file alone would reload it too)
        process.wait_log("camera gate-b: receiving frames")
        assert "configuration reloaded" in process.log

        drop(tmp_path / "b", CAR)
        drop(tmp_path / "b", CAR)  # two agreeing reads: decided at once, while the track stays open
        decided = wait_for(lambda: [e for e in broker.events() if e["stage"] == "decided"], what="the decision")
        heartbeat = wait_for(lambda: heartbeat_cameras(broker), what="a heartbeat with both cameras")
        assert heartbeat == {"gate-a": True, "gate-b": True}

        process.popen.send_signal(signal.SIGTERM)
        assert process.popen.wait(20) == 0
    finally:
        process.close()
    log = process.log
    assert "stopped" in log.splitlines()[-1] and "Traceback" not in log
    (event,) = decided
    assert (event["camera"], event["plate"], event["direction"]) == ("gate-b", PLATE, "leaving")
    rows = stored_events(data)
    assert [(r["event_id"], r["stage"], r["revision"]) for r in rows] == [(event["event_id"], "final", 2)]
    assert {(e["event_id"], e["stage"]) for e in broker.events()} == {(event["event_id"], "decided"),
                                                                      (event["event_id"], "final")}
    assert outbox_items(data) == set()


def heartbeat_cameras(broker: SharedBroker) -> dict[str, bool]:
    beats = broker.subscriber.on(f"{broker.prefix}/test-site/heartbeat")
    if not beats:
        return {}
    cameras = beats[-1].json()["cameras"]
    return {name: c["connected"] for name, c in cameras.items()} if len(cameras) == 2 else {}


BAD_CONFIGS = {
    "malformed": ('site = "gate\n[[cameras]\n', "config file"),
    "unknown_key": ('colour = "red"\n', "invalid setting colour: Extra inputs are not permitted"),
    "zero_fps": ('[[cameras]]\nname = "gate"\nsource = "{folder}"\nfps = 0\n',
                 "invalid setting cameras[0].fps: Input should be greater than 0"),
    "bad_port_with_password": (f'[[cameras]]\nname = "gate"\nsource = "rtsp://admin:{SECRET}@cam.local:99999/s"\n',
                               "invalid setting cameras[0].source"),
    "no_host_with_password": (f'[[cameras]]\nname = "gate"\nsource = "rtsp://admin:{SECRET}@/stream"\n',
                              "invalid setting cameras[0].source"),
    "mqtt_url_with_password": (f'mqtt_url = "http://gate:{SECRET}@broker"\n', "MQTT url must start with mqtt://"),
    "mysql_url_bad_port": (f'mysql_url = "mysql://gate:{SECRET}@db:99999999/carwatch"\n', "bad port"),
    "wrong_type": ('cameras = "front"\n', "invalid setting cameras"),
    "not_utf8": ("\udcff\udcfe = 1\n", "not UTF-8"),
    "huge": ("# " + "x" * 2_000_000 + "\n", "more than 1048576"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_a_bad_config_is_one_error_line_naming_the_setting(tmp_path: Path, case: str) -> None:
    text, expected = BAD_CONFIGS[case]
    path = tmp_path / "carwatch.toml"
    path.write_bytes(text.replace("{folder}", str(tmp_path)).encode("utf-8", "surrogateescape"))
    result = run_briefly("--config", str(path), "--data-dir", str(tmp_path / "data"))
    assert_one_error(result, expected)


def test_a_missing_config_file_or_camera_is_one_error_line(tmp_path: Path) -> None:
    assert_one_error(run_briefly("--config", str(tmp_path / "nowhere.toml")), "No such file or directory")
    assert_one_error(run_briefly("--source", str(tmp_path / "no-such-camera"), "--data-dir", str(tmp_path)),
                     "no such file or folder")
    (tmp_path / "a-file").write_text("not a folder")
    assert_one_error(run_briefly("--source", str(ARRIVAL), "--data-dir", str(tmp_path / "a-file")), "a-file")


@pytest.mark.parametrize("model", ["missing", "corrupt"])
def test_a_missing_or_corrupt_model_is_one_error_line_and_exit_2(tmp_path: Path, model: str) -> None:
    models = tmp_path / "models"
    models.mkdir()
    if model == "corrupt":
        (models / "plate-detector.onnx").write_bytes(os.urandom(4096))
        (models / "plate-reader.onnx").write_bytes(b"")
    data = tmp_path / "data"
    result = run_briefly("--source", str(ARRIVAL), "--data-dir", str(data),
                         env=clean_env(CARWATCH_VISION__MODELS_DIR=str(models)))
    assert_one_error(result, "file not found" if model == "missing" else "not a loadable ONNX model")
    assert "plate-detector.onnx" in result.stderr
    assert not data.exists()  # it failed before it started anything


def run_briefly(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A run that should fail at once (--duration ends it anyway if it does not)."""
    env = env or clean_env()
    env.setdefault("CARWATCH_MQTT__ENABLED", "false")
    return subprocess.run([CLI, "run", *args, "--duration", "3"], capture_output=True, text=True,
                          timeout=60, env=env, check=False)


def assert_one_error(result: subprocess.CompletedProcess[str], expected: str) -> None:
    output = result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2, output[-3000:]
    assert len(errors) == 1 and expected in errors[0], output[-3000:]
    assert "Traceback" not in output and SECRET not in output
