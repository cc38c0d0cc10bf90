"""The rate limiter's slots in the database, for installations without Redis (the limiter itself is in
``allegro.integration.ratelimit``, which never touches the ORM: its storage is injected)."""

from __future__ import annotations

from django.db import connection

from allegro.core.models import RateLimitSlot
from allegro.integration.ratelimit import Limit

_TABLE = RateLimitSlot._meta.db_table


class DatabaseSlotStorage:
    """One RateLimitSlot row per key. A caller takes its slot with one UPDATE ... RETURNING: the database runs
    the statement under the row's lock, so concurrent callers (threads or processes) never share a slot, and
    a mass listing's calls each cost one statement instead of a locked read, a write and a commit."""

    def take_slot(self, key: str, now: float, limit: Limit) -> float:
        greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"  # SQLite's MAX of two values
        floor = now - limit.burst * limit.interval  # unused slots older than the burst are not saved up
        with connection.cursor() as cursor:
            for _ in range(2):
                cursor.execute(
                    f"UPDATE {_TABLE} SET next_free = {greatest}(next_free, %s) + %s WHERE key = %s "  # noqa: S608 - names are ours
                    "RETURNING next_free",
                    [floor, limit.interval, key],
                )
                row = cursor.fetchone()
                if row is not None:
                    return float(row[0]) - limit.interval
                # The key's first call: its row starts with the next slot taken; a row another caller created
                # first makes the insert do nothing and the update above is tried again.
                cursor.execute(
                    f"INSERT INTO {_TABLE} (key, next_free) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING "  # noqa: S608
                    "RETURNING next_free",
                    [key, now + limit.interval],
                )
                if cursor.fetchone() is not None:
                    return now
        return now
