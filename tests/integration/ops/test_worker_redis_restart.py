"""A worker against a real Redis survives Redis going away and coming back, then runs the next task.

Each restart comes while the worker is busy and holds prefetched messages it has not acknowledged, the moment
at which kombu's transport made the worker exit (test_redis_transport.py shows the mechanism). The supervisor
would restart a worker that exits anyway; this shows it does not need to.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery

from tests.integration.ops.redis_support import free_port, redis_start

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
]


def _wait_for(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.1)
    return False


def test_worker_survives_redis_restarts_and_runs_the_next_task(tmp_path):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    redis_server = redis_start(port, tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="selly_allegro.settings",
        DJANGO_DEBUG="1",
        SELLY_VAR_DIR=str(tmp_path / "var"),
        REDIS_URL=url,
    )
    log_path = tmp_path / "worker.log"
    log = open(log_path, "w")
    # The worker's command line of supervisord.conf and the systemd unit, with test tasks included.
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "selly_allegro",
            "worker",
            "--include",
            f"{__package__}.worker_probe",
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    sender = Celery("probe", broker=url)
    try:
        first = tmp_path / "before"
        sender.send_task("probe.touch", args=[str(first)])
        assert _wait_for(first, 60), log_path.read_text()
        for cycle in range(3):
            # Both processes busy and more waiting: the worker holds prefetched, unacknowledged messages.
            for _ in range(2):
                sender.send_task("probe.sleep", args=[2])
            for n in range(3):
                sender.send_task("probe.touch", args=[str(tmp_path / f"queued-{cycle}-{n}")])
            time.sleep(1)
            redis_server.send_signal(signal.SIGKILL)
            redis_server.wait()
            time.sleep(3)  # still away when the running tasks end and their acknowledgements fail
            redis_server = redis_start(port, tmp_path)
            after = tmp_path / f"after-{cycle}"
            sender.send_task("probe.touch", args=[str(after)])
            assert _wait_for(after, 60), log_path.read_text()
            assert worker.poll() is None, log_path.read_text()
        assert "Unrecoverable error" not in log_path.read_text()
    finally:
        sender.close()
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        redis_server.kill()
        log.close()
