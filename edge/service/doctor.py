"""``carwatch-edge doctor``: one check per thing the daemon needs, each with a one-line fix.

The checks take plain values and callables (this package imports no other part of the daemon): the CLI
passes the configuration loader, the model loader and a camera reader. Details never hold a password:
every text passes :func:`edge.service.logging_setup.redact`, and credentials are never put into them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import socket
import ssl
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pymysql
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from edge.service.logging_setup import redact

MIN_YEAR = 2024  # a clock before this has never been set (no RTC, no NTP yet)
MAX_YEAR = 2100
MAX_DETAIL_CHARS = 300
MAX_SCAN_BYTES = 2 * 1024 * 1024
TIME_ERROR = 5  # adjtimex: the kernel's clock is not synchronised (STA_UNSYNC)


@dataclass(frozen=True)
class Check:
    """One result. ``required`` False: a failure is a warning and does not fail the doctor."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True

    @property
    def state(self) -> str:
        return "ok" if self.ok else ("FAIL" if self.required else "warn")


def _one_line(text: object) -> str:
    line = " ".join(redact(str(text)).split())
    return line if len(line) <= MAX_DETAIL_CHARS else line[: MAX_DETAIL_CHARS - 3] + "..."


def _problem(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) if isinstance(exc, OSError) and not isinstance(exc, ssl.SSLError) else None
    return _one_line(text or exc or type(exc).__name__)


def failed(checks: Iterable[Check]) -> bool:
    """Whether a required check failed (the doctor's exit code 1)."""
    return any(not c.ok and c.required for c in checks)


def format_table(checks: Sequence[Check]) -> str:
    """``STATE  CHECK  DETAIL`` rows, each failure followed by its fix."""
    width = max([len(c.name) for c in checks] + [5])
    lines = [f"{'STATE':5}  {'CHECK':{width}}  DETAIL"]
    for check in checks:
        lines.append(f"{check.state:5}  {check.name:{width}}  {check.detail}")
        if not check.ok and check.fix:
            lines.append(f"{'':5}  {'':{width}}  fix: {check.fix}")
    return "\n".join(lines)


# ---- files --------------------------------------------------------------------------------------

def _holds_secret(text: str) -> bool:
    return redact(text) != text


def check_config(path: Path | None, load: Callable[[Path], object] | None = None) -> Check:
    """The configuration file: there, readable, not world-readable when it holds a password, and valid
    (``load(path)`` raises on an invalid setting)."""
    name = "config"
    if path is None:
        return Check(name, True, "no file: defaults and CARWATCH_ environment variables")
    try:
        with path.open("rb") as handle:  # a huge file is the loader's to refuse; the secret scan reads the head
            text = handle.read(MAX_SCAN_BYTES).decode("utf-8", "replace")
        mode = path.stat().st_mode
    except OSError as exc:
        fix = ("create it from config/carwatch.example.toml (systemd/install.sh does)" if not path.exists()
               else "run as root or the carwatch user (config is 0640 root:carwatch)")
        return Check(name, False, f"{path}: {_problem(exc)}", fix)
    if mode & 0o004 and _holds_secret(text):
        return Check(name, False, f"{path}: readable by every user and holds a password",
                     f"chmod 640 {path} (or move the secret to CARWATCH_MYSQL_URL / LoadCredential=)")
    if load is not None:
        try:
            load(path)
        except Exception as exc:
            return Check(name, False, f"{path}: {_problem(exc)}",
                         "correct the setting named above (every setting: config/carwatch.example.toml)")
    return Check(name, True, f"{path}: valid")


def check_models(paths: Iterable[Path], load: Callable[[], object] | None = None) -> Check:
    """Each model file is there, readable and not empty; then ``load()`` (the real session) when given."""
    name = "models"
    fix = "run `make models`, or point vision.models_dir (CARWATCH_VISION__MODELS_DIR) at the .onnx files"
    found = []
    for path in paths:
        try:
            size = path.stat().st_size
            with path.open("rb") as handle:
                handle.read(1)
        except OSError as exc:
            return Check(name, False, f"{path}: {_problem(exc)}", fix)
        if size == 0:
            return Check(name, False, f"{path}: empty file", fix)
        found.append(f"{path.name} {size / 1e6:.1f} MB")
    if not found:
        return Check(name, False, "no model files given", fix)
    if load is not None:
        try:
            load()
        except Exception as exc:
            return Check(name, False, f"cannot load: {_problem(exc)}", fix)
    return Check(name, True, ", ".join(found) + ("; loaded" if load is not None else ""))


