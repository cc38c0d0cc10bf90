"""Sliding-window rate limits on the emulator clock (so `POST /_emulator/clock` also lifts blocks).

Handlers call `check_seller(req, "seller_offer_writes_per_minute")`; the server itself calls
`check_client(client_id)` on every authenticated request.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque

from . import clock, state
from .errors import error

_lock = threading.Lock()
_hits: dict[str, deque] = defaultdict(deque)
_blocked_until: dict[str, float] = {}


def hit(key: str, limit: int, window_s: float, *, block_s: float = 0.0) -> bool:
    """Record one request under `key`; False when it is over `limit` in the last `window_s` seconds.

    With `block_s` the key stays blocked that long after it first goes over (Allegro's 60 s client block).
    """
    now = clock.ts()
    with _lock:
        until = _blocked_until.get(key)
        if until is not None:
            if now < until:
                return False
            del _blocked_until[key]
            _hits[key].clear()
        window = _hits[key]
        while window and window[0] <= now - window_s:
            window.popleft()
        if len(window) >= limit:
            if block_s:
                _blocked_until[key] = now + block_s
            return False
        window.append(now)
        return True


def _too_many(scope: str):
    return error(
        429,
        "TooManyRequestsException",
        f"Too many requests ({scope} limit exceeded)",
        pl="Przekroczono limit liczby zapytań. Spróbuj ponownie za chwilę.",
    )


def check_client(client_id: str) -> None:
    """9000 requests/min per client id, then the client is blocked for about a minute."""
    if not hit(
        f"client:{client_id}",
        state.rate_limit("client_per_minute"),
        60,
        block_s=state.rate_limit("client_block_seconds"),
    ):
        raise _too_many("client")


def check_seller(seller_id: str, limit_name: str) -> None:
    """Per-seller limits, e.g. `seller_offer_writes_per_minute` (also checks the hourly write cap)."""
    if not hit(f"seller:{seller_id}:{limit_name}", state.rate_limit(limit_name), 60):
        raise _too_many("seller")
    if limit_name == "seller_offer_writes_per_minute" and not hit(
        f"seller:{seller_id}:hour", state.rate_limit("seller_offer_writes_per_hour"), 3600
    ):
        raise _too_many("seller hourly")


def reset() -> None:
    with _lock:
        _hits.clear()
        _blocked_until.clear()
