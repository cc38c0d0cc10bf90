"""Closing a connection that Redis dropped under it, the way Celery's worker does, with messages unacknowledged.

The worker calls ``Connection.collect()`` and then ``Connection.close()``. With kombu's transport the second call
builds a connection pool from the transport the first one detached and raises ``AttributeError: 'NoneType'
object has no attribute 'hostname'``, which Celery does not expect there: the worker exits. Ours raises a
connection error, which Celery ignores before it reconnects.
"""

import shutil
import signal

import pytest
from kombu import Connection, Exchange, Queue

from selly_allegro.broker import RedisTransport
from tests.integration.ops.redis_support import free_port, redis_start

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")


def _close_after_redis_died(transport, folder):
    port = free_port()
    server = redis_start(port, folder)
    conn = Connection(f"redis://127.0.0.1:{port}/0", transport=transport)
    try:
        tasks = Queue("tasks", Exchange("tasks"), "tasks")
        producer = conn.Producer()
        for n in range(2):
            producer.publish({"n": n}, exchange=tasks.exchange, routing_key="tasks", declare=[tasks])
        # The worker's remote-control channel: a fanout queue deleted when the channel closes.
        control = conn.channel()
        control_queue = Queue("control", Exchange("control", type="fanout"), auto_delete=True)
        conn.Consumer([control_queue], channel=control, callbacks=[lambda body, message: None], no_ack=True).consume()
        received = []
        conn.Consumer([tasks], callbacks=[lambda body, message: received.append(message)], prefetch_count=10).consume()
        while len(received) < 2:
            conn.drain_events(timeout=5)
        channel = conn.default_channel
        for _ in range(20):  # wait for the next task, as the worker does: a BRPOP in flight
            if channel._in_poll is not None:
                break
            try:
                conn.drain_events(timeout=0.2)
            except TimeoutError:
                pass
        assert channel._in_poll is not None
        assert len(channel.qos._delivered) == 2  # taken, not acknowledged

        server.send_signal(signal.SIGKILL)
        server.wait()
        try:
            conn.collect(socket_timeout=2)
        except Exception:  # noqa: BLE001 - Celery ignores every error of collect()
            pass
        conn.close()
    finally:
        server.kill()


def test_kombu_transport_fails_with_attribute_error(tmp_path):
    with pytest.raises(AttributeError, match="hostname"):
        _close_after_redis_died("redis", tmp_path)


def test_our_transport_fails_with_a_connection_error_that_celery_ignores(tmp_path):
    from redis.exceptions import ConnectionError

    try:
        _close_after_redis_died(RedisTransport, tmp_path)
    except ConnectionError:
        pass  # what Celery's ignore_errors(connection, connection.close) swallows