def check_known_plates(read: Callable[[], Sequence[tuple[str, str | None]]]) -> Check:
    """The models find and read the bundled sample plates: ``read()`` gives (expected text, problem or None
    when it was read as labelled) for each. A miss is a warning: the models load but compute something else
    on this CPU than where they were measured, or they are not the shipped ones."""
    name = "model self-test"
    fix = ("the models read differently on this machine: see README, Troubleshooting (INT8 models on a CPU "
           "without VNNI); with models or plate formats of your own, measure them with `carwatch-edge eval`")
    try:
        results = list(read())
    except Exception as exc:
        return Check(name, False, f"cannot read the sample photos: {_problem(exc)}", fix, required=False)
    if not results:
        return Check(name, False, "no sample photos", fix, required=False)
    problems = [problem for _, problem in results if problem is not None]
    if problems:
        return Check(name, False, "; ".join(problems), fix, required=False)
    return Check(name, True, "read " + ", ".join(text for text, _ in results) + " in the sample photos")


def _existing_parent(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_disk(data_dir: Path, min_free_mb: float) -> Check:
    """The data directory (or the folder it will be made in) is writable and has ``min_free_mb`` free."""
    name = "disk"
    existing = _existing_parent(data_dir)
    if not existing.is_dir():
        return Check(name, False, f"{existing} is not a folder", f"set data_dir to a folder, not {existing}")
    if not os.access(existing, os.W_OK | os.X_OK):
        return Check(name, False, f"{existing} is not writable by this user",
                     f"chown carwatch {data_dir} (the unit's StateDirectory= does this)")
    free_mb = shutil.disk_usage(existing).free / (1024 * 1024)
    where = str(data_dir) + ("" if existing == data_dir.absolute() else f" (not made yet; on {existing})")
    if free_mb < min_free_mb:
        return Check(name, False, f"{where}: {free_mb:.0f} MB free, below {min_free_mb:.0f} MB",
                     f"free disk space under {existing} (old snapshots: snapshots.max_age_days)")
    return Check(name, True, f"{where}: {free_mb:.0f} MB free")


# ---- clock --------------------------------------------------------------------------------------

def clock_synchronized() -> bool | None:
    """The kernel's view (what ``timedatectl`` shows as synchronised): adjtimex without changing anything.
    None when it cannot tell (not Linux, or the call is not allowed)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        timex = ctypes.create_string_buffer(512)  # struct timex, all zero: modes 0 reads only
        state = int(libc.adjtimex(timex))
    except (OSError, AttributeError):
        return None
    return None if state < 0 else state != TIME_ERROR


def check_clock(now: float | None = None, synchronized: Callable[[], bool | None] = clock_synchronized) -> Check:
    """The year is plausible (event times, TLS certificates); not synchronised by NTP is a warning."""
    name = "clock"
    moment = datetime.fromtimestamp(time.time() if now is None else now, tz=UTC)
    shown = moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    if not MIN_YEAR <= moment.year < MAX_YEAR:
        return Check(name, False, f"{shown} is not a plausible time",
                     "set the clock (timedatectl set-time, or enable NTP: timedatectl set-ntp true)")
    try:
        synced = synchronized()
    except Exception:
        synced = None
    if synced is False:
        return Check(name, False, f"{shown}, not synchronised by NTP", "timedatectl set-ntp true (or install chrony)",
                     required=False)
    return Check(name, True, f"{shown}{', synchronised' if synced else ''}")


# ---- network services ---------------------------------------------------------------------------

def check_tcp(name: str, host: str, port: int, *, timeout_s: float = 2.0, fix: str = "") -> Check:
    """Something accepts TCP connections at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except (OSError, ValueError, OverflowError) as exc:
        return Check(name, False, f"{host}:{port}: {_problem(exc)}",
                     fix or f"start {name} or correct its host and port")
    return Check(name, True, f"{host}:{port} accepts connections")


def check_mysql(host: str, port: int, user: str, password: str, database: str, *, create_database: bool = True,
                ssl_options: Mapping[str, Any] | None = None, timeout_s: float = 3.0) -> Check:
    """Log in, ``SELECT VERSION()``, and see that ``database`` exists (or will be created)."""
    name = "mysql"
    where = f"mysql://{user}@{host}:{port}/{database}"
    try:
        connection = pymysql.connect(host=host, port=port, user=user, password=password,
                                     connect_timeout=timeout_s, read_timeout=timeout_s,
                                     ssl=dict(ssl_options) if ssl_options else None)
    except pymysql.MySQLError as exc:
        code = exc.args[0] if exc.args else None
        fix = ("check the user and password in CARWATCH_MYSQL_URL" if code in {1044, 1045, 1698}
               else "start MariaDB/MySQL or set CARWATCH_MYSQL_URL to the right host and port")
        return Check(name, False, f"{where}: {_problem(exc)}", fix)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT VERSION()")
            version = str(cursor.fetchone()[0])
            cursor.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (database,))
            exists = cursor.fetchone() is not None
    except pymysql.MySQLError as exc:
        return Check(name, False, f"{where}: {_problem(exc)}", "check the server's log")
    finally:
        connection.close()
    if not exists and not create_database:
        return Check(name, False, f"{where}: no such database (server {version})",
                     f"CREATE DATABASE `{database}`, or set history.create_database = true")
    note = "" if exists else ", database will be created"
    return Check(name, True, f"{where}: server {version}{note}")


