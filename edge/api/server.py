"""ApiServer: uvicorn serving an ASGI app from a named thread of the daemon's process.

``start()`` binds the socket itself first (so a taken port fails at once with a clear ApiServerError
instead of uvicorn's exit), then runs uvicorn on it in the thread ``api-server`` and returns once it
accepts connections. ``stop()`` asks uvicorn to finish (open requests get ``stop_timeout_s``) and joins
the thread. Open event streams (``/api/events/stream``) end as soon as their EventFeed closes: close the feed
before ``stop()`` (GateDaemon does), else uvicorn waits ``stop_timeout_s`` for them and then cancels them.
uvicorn's own proxy-header handling is off: the API decides whom to trust (trusted_proxies).
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp

log = logging.getLogger(__name__)


class ApiServerError(OSError):
    """The API cannot listen (port taken, address not on this machine, no permission) or did not start.
    An OSError, so that callers handling "cannot open a file or socket" handle it too."""


class ApiServer:
    """One uvicorn server in one thread; owned (started and stopped) by its creator."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 8080, *, start_timeout_s: float = 10.0,
                 stop_timeout_s: float = 5.0, access_log: bool = False, name: str = "api-server") -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.start_timeout_s = start_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.access_log = access_log
        self.name = name
        self.port = port  # the bound port once started (port 0 picks a free one)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def started(self) -> bool:
        """Whether the server accepts connections."""
        return self._server is not None and self._server.started and self._thread is not None \
            and self._thread.is_alive()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Listen and serve; returns when connections are accepted. Raises ApiServerError."""
        if self._thread is not None:
            raise ApiServerError("the API server was started already")
        sock = _listen(self.host, self.requested_port)
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(self.app, log_config=None, access_log=self.access_log, lifespan="off", ws="none",
                                proxy_headers=False, server_header=False,
                                timeout_graceful_shutdown=max(1, round(self.stop_timeout_s)))
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, args=(sock,), name=self.name, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.start_timeout_s
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self._server.started:
            self.stop()
            reason = f": {self._failure}" if self._failure is not None else ""
            raise ApiServerError(f"the API server on {self.url} did not start{reason}")
        log.info("API listening on %s", self.url)

    def _serve(self, sock: socket.socket) -> None:
        assert self._server is not None
        try:
            self._server.run(sockets=[sock])
        except BaseException as exc:  # uvicorn exits with SystemExit when it cannot start
            self._failure = exc
            log.error("API server stopped: %s", exc or type(exc).__name__)
        finally:
            sock.close()

    def stop(self) -> None:
        """Stop serving and join the thread (waits at most about ``stop_timeout_s`` plus a second)."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(self.stop_timeout_s + 2.0)
        if self._thread.is_alive():
            log.warning("API server thread did not stop in time; forcing")
            self._server.force_exit = True
            self._thread.join(2.0)
        log.info("API stopped")


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port, or ApiServerError saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ApiServerError(f"cannot listen on {host}:{port}: unknown address ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ApiServerError(f"cannot listen on {host}:{port}: the port is taken by another program "
                                 "(set api.port or CARWATCH_API__PORT)") from None
        raise ApiServerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(False)
    return sock
