"""What the API is built from (:class:`ApiDependencies`, given by its owner) and what it builds from that once
(:class:`ApiContext`: repositories, password hasher, login limiter), reached by routes through ``context``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import anyio
import numpy as np
import numpy.typing as npt
from fastapi import Request

from edge.api.passwords import PasswordHasher
from edge.api.ratelimit import LoginLimiter, Network, parse_networks
from edge.domain import ImageRead
from edge.events.feed import EventFeed
from edge.settings.api import ApiSettings
from edge.settings.plate_lists import PlateLists
from edge.storage.database import Database
from edge.storage.history import HistoryRepository
from edge.storage.sessions import SessionRepository
from edge.storage.users import UserRepository

Recognize = Callable[[npt.NDArray[np.uint8]], ImageRead]
RECOGNITIONS_AT_ONCE = 2


class PlateListAccess(Protocol):
    """The plate lists in force and a way to replace them (edge.events.lists.PlateListStore is one)."""

    @property
    def lists(self) -> PlateLists: ...

    @property
    def last_error(self) -> str | None: ...

    def save(self, lists: PlateLists) -> None: ...


@dataclass(frozen=True)
class ApiDependencies:
    """The API's collaborators, owned by whoever builds the app (the daemon or ``carwatch-edge api``).

    ``database`` must be migrated. ``recognize`` reads the plates of a decoded BGR image (PlateRecognizer.read);
    None: uploads answer 503. ``status`` gives the daemon's state (GateDaemon.status); None: no cameras here.
    ``plate_lists`` None: the list endpoints answer 503. ``clock`` is wall-clock seconds (tests move it).
    ``events_feed`` gives the live events of ``GET /api/events/stream`` (GateDaemon.feed); None: it answers 503.
    ``stream_heartbeat_s``: how often an idle event stream sends a comment (and checks its session is valid).
    """

    database: Database
    settings: ApiSettings = field(default_factory=ApiSettings)
    data_dir: Path = Path("data")
    recognize: Recognize | None = None
    status: Callable[[], Mapping[str, Any]] | None = None
    plate_lists: PlateListAccess | None = None
    clock: Callable[[], float] = time.time
    events_feed: EventFeed | None = None
    stream_heartbeat_s: float = 15.0
    metrics: Callable[[], str] | None = None  # GateDaemon.metrics_text: the Prometheus text of GET /metrics


class ApiContext:
    """Built once per app from the dependencies; shared by every request (thread-safe parts only)."""

    def __init__(self, deps: ApiDependencies) -> None:
        s = deps.settings
        self.deps = deps
        self.settings = s
        self.clock = deps.clock
        self.users = UserRepository(deps.database)
        self.sessions = SessionRepository(deps.database)
        self.history = HistoryRepository(deps.database)
        self.passwords = PasswordHasher(s.bcrypt_rounds)
        self.limiter = LoginLimiter(s.login_max_failures, s.login_max_failures_per_address, s.login_window_s,
                                    deps.clock)
        self.trusted_proxies: tuple[Network, ...] = parse_networks(s.trusted_proxies)
        self.lists_lock = threading.Lock()  # one read-modify-write of the plate lists at a time
        self.recognition_slots = threading.BoundedSemaphore(RECOGNITIONS_AT_ONCE)  # uploads leave CPU to cameras
        streams = deps.events_feed.max_subscribers if deps.events_feed is not None else 1
        # Event streams wait for events in worker threads of their own: they never starve other requests.
        self.stream_threads = anyio.CapacityLimiter(streams)


def context(request: Request) -> ApiContext:
    """FastAPI dependency: the app's context."""
    return cast(ApiContext, request.app.state.context)
