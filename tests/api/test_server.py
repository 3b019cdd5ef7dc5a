"""ApiServer: uvicorn in a named thread, listening when start() returns, a clear error for a taken port,
stopped and joined by stop()."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import pytest
import requests
from fastapi import FastAPI

from edge.api import ApiServer, ApiServerError


@pytest.fixture
def tiny_app() -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"pong": threading.current_thread().name}

    return app


def test_serves_from_a_named_thread_until_stopped(tiny_app: FastAPI) -> None:
    server = ApiServer(tiny_app, "127.0.0.1", 0)
    server.start()
    try:
        assert server.started and server.port > 0
        assert "api-server" in [t.name for t in threading.enumerate()]
        assert requests.get(f"{server.url}/ping", timeout=5).status_code == 200
    finally:
        server.stop()
    assert not server.started
    assert "api-server" not in [t.name for t in threading.enumerate()]
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/ping", timeout=2)


def test_a_taken_port_is_a_clear_error(tiny_app: FastAPI) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        with pytest.raises(ApiServerError, match=f"127.0.0.1:{port}: the port is taken"):
            ApiServer(tiny_app, "127.0.0.1", port).start()
    assert "api-server" not in [t.name for t in threading.enumerate()]


def test_an_address_not_on_this_machine_is_a_clear_error(tiny_app: FastAPI) -> None:
    with pytest.raises(ApiServerError, match=r"cannot listen on 192\.0\.2\.1"):
        ApiServer(tiny_app, "192.0.2.1", 0).start()
    with pytest.raises(ApiServerError, match="unknown address"):
        ApiServer(tiny_app, "no-such-host.invalid", 0).start()


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_stop_lets_a_request_in_progress_finish(tiny_app: FastAPI) -> None:
    arrived, release = threading.Event(), threading.Event()

    @tiny_app.get("/slow")
    def slow() -> dict[str, bool]:
        arrived.set()
        return {"released": release.wait(10)}

    server = ApiServer(tiny_app, "127.0.0.1", 0, stop_timeout_s=5)
    server.start()
    answers: list[int] = []
    caller = threading.Thread(name="test-caller", target=lambda: answers.append(
        requests.get(f"{server.url}/slow", timeout=15).status_code))
    caller.start()
    wait_until(arrived.is_set)
    stopper = threading.Thread(target=server.stop, name="test-stopper")
    stopper.start()
    wait_until(lambda: server._server is not None and server._server.should_exit)
    release.set()
    caller.join(15)
    stopper.join(15)
    assert answers == [200]
    assert not server.started


def test_it_cannot_be_started_twice(tiny_app: FastAPI) -> None:
    server = ApiServer(tiny_app, "127.0.0.1", 0)
    server.start()
    try:
        with pytest.raises(ApiServerError, match="started already"):
            server.start()
    finally:
        server.stop()