def check_mqtt(host: str, port: int, *, username: str | None = None, password: str | None = None,
               tls: bool = False, ca_file: Path | None = None, cert_file: Path | None = None,
               key_file: Path | None = None, insecure: bool = False, timeout_s: float = 5.0) -> Check:
    """Connect and wait for the broker's CONNACK (the arguments are those of ``MqttEndpoint``)."""
    where = f"{'mqtts' if tls else 'mqtt'}://{username + '@' if username else ''}{host}:{port}"
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"carwatch-doctor-{uuid.uuid4().hex[:12]}")
    answers: list[ReasonCode] = []
    client.on_connect = lambda _c, _u, _f, reason_code, _p: answers.append(reason_code)
    client.connect_timeout = timeout_s
    try:
        if username:
            client.username_pw_set(username, password)
        if tls:
            client.tls_set(ca_certs=str(ca_file) if ca_file else None, certfile=str(cert_file) if cert_file else None,
                           keyfile=str(key_file) if key_file else None)
            client.tls_insecure_set(insecure)
        client.connect(host, port, keepalive=10)
        deadline = time.monotonic() + timeout_s
        while not answers and time.monotonic() < deadline:
            client.loop(timeout=0.1)
    except (OSError, ValueError) as exc:
        return Check("mqtt", False, f"{where}: {_problem(exc)}", "start Mosquitto or set CARWATCH_MQTT_URL "
                     "(or mqtt.host / mqtt.port; certificates: mqtt.ca_file)")
    finally:
        client.disconnect()
    if not answers:
        return Check("mqtt", False, f"{where}: no answer to CONNECT within {timeout_s:g} s",
                     "is this an MQTT port? (TLS brokers listen on 8883: mqtts://)")
    if answers[0].is_failure:
        return Check("mqtt", False, f"{where}: refused: {answers[0]}",
                     "check the MQTT user name and password (CARWATCH_MQTT_URL) and the broker's ACL")
    return Check("mqtt", True, f"{where}: connected")


# ---- cameras ------------------------------------------------------------------------------------

def check_camera(name: str, open_and_read: Callable[[], bool | str]) -> Check:
    """``open_and_read()`` opens the camera and waits for one frame: True, or False / a problem text."""
    label = f"camera {name}"
    fix = "check the camera's address, credentials and network (or the folder / device and its permissions)"
    start = time.monotonic()
    try:
        result = open_and_read()
    except Exception as exc:
        return Check(label, False, _problem(exc), fix)
    if result is True:
        return Check(label, True, f"frame received in {time.monotonic() - start:.1f} s")
    return Check(label, False, _one_line(result) if isinstance(result, str) and result else "no frame", fix)
