"""EventFeed: every listener gets each event once, in order; a slow one loses its oldest; close wakes everyone."""

from __future__ import annotations

import threading

import pytest

from edge.events.feed import EventFeed, TooManySubscribers
from tests.storage.factories import make_event


def test_each_subscriber_gets_every_event_in_order() -> None:
    feed = EventFeed()
    events = [make_event(f"B{i:02d}ABC") for i in range(5)]
    with feed.subscribe() as first, feed.subscribe() as second:
        for event in events:
            feed.publish(event)
        for subscription in (first, second):
            assert [subscription.get(1.0) for _ in events] == events
            assert subscription.get(0.0) is None
    assert feed.subscribers == 0 and feed.published == 5


def test_a_subscriber_sees_only_what_is_published_while_it_listens() -> None:
    feed = EventFeed()
    feed.publish(make_event("B00OLD"))  # nobody listens: gone
    with feed.subscribe() as subscription:
        feed.publish(make_event("B01NEW"))
        got = subscription.get(1.0)
        assert got is not None and got.plate == "B01NEW"
    feed.publish(make_event("B02AFTER"))  # unsubscribed: nothing queued, nothing kept
    assert subscription.closed and subscription.get(0.0) is None


def test_a_slow_subscriber_loses_the_oldest_events_and_counts_them() -> None:
    feed = EventFeed(queue_size=3)
    events = [make_event(f"B{i:02d}SLW") for i in range(10)]
    with feed.subscribe() as slow:
        for event in events:
            feed.publish(event)  # never blocks although nobody reads
        assert slow.pending() == 3 and slow.dropped == 7
        assert [slow.get(0.0) for _ in range(3)] == events[-3:]


def test_get_waits_for_a_publisher_in_another_thread() -> None:
    feed = EventFeed()
    event = make_event("B12WAIT")
    with feed.subscribe() as subscription:
        publisher = threading.Timer(0.05, feed.publish, args=(event,))
        publisher.start()
        got = subscription.get(10.0)
        publisher.join()
    assert got == event


def test_get_times_out_with_none() -> None:
    with EventFeed().subscribe() as subscription:
        assert subscription.get(0.01) is None
        assert subscription.get(-5) is None  # a negative timeout is no wait, not an error
        assert not subscription.closed


def test_close_wakes_a_waiting_subscriber_and_refuses_new_ones() -> None:
    feed = EventFeed()
    subscription = feed.subscribe()
    results: list[object] = []
    waiter = threading.Thread(target=lambda: results.append(subscription.get(30.0)), name="test-feed-waiter")
    waiter.start()
    feed.close()
    waiter.join(10.0)
    assert not waiter.is_alive() and results == [None] and subscription.closed
    late = feed.subscribe()
    assert late.closed and late.get(0.0) is None and feed.subscribers == 0
    feed.publish(make_event())  # publishing to a closed feed is harmless
    assert feed.closed


def test_events_queued_before_close_can_still_be_read() -> None:
    feed = EventFeed()
    subscription = feed.subscribe()
    event = make_event("B34LAST")
    feed.publish(event)
    feed.close()
    assert subscription.closed and subscription.get(0.0) == event and subscription.get(0.0) is None


def test_the_number_of_subscribers_is_bounded() -> None:
    feed = EventFeed(max_subscribers=2)
    with feed.subscribe(), feed.subscribe():
        with pytest.raises(TooManySubscribers):
            feed.subscribe()
        assert feed.subscribers == 2
    with feed.subscribe():  # the places are free again
        assert feed.subscribers == 1


def test_closing_a_subscription_twice_is_harmless() -> None:
    feed = EventFeed()
    subscription = feed.subscribe()
    subscription.close()
    subscription.close()
    assert feed.subscribers == 0


@pytest.mark.parametrize(("queue_size", "max_subscribers"), [(0, 1), (1, 0), (-1, 5)])
def test_nonsense_limits_are_refused(queue_size: int, max_subscribers: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        EventFeed(queue_size=queue_size, max_subscribers=max_subscribers)


def test_many_publishers_and_subscribers_at_once_lose_nothing_when_keeping_up() -> None:
    feed = EventFeed(queue_size=10_000, max_subscribers=8)
    per_publisher, publishers = 500, 4
    subscriptions = [feed.subscribe() for _ in range(4)]
    received: list[list[str]] = [[] for _ in subscriptions]

    def consume(index: int) -> None:
        while len(received[index]) < per_publisher * publishers:
            event = subscriptions[index].get(5.0)
            if event is None:
                return
            received[index].append(event.event_id)

    def produce(number: int) -> None:
        for i in range(per_publisher):
            feed.publish(make_event(event_id=f"p{number}-{i}"))

    threads = [threading.Thread(target=consume, args=(i,), name=f"test-feed-consumer-{i}")
               for i in range(len(subscriptions))]
    threads += [threading.Thread(target=produce, args=(n,), name=f"test-feed-producer-{n}") for n in range(publishers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30.0)
    assert not any(t.is_alive() for t in threads)
    for events in received:
        assert len(events) == per_publisher * publishers and len(set(events)) == len(events)
        for number in range(publishers):  # each publisher's events arrive in its order
            mine = [e for e in events if e.startswith(f"p{number}-")]
            assert mine == [f"p{number}-{i}" for i in range(per_publisher)]
    assert all(s.dropped == 0 for s in subscriptions)
    feed.close()
