"""Each doctor check on a good and a broken set-up: real MariaDB and Mosquitto, closed ports, missing files."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from edge.app import SAMPLE_CLIP
from edge.service.doctor import (
    Check,
    check_camera,
    check_clock,
    check_config,
    check_disk,
    check_known_plates,
    check_models,
    check_mqtt,
    check_mysql,
    check_tcp,
    clock_synchronized,
    failed,
    format_table,
)
from edge.settings.cameras import CameraSettings
from edge.settings.daemon import load_settings
from edge.settings.vision import VisionSettings
from edge.sources import read_one_frame
from edge.vision.recognizer import PlateRecognizer
from tests.services import MARIADB, MOSQUITTO, port_open, require_service
from tests.storage.factories import free_port

SECRET = "Sup3r-S3cret"
MODELS = Path(__file__).resolve().parents[2] / "models"


def assert_no_secret(check: Check) -> None:
    assert SECRET not in check.detail and SECRET not in check.fix


# ---- config -------------------------------------------------------------------------------------

def test_config_none_missing_and_valid(tmp_path: Path) -> None:
    assert check_config(None).ok
    missing = check_config(tmp_path / "carwatch.toml", load_settings)
    assert not missing.ok and "No such file" in missing.detail and "carwatch.example.toml" in missing.fix
    good = tmp_path / "good.toml"
    good.write_text('site = "gate-a"\n')
    good.chmod(0o640)
    assert check_config(good, load_settings) == Check("config", True, f"{good}: valid")


def test_config_invalid_setting_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('site = "gate a/b"\n[mqtt]\nport = 99999\n')
    check = check_config(bad, load_settings)
    assert not check.ok and "invalid setting site" in check.detail and check.fix


def test_config_world_readable_with_a_password(tmp_path: Path) -> None:
    path = tmp_path / "carwatch.toml"
    path.write_text(f'mysql_url = "mysql://carwatch:{SECRET}@db:3306/carwatch"\n')
    path.chmod(0o644)
    check = check_config(path, load_settings)
    assert not check.ok and "readable by every user" in check.detail and f"chmod 640 {path}" in check.fix
    assert_no_secret(check)
    path.chmod(0o640)
    assert check_config(path, load_settings).ok


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage", b"[[[", b"x = " + b"9" * 3_000_000])
def test_config_hostile_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "carwatch.toml"
    path.write_bytes(content)
    check = check_config(path, load_settings)
    assert not check.ok and len(check.detail) <= 300


def test_config_folder_instead_of_file(tmp_path: Path) -> None:
    check = check_config(tmp_path, load_settings)
    assert not check.ok and "directory" in check.detail.lower()


# ---- models -------------------------------------------------------------------------------------

def test_models_present_and_loaded() -> None:
    vision = VisionSettings()
    paths = [vision.models_dir / vision.detector_model, vision.models_dir / vision.reader_model]
    check = check_models(paths, load=lambda: PlateRecognizer.from_config(vision.recognizer_config()))
    assert check.ok, check
    assert "plate-detector.onnx" in check.detail and check.detail.endswith("; loaded")


def test_models_missing_empty_or_broken(tmp_path: Path) -> None:
    missing = check_models([MODELS / "plate-detector.onnx", tmp_path / "plate-reader.onnx"])
    assert not missing.ok and "plate-reader.onnx" in missing.detail and "make models" in missing.fix
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    assert check_models([empty]).detail.endswith("empty file")
    assert not check_models([tmp_path]).ok
    assert not check_models([]).ok
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a model" * 100)
    vision = VisionSettings(models_dir=tmp_path, detector_model="garbage.onnx", reader_model="garbage.onnx")
    broken = check_models([garbage], load=lambda: PlateRecognizer.from_config(vision.recognizer_config()))
    assert not broken.ok and broken.detail.startswith("cannot load")


def test_known_plates_read_missed_and_unreadable() -> None:
    good = check_known_plates(lambda: [("B58DTK", None), ("TR95XMI", None)])
    assert good.ok and good.detail == "read B58DTK, TR95XMI in the sample photos"
    bad = check_known_plates(lambda: [("B58DTK", None), ("TR95XMI", "ro-TR95XMI.jpg: expected TR95XMI, found no plate"),
                                      ("AB12", "x.jpg: expected AB12, read AB1")])
    assert not bad.ok and bad.state == "warn" and "VNNI" in bad.fix  # a warning: the daemon still runs
    assert bad.detail == "ro-TR95XMI.jpg: expected TR95XMI, found no plate; x.jpg: expected AB12, read AB1"

    def unreadable() -> list[tuple[str, str | None]]:
        raise OSError(2, "No such file or directory", "car.jpg")

    broken = check_known_plates(unreadable)
    assert broken.state == "warn" and broken.detail.startswith("cannot read the sample photos")
    assert check_known_plates(lambda: []).state == "warn"


# ---- disk and clock -----------------------------------------------------------------------------

def test_disk_free_and_full(tmp_path: Path) -> None:
    assert check_disk(tmp_path, 1).ok
    later = check_disk(tmp_path / "data" / "deeper", 1)
    assert later.ok and "not made yet" in later.detail
    full = check_disk(tmp_path, 10**12)  # a disk "full" for a daemon that wants an exabyte free
    assert not full.ok and "below" in full.detail and "free disk space" in full.fix


def test_disk_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    check = check_disk(blocker / "data", 1)
    assert not check.ok and "not a folder" in check.detail


def test_clock() -> None:
    assert not check_clock(now=0.0).ok and check_clock(now=0.0).required  # 1970: never set
    assert not check_clock(now=1e10).ok  # year 2286
    unsynced = check_clock(now=1.9e9, synchronized=lambda: False)
    assert (unsynced.ok, unsynced.required, unsynced.state) == (False, False, "warn")
    assert check_clock(now=1.9e9, synchronized=lambda: True).detail.endswith(", synchronised")
    assert check_clock(now=1.9e9, synchronized=lambda: None).ok

    def broken() -> bool:
        raise OSError("no adjtimex here")

    assert check_clock(now=1.9e9, synchronized=broken).ok
    assert clock_synchronized() in {True, False, None}
    assert check_clock().name == "clock"


# ---- network services ---------------------------------------------------------------------------

def test_tcp_open_and_closed() -> None:
    require_service("MariaDB", MARIADB)
    assert check_tcp("MariaDB", *MARIADB).ok
    closed = check_tcp("MariaDB", "127.0.0.1", free_port(), fix="start MariaDB or set CARWATCH_MYSQL_URL")
    assert not closed.ok and "refused" in closed.detail.lower() and closed.fix.startswith("start MariaDB")
    assert not check_tcp("broker", "127.0.0.1", 70000).ok
    assert not check_tcp("broker", "no-such-host.invalid", 1883, timeout_s=2).ok


@pytest.fixture
def mariadb_user() -> Iterator[tuple[str, str]]:
    require_service("MariaDB", MARIADB)
    user, database = f"cw_doc_{uuid.uuid4().hex[:10]}", f"cw_doc_{uuid.uuid4().hex[:10]}"
    root = pymysql.connect(host=MARIADB[0], port=MARIADB[1], user="root", password="", autocommit=True)
    with root.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{database}`")
        cursor.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{SECRET}'")
        cursor.execute(f"CREATE USER '{user}'@'localhost' IDENTIFIED BY '{SECRET}'")
        cursor.execute(f"GRANT ALL ON `{database}`.* TO '{user}'@'%', '{user}'@'localhost'")
    yield user, database
    with root.cursor() as cursor:
        cursor.execute(f"DROP USER IF EXISTS '{user}'@'%', '{user}'@'localhost'")
        cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
    root.close()


def test_mysql_good_missing_database_and_wrong_password(mariadb_user: tuple[str, str]) -> None:
    user, database = mariadb_user
    host, port = MARIADB
    good = check_mysql(host, port, user, SECRET, database)
    assert good.ok and good.detail.startswith(f"mysql://{user}@{host}:{port}/{database}: server ")
    assert_no_secret(good)
    later = check_mysql(host, port, "root", "", f"{database}_new")
    assert later.ok and later.detail.endswith("database will be created")
    missing = check_mysql(host, port, "root", "", f"{database}_new", create_database=False)
    assert not missing.ok and "CREATE DATABASE" in missing.fix
    wrong = check_mysql(host, port, user, SECRET + "x", database)
    assert not wrong.ok and "Access denied" in wrong.detail and "user and password" in wrong.fix
    assert SECRET not in wrong.detail


def test_mysql_closed_port() -> None:
    check = check_mysql("127.0.0.1", free_port(), "root", SECRET, "carwatch", timeout_s=2)
    assert not check.ok and check.fix.startswith("start MariaDB")
    assert_no_secret(check)


def test_mqtt_good_and_closed() -> None:
    require_service("Mosquitto", MOSQUITTO)
    assert check_mqtt(*MOSQUITTO).ok
    closed = check_mqtt("127.0.0.1", free_port(), username="gate", password=SECRET, timeout_s=2)
    assert not closed.ok and "start Mosquitto" in closed.fix and closed.detail.startswith("mqtt://gate@127.0.0.1:")
    assert_no_secret(closed)


def test_mqtt_tls_against_a_plain_port_and_missing_ca(tmp_path: Path) -> None:
    require_service("Mosquitto", MOSQUITTO)
    plain = check_mqtt(*MOSQUITTO, tls=True, timeout_s=3)
    assert not plain.ok and plain.detail.startswith("mqtts://")
    no_ca = check_mqtt(*MOSQUITTO, tls=True, ca_file=tmp_path / "ca.pem", timeout_s=3)
    assert not no_ca.ok


def test_mqtt_silent_port_times_out() -> None:
    with socket.socket() as server:  # accepts (backlog) but never answers
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        check = check_mqtt("127.0.0.1", server.getsockname()[1], timeout_s=1)
    assert not check.ok and "no answer" in check.detail


@pytest.fixture
def password_broker(tmp_path: Path) -> Iterator[int]:
    require_service("Mosquitto", MOSQUITTO)  # the same binary
    port = free_port()
    passwords = tmp_path / "passwords"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), "gate", SECRET], check=True)
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {passwords}\n"
                      "user root\nlog_dest none\n")
    process = subprocess.Popen(["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not port_open(("127.0.0.1", port), timeout=0.2):
            assert process.poll() is None and time.monotonic() < deadline, "private broker did not start"
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def test_mqtt_credentials(password_broker: int) -> None:
    assert check_mqtt("127.0.0.1", password_broker, username="gate", password=SECRET).ok
    wrong = check_mqtt("127.0.0.1", password_broker, username="gate", password=SECRET + "x")
    assert not wrong.ok and "refused" in wrong.detail and "user name and password" in wrong.fix
    anonymous = check_mqtt("127.0.0.1", password_broker)
    assert not anonymous.ok and "refused" in anonymous.detail
    assert_no_secret(wrong)


# ---- cameras ------------------------------------------------------------------------------------

def test_camera_with_a_real_source() -> None:
    check = check_camera("sample", lambda: read_one_frame(CameraSettings(name="sample", source=str(SAMPLE_CLIP))))
    assert check.ok and check.name == "camera sample" and check.detail.startswith("frame received in")


def test_camera_without_frames(tmp_path: Path) -> None:
    folder = CameraSettings(name="drop", source=str(tmp_path))  # an empty snapshot folder: no frame comes
    check = check_camera("drop", lambda: read_one_frame(folder, timeout_s=0.5))
    assert not check.ok and "no frame within 0.5 s" in check.detail and check.fix


def test_camera_problems_are_redacted() -> None:
    def refused() -> bool | str:
        return f"rtsp://admin:{SECRET}@10.0.0.9/stream: 401 Unauthorized"

    def raises() -> bool | str:
        raise ConnectionError(f"cannot open rtsp://admin:{SECRET}@10.0.0.9/stream")

    for reader in (refused, raises):
        check = check_camera("gate", reader)
        assert not check.ok and "rtsp://admin:***@10.0.0.9/stream" in check.detail
        assert_no_secret(check)
    assert check_camera("gate", lambda: False).detail == "no frame"
    assert check_camera("gate", lambda: "x" * 10_000).detail.endswith("...")


# ---- the table ----------------------------------------------------------------------------------

def test_table_and_exit_state() -> None:
    checks = [Check("config", True, "valid"), Check("clock", False, "not synchronised", "timedatectl set-ntp true",
                                                     required=False)]
    assert not failed(checks)
    checks.append(Check("mqtt", False, "refused", "start Mosquitto"))
    assert failed(checks)
    assert format_table(checks).splitlines() == [
        "STATE  CHECK   DETAIL",
        "ok     config  valid",
        "warn   clock   not synchronised",
        "               fix: timedatectl set-ntp true",
        "FAIL   mqtt    refused",
        "               fix: start Mosquitto",
    ]
