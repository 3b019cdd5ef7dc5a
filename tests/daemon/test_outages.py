"""The broker or the database goes away while cars arrive: the outbox keeps every event until it is back."""

from __future__ import annotations

import time
from pathlib import Path

from tests.daemon.conftest import (
    CAR,
    OTHER_CAR,
    OTHER_PLATE,
    PLATE,
    SharedBroker,
    cameras_up,
    daemon_settings,
    drop,
    folder_camera,
    mqtt_events,
    mqtt_to,
    mysql_events,
    running,
    stored_events,
    unique,
    wait_for,
)
from tests.services import MOSQUITTO, require_service
from tests.sinks.brokers import PrivateBroker, Subscriber
from tests.storage.factories import free_port


def test_events_made_while_the_broker_is_down_arrive_once_it_is_back(tmp_path: Path) -> None:
    require_service("Mosquitto", MOSQUITTO)  # (its mosquitto program runs the private broker)
    (tmp_path / "broker").mkdir()
    broker = PrivateBroker(free_port(), tmp_path / "broker")
    prefix = unique("test")
    broker.start()
    # A persistent session: what the daemon publishes before this subscriber is back is kept for it.
    subscriber = Subscriber(broker.port, f"{prefix}/+/+/event", client_id=unique("sub"), clean_session=False)
    try:
        subscriber.wait_subscribed()
        subscribed_at = time.time()
        wait_for(lambda: broker.saved_at > subscribed_at, what="the subscriber's session saved by the broker")
        data = tmp_path / "data"
        cameras = [folder_camera("gate-a", tmp_path / "a"), folder_camera("gate-b", tmp_path / "b")]
        with running(daemon_settings(data, cameras=cameras, mqtt=mqtt_to(broker.port, prefix))) as daemon:
            wait_for(lambda: daemon.status()["mqtt_connected"], what="the daemon connected to the broker")
            cameras_up(daemon)
            broker.kill()
            wait_for(lambda: daemon.status()["mqtt_connected"] is False, what="the daemon saw the broker go")

            drop(tmp_path / "a", CAR)  # two vehicles arrive while the broker is down
            drop(tmp_path / "b", OTHER_CAR)
            wait_for(lambda: len([r for r in stored_events(data) if r["stage"] == "final"]) == 2,
                     what="both vehicles' final events in history")
            assert daemon.status()["outbox"]["mqtt"] == 4  # decided + final of each, held for the broker
            assert mqtt_events(subscriber) == []

            broker.start()
            wait_for(lambda: daemon.status()["outbox"]["mqtt"] == 0, timeout=20, what="the outbox drained")
            expected = {r["event_id"]: r["plate_number"] for r in stored_events(data)}
            wait_for(lambda: {e["event_id"] for e in mqtt_events(subscriber)} == set(expected), timeout=20,
                     what="every event id on the subscriber")
            status = daemon.status()
        events = mqtt_events(subscriber)
        assert sorted(expected.values()) == [PLATE, OTHER_PLATE]
        assert {(e["event_id"], e["plate"]) for e in events} == set(expected.items())
        for event_id in expected:  # both revisions of each, however often QoS 1 delivered them
            assert {e["revision"] for e in events if e["event_id"] == event_id} == {1, 2}
        assert status["dead_letters"]["mqtt"] == 0 and status["events_lost"] == 0
    finally:
        subscriber.stop()
        broker.kill()


def test_with_mariadb_unreachable_events_wait_and_all_rows_land_at_the_next_start(
    tmp_path: Path, mariadb_url: str, broker: SharedBroker
) -> None:
    data = tmp_path / "data"
    folder = tmp_path / "snapshots"
    dead_url = f"mysql://root@127.0.0.1:{free_port()}/{mariadb_url.rsplit('/', 1)[1]}"
    cameras = [folder_camera("gate", folder)]
    mqtt = broker.settings()
    history = {"connect_timeout_s": 2, "retry_after_s": 0.5}
    down = daemon_settings(data, cameras=cameras, mqtt=mqtt, mysql_url=dead_url, history=history,
                           shutdown_timeout_s=1.0)
    with running(down) as daemon:
        cameras_up(daemon)
        drop(folder, CAR)
        wait_for(lambda: [e for e in broker.events() if e["stage"] == "final"], what="the final event on MQTT")
        wait_for(lambda: daemon.status()["outbox"]["history"] == 2, what="both revisions held for the history")
        assert daemon.status()["events_lost"] == 0
    event_ids = {e["event_id"] for e in broker.events()}
    assert len(event_ids) == 1 and mysql_events(mariadb_url) == []

    up = daemon_settings(data, cameras=cameras, mqtt=mqtt, mysql_url=mariadb_url, history=history)
    with running(up) as daemon:
        wait_for(lambda: daemon.status()["outbox"]["history"] == 0, timeout=20, what="the history backlog delivered")
    rows = mysql_events(mariadb_url)
    assert [(r["event_id"], r["plate_number"], r["status"], r["stage"], r["revision"]) for r in rows] == [
        (event_ids.pop(), PLATE, "entering", "final", 2)]
