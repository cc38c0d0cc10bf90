"""A rate limiter shared by every process that calls Allegro: every web and worker process takes its slots from
one shared store, so together they stay under Allegro's per-minute limits.

Slot scheduling (a form of GCRA): a key keeps the time of its next free slot. A caller takes
``slot = max(next_free, now - burst * interval)``, moves ``next_free`` one interval past it and
sleeps until the slot. In any window of W seconds at most ``burst + W / interval`` calls start, so
with ``interval = 60 / (limit - burst)`` no 60-second window — sliding, as Allegro counts — ever
exceeds ``limit``.

Where the slots are kept is injected (``SlotStorage``): ``RedisSlotStorage`` here (one atomic script per
call), or the database storage of ``allegro.core.services.ratelimit_storage`` (a row locked with SELECT ...
FOR UPDATE) when Redis is not configured. Whoever builds the client chooses (the accounts room), so this room
never touches the ORM.
"""

import time
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

_LUA = """
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local slot = math.max(next_free, now - burst * interval)
redis.call('SET', KEYS[1], tostring(slot + interval), 'EX', 3600)
return tostring(slot)
"""


@dataclass(frozen=True)
class Limit:
    per_minute: int
    burst: int = 20

    @property
    def interval(self) -> float:
        return 60.0 / max(1, self.per_minute - self.burst)


def configured_limits() -> dict[str, Limit]:
    conf = getattr(settings, "ALLEGRO_RATE_LIMITS", {})
    return {
        "client": Limit(conf.get("client", 9000), burst=conf.get("client_burst", 100)),
        "offer_write": Limit(conf.get("offer_write", 2490), burst=conf.get("offer_write_burst", 30)),
        "offer_read": Limit(conf.get("offer_read", 3500), burst=conf.get("offer_read_burst", 30)),
    }


class SlotStorage(Protocol):
    """Keeps each key's next free slot for every process; ``take_slot`` is atomic across processes."""

    def take_slot(self, key: str, now: float, limit: Limit) -> float:
        """Reserve the next slot of ``key`` at or after ``now - burst * interval``; return its start time."""
        ...


class RedisSlotStorage:
    """The slots in Redis: one Lua script per call, so concurrent callers never share a slot."""

    def __init__(self, *, redis_url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(redis_url)
        self._script = self._redis.register_script(_LUA)

    def take_slot(self, key: str, now: float, limit: Limit) -> float:
        return float(self._script(keys=[f"selly:ratelimit:{key}"], args=[now, limit.interval, limit.burst]))


class RateLimiter:
    """``acquire(key, limit)`` blocks until the call may start; returns the seconds it waited."""

    def __init__(self, *, storage: SlotStorage, sleep=time.sleep, clock=time.time) -> None:
        self._storage = storage
        self._sleep = sleep
        self._clock = clock

    def acquire(self, key: str, limit: Limit) -> float:
        slot = self._storage.take_slot(key, self._clock(), limit)
        wait = slot - self._clock()
        if wait > 0:
            self._sleep(wait)
            return wait
        return 0.0
