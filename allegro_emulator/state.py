"""Process-wide knobs and observations: settings (persisted), faults, stats and the request log (in memory)."""

from __future__ import annotations

import copy
import re
import threading
import time
from collections import Counter, deque
from typing import Any

from . import db

DEFAULT_SETTINGS: dict[str, Any] = {
    "auto_approve": False,
    "latency_ms": 0,
    "async_offers": False,  # product-offers answer 202 + operation instead of 201/200
    "async_offer_seconds": 2,  # how long an async operation stays PENDING/IN_PROGRESS
    "command_task_seconds": 1,  # how long command tasks stay NEW
    "code_ttl": 10,  # authorization code lifetime, seconds
    "access_token_ttl": 43199,
    "refresh_token_ttl": 90 * 24 * 3600,
    "refresh_grace_seconds": 60,
    "image_max_bytes": 10 * 1024 * 1024,
    "image_ttl_hours": 48,
    "untidy": None,  # {seed, probability}: optional fields of answers null or absent at random (untidy.py)
    "rate_limits": {
        "client_per_minute": 9000,
        "client_block_seconds": 60,
        "seller_offer_writes_per_minute": 2490,
        "seller_offer_writes_per_hour": 74700,
        "seller_offer_reads_per_minute": 3500,
    },
}

_lock = threading.RLock()
_settings: dict[str, Any] = copy.deepcopy(DEFAULT_SETTINGS)
_cli_latency: int = 0
# Public requests being answered right now (a delayed fault keeps one asleep after its client gave up).
_busy = threading.Condition()
_in_flight = 0


def load(cli_latency_ms: int | None = None) -> None:
    """Load persisted settings; `--latency-ms` on the command line wins over the stored value."""
    global _settings, _cli_latency
    stored = db.meta_get("settings", {}) or {}
    with _lock:
        _settings = _merge(copy.deepcopy(DEFAULT_SETTINGS), stored)
        if cli_latency_ms is not None:
            _cli_latency = cli_latency_ms
            _settings["latency_ms"] = cli_latency_ms


def _merge(base: dict, update: dict) -> dict:
    for k, v in update.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v)
        else:
            base[k] = v
    return base


def settings() -> dict[str, Any]:
    return _settings


def get(name: str) -> Any:
    return _settings[name]


def rate_limit(name: str) -> int:
    return int(_settings["rate_limits"][name])


def update(changes: dict[str, Any]) -> dict[str, Any]:
    global _settings
    with _lock:
        _settings = _merge(copy.deepcopy(_settings), changes)
        db.meta_set("settings", _settings)
        return copy.deepcopy(_settings)


def reset_settings() -> None:
    global _settings
    with _lock:
        _settings = copy.deepcopy(DEFAULT_SETTINGS)
        _settings["latency_ms"] = _cli_latency
        db.meta_set("settings", _settings)


# Faults ---------------------------------------------------------------------------------------------
_faults: list[dict[str, Any]] = []
_fault_seq = 0


def add_fault(spec: dict[str, Any]) -> dict[str, Any]:
    global _fault_seq
    re.compile(spec["path_regex"])  # fail early on a bad pattern
    with _lock:
        _fault_seq += 1
        fault = {
            "id": _fault_seq,
            "method": (spec.get("method") or "").upper() or None,
            "path_regex": spec["path_regex"],
            "status": spec.get("status"),
            "delay_ms": int(spec.get("delay_ms") or 0),
            "times": spec.get("times"),
            "body": spec.get("body"),
        }
        _faults.append(fault)
        return dict(fault)


def clear_faults() -> None:
    with _lock:
        _faults.clear()


def list_faults() -> list[dict[str, Any]]:
    with _lock:
        return [dict(f) for f in _faults]


def take_fault(method: str, path: str) -> dict[str, Any] | None:
    """The first fault matching this request; counts its `times` down and drops it at zero."""
    with _lock:
        for fault in _faults:
            if fault["method"] and fault["method"] != method:
                continue
            if not re.search(fault["path_regex"], path):
                continue
            if fault["times"] is not None:
                fault["times"] -= 1
                if fault["times"] <= 0:
                    _faults.remove(fault)
            return dict(fault)
    return None


# Stats and request log --------------------------------------------------------------------------------
_counters: Counter = Counter()
_by_route: Counter = Counter()
_by_seller: Counter = Counter()
_by_status: Counter = Counter()
_log: deque = deque(maxlen=20000)
_log_seq = 0

SECRET_PARAMS = {
    "code",
    "refresh_token",
    "access_token",
    "client_secret",
    "code_verifier",
    "device_code",
    "code_challenge",
    "user_code",
}


def incr(counter: str, n: int = 1) -> None:
    """Count a named event for GET /_emulator/stats, e.g. incr("token_refreshes"), incr("commands_run")."""
    with _lock:
        _counters[counter] += n


def record(
    *,
    method: str,
    path: str,
    query: dict[str, list[str]],
    status: int,
    started: float,
    route: str | None,
    seller_id: str | None,
    client_id: str | None,
) -> None:
    global _log_seq
    if path.startswith("/_emulator/"):
        return  # the control API is not part of the traffic under observation
    safe_query = {k: (["***"] if k in SECRET_PARAMS else v) for k, v in query.items()}
    duration = round((time.monotonic() - started) * 1000, 2)
    with _lock:
        _log_seq += 1
        _log.append(
            {
                "seq": _log_seq,
                "at": time.time(),
                "method": method,
                "path": path,
                "query": safe_query,
                "status": status,
                "duration_ms": duration,
                "route": route,
                "seller_id": seller_id,
                "client_id": client_id,
            }
        )
        _by_route[route or f"{method} (no route)"] += 1
        _by_status[str(status)] += 1
        if seller_id:
            _by_seller[seller_id] += 1


def stats() -> dict[str, Any]:
    with _lock:
        return {
            "requests_total": sum(_by_status.values()),
            "by_route": dict(_by_route),
            "by_seller": dict(_by_seller),
            "by_status": dict(_by_status),
            "token_refreshes": _counters.get("token_refreshes", 0),
            "commands_run": _counters.get("commands_run", 0),
            "counters": dict(_counters),
        }


def requests_since(since: int) -> list[dict[str, Any]]:
    with _lock:
        return [dict(e) for e in _log if e["seq"] > since]


def reset_observations() -> None:
    with _lock:
        _counters.clear()
        _by_route.clear()
        _by_seller.clear()
        _by_status.clear()
        _log.clear()


# Requests in flight ----------------------------------------------------------------------------------------------
def request_started() -> None:
    global _in_flight
    with _busy:
        _in_flight += 1


def request_finished() -> None:
    global _in_flight
    with _busy:
        _in_flight -= 1
        _busy.notify_all()


def wait_idle(timeout: float) -> bool:
    """Wait until no public request is being answered; False when some still were after `timeout` seconds.

    A reset waits for this: a request delayed by a fault, whose client timed out long ago, would otherwise
    write into the fresh state and land in the next observer's window of the request log."""
    with _busy:
        return _busy.wait_for(lambda: _in_flight == 0, timeout=timeout)
