"""Tasks the worker of the Redis restart test loads (``--include``): they touch files, not the database."""

import time
from pathlib import Path

from celery import shared_task


@shared_task(name="probe.sleep", ignore_result=True)
def probe_sleep(seconds: float) -> None:
    time.sleep(seconds)


@shared_task(name="probe.touch", ignore_result=True)
def probe_touch(path: str) -> None:
    Path(path).touch()
