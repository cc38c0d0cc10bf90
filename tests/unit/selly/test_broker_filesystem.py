"""The embedded broker never hands a worker a half-written message (selly_allegro/broker.py).

A writer that stops half-way through a large message (a busy disk, a slow machine) while a worker polls the
folder: kombu's own filesystem transport lets the worker take the half-written file and fail on it; ours
shows the worker nothing until the message is whole.
"""

import builtins
import threading
import time

import pytest
from kombu import Connection
from kombu.transport import filesystem

from selly_allegro import broker

PAYLOAD = {"body": "x" * 200_000, "headers": {"task": "allegro.core.tasks.worker_heartbeat"}}


class _SlowFile:
    """A file whose write stops half-way for a moment, as a large write on a busy disk does."""

    def __init__(self, f):
        self._f = f

    def write(self, data):
        half = len(data) // 2
        written = self._f.write(data[:half])
        time.sleep(0.4)
        return written + self._f.write(data[half:])

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._f.__exit__(*exc)


def _slow_open(*args, **kwargs):
    f = builtins.open(*args, **kwargs)
    mode = args[1] if len(args) > 1 else kwargs.get("mode", "r")
    return _SlowFile(f) if "w" in mode else f


def _channel(transport, folder):
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "processed_folder": str(folder),
        "store_processed": False,
        "control_folder": str(folder / "control"),
    }
    return Connection(transport=transport, transport_options=options).channel()


def _race(transport, folder):
    """One writer puts PAYLOAD slowly; a reader polls meanwhile. Returns (messages read, reader errors)."""
    writer, reader = _channel(transport, folder), _channel(transport, folder)
    thread = threading.Thread(target=writer._put, args=("celery", PAYLOAD))
    thread.start()
    got, errors = [], []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not got:
        finished = not thread.is_alive()
        try:
            got.append(reader._get("celery"))
        except filesystem.Empty:
            if finished:
                break
        except ValueError as exc:  # JSONDecodeError
            errors.append(exc)
            if finished:
                break
        time.sleep(0.005)
    thread.join()
    return got, errors


def test_stock_filesystem_transport_hands_out_a_half_written_message(tmp_path, monkeypatch):
    monkeypatch.setattr(filesystem, "open", _slow_open, raising=False)
    got, errors = _race(filesystem.Transport, tmp_path)
    assert errors, "the reader should have taken the file while it was being written"
    assert got == []


def test_our_filesystem_transport_shows_a_message_only_when_it_is_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(broker, "open", _slow_open, raising=False)
    got, errors = _race(broker.FilesystemTransport, tmp_path)
    assert errors == []
    assert got == [PAYLOAD]
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == []  # no temporary file left behind


def test_a_file_that_cannot_be_decoded_is_set_aside_and_the_next_message_is_read(tmp_path, caplog):
    channel = _channel(broker.FilesystemTransport, tmp_path)
    (tmp_path / "1_leftover.celery.msg").write_text('{"body": "half')
    channel._put("celery", {"body": "whole"})
    assert channel._get("celery") == {"body": "whole"}
    assert (tmp_path / "broken" / "1_leftover.celery.msg").exists()
    assert "cannot be decoded" in caplog.text
    with pytest.raises(filesystem.Empty):
        channel._get("celery")


def test_two_workers_take_each_message_exactly_once(tmp_path):
    channel = _channel(broker.FilesystemTransport, tmp_path)
    for n in range(60):
        channel._put("celery", {"n": n})
    taken, lock = [], threading.Lock()

    def work():
        mine = _channel(broker.FilesystemTransport, tmp_path)
        while True:
            try:
                message = mine._get("celery")
            except filesystem.Empty:
                return
            with lock:
                taken.append(message["n"])

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == list(range(60))


def test_oldest_first_holds_when_the_millisecond_stamp_gains_a_digit(tmp_path):
    channel = _channel(broker.FilesystemTransport, tmp_path)
    (tmp_path / "10000_b.celery.msg").write_text('{"n": 2}')
    (tmp_path / "9999_a.celery.msg").write_text('{"n": 1}')
    assert [channel._get("celery")["n"], channel._get("celery")["n"]] == [1, 2]


def test_messages_come_out_oldest_first_and_only_for_their_queue(tmp_path):
    channel = _channel(broker.FilesystemTransport, tmp_path)
    channel._put("celery", {"n": 1})
    time.sleep(0.002)
    channel._put("other", {"n": "other"})
    channel._put("celery", {"n": 2})
    assert channel._size("celery") == 2
    assert [channel._get("celery")["n"], channel._get("celery")["n"]] == [1, 2]
    assert channel._get("other") == {"n": "other"}
