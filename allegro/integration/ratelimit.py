"""A rate limiter shared by every process that calls Allegro.

Slot scheduling (a form of GCRA): a key keeps the time of its next free slot. A caller takes
``slot = max(next_free, now - burst * interval)``, moves ``next_free`` one interval past it and
sleeps until the slot. In any window of W seconds at most ``burst + W / interval`` calls start, so
with ``interval = 60 / (limit - burst)`` no 60-second window — sliding, as Allegro counts — ever
exceeds ``limit``. Redis holds the state when REDIS_URL is set (one atomic script per call);
otherwise a database row locked with SELECT ... FOR UPDATE.
"""

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

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


class RateLimiter:
    """``acquire(key, limit)`` blocks until the call may start; returns the seconds it waited."""

    def __init__(self, *, redis_url: str | None = None, sleep=time.sleep, clock=time.time) -> None:
        self._sleep = sleep
        self._clock = clock
        self._redis = None
        self._script = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url)
            self._script = self._redis.register_script(_LUA)

    def _take_slot(self, key: str, limit: Limit) -> float:
        now = self._clock()
        if self._redis is not None:
            return float(self._script(keys=[f"selly:ratelimit:{key}"], args=[now, limit.interval, limit.burst]))
        return _db_take_slot(key, now, limit)

    def acquire(self, key: str, limit: Limit) -> float:
        slot = self._take_slot(key, limit)
        wait = slot - self._clock()
        if wait > 0:
            self._sleep(wait)
            return wait
        return 0.0


def _db_take_slot(key: str, now: float, limit: Limit) -> float:
    from allegro.core.models import RateLimitSlot

    for _ in range(3):
        try:
            with transaction.atomic():
                row = RateLimitSlot.objects.select_for_update().filter(key=key).first()
                if row is None:
                    RateLimitSlot.objects.create(key=key, next_free=now + limit.interval)
                    return now
                slot = max(row.next_free, now - limit.burst * limit.interval)
                RateLimitSlot.objects.filter(pk=row.pk).update(next_free=slot + limit.interval)
                return slot
        except IntegrityError:
            continue  # another process created the row first
    return now


_shared: RateLimiter | None = None
_shared_lock = threading.Lock()


def shared_limiter() -> RateLimiter:
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = RateLimiter(redis_url=getattr(settings, "REDIS_URL", "") or None)
        return _shared
