"""Live events in memory: :class:`EventFeed` hands every stored PlateEvent to whoever listens right now.

Publish/subscribe for the operator console's live view (``GET /api/events/stream``). Nothing is kept for
later: a subscriber sees the events published while it is subscribed. Each subscriber has a bounded queue;
a slow one (a phone on bad Wi-Fi) loses its oldest events, counted in ``dropped``, and never slows the
publisher, which is a camera's processing thread. ``close()`` (the daemon stopping) wakes every subscriber.

    with feed.subscribe() as subscription:
        while not subscription.closed:
            event = subscription.get(timeout=0.5)   # None: nothing yet (or closed)
"""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType

from edge.domain import PlateEvent

DEFAULT_QUEUE_SIZE = 64
DEFAULT_MAX_SUBSCRIBERS = 16


class TooManySubscribers(RuntimeError):
    """The feed already has ``max_subscribers`` listeners."""


class Subscription:
    """One listener's queue. A context manager: leaving it unsubscribes. Thread-safe."""

    def __init__(self, feed: EventFeed, queue_size: int) -> None:
        self._feed = feed
        self._queue: deque[PlateEvent] = deque(maxlen=queue_size)
        self._ready = threading.Condition()
        self._closed = False
        self.dropped = 0  # events lost because this subscriber fell behind (the oldest go first)

    @property
    def closed(self) -> bool:
        """True once unsubscribed or the feed closed; events still queued can be read with get()."""
        return self._closed

    def get(self, timeout: float) -> PlateEvent | None:
        """The oldest queued event, waiting at most ``timeout`` seconds; None when none came (or closed)."""
        with self._ready:
            if not self._queue and not self._closed:
                self._ready.wait_for(lambda: bool(self._queue) or self._closed, timeout=max(0.0, timeout))
            return self._queue.popleft() if self._queue else None

    def pending(self) -> int:
        with self._ready:
            return len(self._queue)

    def close(self) -> None:
        """Unsubscribe (idempotent); a get() waiting in another thread returns at once."""
        self._feed._remove(self)
        self._end()

    def _offer(self, event: PlateEvent) -> None:
        with self._ready:
            if self._closed:
                return
            if len(self._queue) == self._queue.maxlen:
                self.dropped += 1  # the deque drops the oldest on append
            self._queue.append(event)
            self._ready.notify_all()

    def _end(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


class EventFeed:
    """In-memory publish/subscribe of PlateEvent; owned by the daemon, shared by the recorder and the API."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE_SIZE, max_subscribers: int = DEFAULT_MAX_SUBSCRIBERS) -> None:
        if queue_size < 1 or max_subscribers < 1:
            raise ValueError("EventFeed: queue_size and max_subscribers must be at least 1")
        self.queue_size = queue_size
        self.max_subscribers = max_subscribers
        self._lock = threading.Lock()
        self._subscribers: list[Subscription] = []
        self._closed = False
        self.published = 0

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def subscribe(self) -> Subscription:
        """A new listener. Raises TooManySubscribers at the limit; after close() the subscription is closed."""
        subscription = Subscription(self, self.queue_size)
        with self._lock:
            if self._closed:
                subscription._end()
                return subscription
            if len(self._subscribers) >= self.max_subscribers:
                raise TooManySubscribers(f"the live feed already has {self.max_subscribers} listeners")
            self._subscribers.append(subscription)
        return subscription

    def publish(self, event: PlateEvent) -> None:
        """Queue ``event`` for every listener; never blocks for long, never raises."""
        with self._lock:
            listeners = list(self._subscribers)
            self.published += 1
        for subscription in listeners:
            subscription._offer(event)

    def close(self) -> None:
        """End every subscription (their get() returns at once) and refuse new ones."""
        with self._lock:
            self._closed = True
            listeners, self._subscribers = self._subscribers, []
        for subscription in listeners:
            subscription._end()

    def _remove(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscribers:
                self._subscribers.remove(subscription)
