"""One vehicle, one event: the arrival clip served by a real RTSP camera, end to end into MariaDB, MQTT and disk."""

from __future__ import annotations

from pathlib import Path

from tests.daemon.conftest import (
    ARRIVAL,
    PLATE,
    SharedBroker,
    daemon_settings,
    mysql_events,
    running,
    wait_for,
)
from tests.rtsp import serve_rtsp


def test_a_car_arriving_over_rtsp_is_one_event_in_mariadb_mqtt_and_on_disk(
    tmp_path: Path, mariadb_url: str, broker: SharedBroker
) -> None:
    data = tmp_path / "data"
    with serve_rtsp(ARRIVAL) as url:
        camera = {"name": "front", "source": url, "role": "entry", "fps": 8, "stall_timeout": 5}
        settings = daemon_settings(data, cameras=[camera], mysql_url=mariadb_url, mqtt=broker.settings())
        with running(settings) as daemon:
            finals = lambda: [e for e in broker.events() if e["stage"] == "final"]  # noqa: E731
            wait_for(finals, timeout=30, what="the vehicle's final event on MQTT")
            # The clip loops: the same car comes again within the repeat window; it must stay one vehicle.
            seen = daemon.status()["cameras"]["front"]["frames"]
            wait_for(lambda: daemon.status()["cameras"]["front"]["frames"] >= seen + 40, timeout=20,
                     what="the clip played once more")
            wait_for(lambda: not any(daemon.status()["outbox"].values()), timeout=10, what="the outbox drained")
            status = daemon.status()
    events = broker.events()
    assert {e["event_id"] for e in events} == {events[0]["event_id"]}, events
    event_id = events[0]["event_id"]
    assert sorted((e["stage"], e["revision"]) for e in events) == [("decided", 1), ("final", 2)]
    assert all(e["plate"] == PLATE and e["direction"] == "entering" and e["camera"] == "front" for e in events)
    assert status["cameras"]["front"]["connected"] and status["events_lost"] == 0

    rows = mysql_events(mariadb_url)
    assert [(r["event_id"], r["plate_number"], r["status"], r["stage"]) for r in rows] == [
        (event_id, PLATE, "entering", "final")]
    final = next(e for e in events if e["stage"] == "final")
    for name in ("snapshot", "crop"):
        path = data / final[name]
        assert path.is_file() and path.read_bytes()[:2] == b"\xff\xd8", path  # a JPEG
        assert rows[0][name] == final[name]
