"""The emulator clock: real time plus an offset moved by `POST /_emulator/clock`. Every expiry uses it."""

from __future__ import annotations

import datetime as dt
import threading
import time

from . import db

_lock = threading.Lock()
_offset: float = 0.0


def load() -> None:
    global _offset
    _offset = float(db.meta_get("clock_offset", 0.0))


def advance(seconds: float) -> float:
    """Move the clock forward (never backwards) and persist the offset."""
    global _offset
    with _lock:
        _offset += max(0.0, float(seconds))
        db.meta_set("clock_offset", _offset)
        return _offset


def reset() -> None:
    global _offset
    with _lock:
        _offset = 0.0
        db.meta_set("clock_offset", 0.0)


def offset() -> float:
    return _offset


def ts() -> float:
    """Emulator time as a UNIX timestamp."""
    return time.time() + _offset


def now() -> dt.datetime:
    return dt.datetime.fromtimestamp(ts(), tz=dt.UTC)


def iso(moment: dt.datetime | float | None = None) -> str:
    """Allegro's timestamp format: `2026-11-27T01:08:40.123Z`."""
    if moment is None:
        moment = now()
    elif isinstance(moment, int | float):
        moment = dt.datetime.fromtimestamp(moment, tz=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
