"""Identifier helpers shared by the areas (Allegro's id shapes)."""

from __future__ import annotations

import threading
import uuid

from . import clock, db

_lock = threading.Lock()
_last_event_us = 0


def offer_id() -> str:
    """A new offer id: a numeric string like Allegro's ("17000000001"), unique across restarts.

    Works inside or outside a `db.tx()` (it bumps a counter in `meta`)."""
    with db.tx() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'offer_seq'").fetchone()
        value = int(row["value"]) + 1 if row else 17000000001
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('offer_seq', ?)", (str(value),))
    return str(value)


def event_id() -> str:
    """A journal id: a numeric string that is roughly the emulator time in microseconds and strictly
    increasing within the process (Allegro's order-event ids look like this; offer-event ids are opaque)."""
    global _last_event_us
    with _lock:
        now_us = int(clock.ts() * 1_000_000)
        _last_event_us = max(now_us, _last_event_us + 1)
        return str(_last_event_us)


def new_uuid() -> str:
    return str(uuid.uuid4())
