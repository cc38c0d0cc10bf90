"""Fixtures of the fault tests: they need PostgreSQL (several processes write at once) and a redis-server binary,
and skip with the reason when either is missing; CI (.ci/run) has both."""

import shutil

import pytest
from django.db import connection

from tests.faults.support import Stack


@pytest.fixture
def stack(transactional_db, tmp_path, emulator):
    """Redis, a Celery worker and beat on the test database, stopped (SIGKILL) before the database is flushed."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run through .ci/run or with DATABASE_URL=postgres://...")
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    stack = Stack(tmp_path)
    yield stack
    stack.stop()


@pytest.fixture
def account(connected_account):
    """The emulator's demo seller with every sync switch on and the order import from the journal's start."""
    from allegro.checkouts.models import OrderEventCursor

    for name in ("sync_prices", "sync_stock", "sync_close_sold_out", "sync_import_orders"):
        setattr(connected_account, name, True)
    connected_account.save()
    OrderEventCursor.objects.update_or_create(account=connected_account, defaults={"last_event_id": "0"})
    return connected_account


@pytest.fixture(autouse=True)
def _this_process_does_not_flush(settings):
    """Shop changes made by the test only queue their offers: the worker flushes them (beat's safety net or the
    task the test sends), not this process with its eager tasks."""
    settings.ALLEGRO_SYNC_DEBOUNCE_SECONDS = None
