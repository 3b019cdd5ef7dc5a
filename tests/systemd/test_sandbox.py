"""The daemon runs under the unit's seccomp rules (SystemCallFilter=, MemoryDenyWriteExecute=,
RestrictAddressFamilies=): a dependency that starts to need W+X memory or a refused system call fails here,
not on a gate box at night."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.services import MARIADB, MOSQUITTO, port_open
from tests.systemd.tools import require_libseccomp, require_tool

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "systemd" / "carwatch-edge.service"
PYTHON = sys.executable
CLI = str(Path(sys.executable).with_name("carwatch-edge"))

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="seccomp is Linux's")


def sandboxed(*command: str, timeout: float = 60,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    require_tool("systemd-analyze")
    require_libseccomp()
    return subprocess.run([PYTHON, "-m", "tests.systemd.sandbox", str(UNIT), "--", *command], check=False,
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)


PROBES = """
import mmap, os, socket
def attempt(name, call):
    try:
        call()
        print(name, "allowed")
    except OSError as exc:
        print(name, "refused", exc.errno)
attempt("write-execute", lambda: mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC))
attempt("chroot", lambda: os.chroot("/"))
attempt("setuid", lambda: os.setuid(os.getuid()))
attempt("netlink", lambda: socket.socket(16, socket.SOCK_RAW, 0))
attempt("inet", lambda: socket.socket().close())
attempt("inet6", lambda: socket.socket(socket.AF_INET6).close())
attempt("unix", lambda: socket.socket(socket.AF_UNIX).close())
"""


def test_the_sandbox_refuses_what_the_unit_refuses() -> None:
    result = sandboxed(PYTHON, "-c", PROBES)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "write-execute refused 1", "chroot refused 1", "setuid refused 1", "netlink refused 97",
        "inet allowed", "inet6 allowed", "unix allowed",
    ]


CLIENTS = """
import ctypes, ssl, sys
import bcrypt, cv2, numpy, onnxruntime, pymysql, uvicorn, fastapi
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
assert bcrypt.checkpw(b"pw", bcrypt.hashpw(b"pw", bcrypt.gensalt(4)))
assert ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)(lambda x: x + 1)(1) == 2
ssl.create_default_context()
numpy.ones((300, 300)) @ numpy.ones((300, 300))
capture = cv2.VideoCapture(sys.argv[1])
assert capture.read()[0]
capture.release()
if sys.argv[2] == "1":
    connection = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", connect_timeout=5)
    connection.cursor().execute("SELECT 1")
    connection.close()
if sys.argv[3] == "1":
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", 1883)
    client.disconnect()
print("clients ok")
"""


def test_clients_work_in_the_sandbox() -> None:
    clip = ROOT / "edge" / "samples" / "arrival.mp4"
    result = sandboxed(PYTHON, "-c", CLIENTS, str(clip), str(int(port_open(MARIADB))), str(int(port_open(MOSQUITTO))))
    assert result.returncode == 0 and result.stdout.strip() == "clients ok", result.stderr[-3000:]


def clear_retained(prefix: str) -> None:
    """Remove what the daemon left retained on the shared broker under its test prefix."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{prefix}-cleanup")
    client.connect(*MOSQUITTO)
    client.loop_start()
    try:
        for leaf in ("status", "heartbeat", "sample/last_plate"):
            client.publish(f"{prefix}/site1/{leaf}", b"", qos=1, retain=True).wait_for_publish(5)
    finally:
        client.loop_stop()
        client.disconnect()


def test_daemon_runs_in_the_sandbox(tmp_path: Path) -> None:
    prefix = f"sandbox-{uuid.uuid4().hex[:12]}"
    broker = port_open(MOSQUITTO)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARWATCH_")}
    env |= {"CARWATCH_API__PORT": "0", "CARWATCH_VISION__THREADS": "2", "CARWATCH_MQTT__TOPIC_PREFIX": prefix,
            "CARWATCH_MQTT__CLIENT_ID": prefix, "CARWATCH_MQTT__ENABLED": "true" if broker else "false"}
    try:
        result = sandboxed(CLI, "-v", "run", "--data-dir", str(tmp_path / "data"), "--duration", "5", env=env,
                           timeout=120)
    finally:
        if broker:
            clear_retained(prefix)
    log = result.stderr
    assert result.returncode == 0, log[-3000:]
    assert "decided entering at sample: B58DTK" in log  # the models read the bundled clip
    assert "API on http://" in log
    assert (not broker) or "mqtt: connected" in log
    assert "not permitted" not in log.lower() and "Traceback" not in log, log[-3000:]  # e.g. thread affinity
