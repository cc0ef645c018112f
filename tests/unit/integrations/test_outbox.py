import logging
import threading

import pytest

from openinspect.integrations._queue import Outbox, OutboxClosedError


def test_outbox_hands_out_results_in_order():
    outbox = Outbox("test", limit=5)
    for item in (b"1", b"2", b"3"):
        outbox.put(item)
    assert [outbox.get(0), outbox.get(0), outbox.get(0)] == [b"1", b"2", b"3"]
    assert outbox.get(0.01) is None


def test_full_outbox_drops_the_oldest_counts_and_logs(caplog):
    outbox = Outbox("mqtt test", limit=2)
    with caplog.at_level(logging.WARNING, logger="openinspect.integrations"):
        for n in range(5):
            outbox.put(str(n).encode())
    assert outbox.overflow == 3
    assert [outbox.get(0), outbox.get(0)] == [b"3", b"4"]
    assert caplog.messages == ["mqtt test: 2 results held (the limit) while the peer is unreachable; dropped the "
                               "oldest, 1 dropped so far"], "one line per 100 drops, not one per drop"


def test_put_back_goes_to_the_front_unless_newer_results_filled_the_outbox():
    outbox = Outbox("test", limit=2)
    outbox.put(b"new")
    outbox.put_back(b"old")
    assert outbox.get(0) == b"old"
    outbox.put(b"newer")
    outbox.put_back(b"older")
    assert outbox.overflow == 1 and len(outbox) == 2


def test_closed_outbox_drains_then_raises_and_takes_nothing_more():
    outbox = Outbox("test", limit=3)
    outbox.put(b"1")
    outbox.close()
    outbox.put(b"2")
    assert outbox.get() == b"1"
    with pytest.raises(OutboxClosedError):
        outbox.get()


def test_close_wakes_a_waiting_consumer():
    outbox = Outbox("test", limit=3)
    woke = threading.Event()

    def consume():
        with pytest.raises(OutboxClosedError):
            outbox.get()
        woke.set()

    thread = threading.Thread(target=consume)
    thread.start()
    outbox.close()
    thread.join(2)
    assert woke.is_set()


def test_outbox_needs_room_for_one_result():
    with pytest.raises(ValueError, match="at least 1"):
        Outbox("test", limit=0)
