"""The rate limiter with its storage injected: a burst starts at once, later calls are spaced one interval
apart, and the database storage (the fallback without Redis) keeps the same schedule across limiter objects."""

from __future__ import annotations

import pytest

from allegro.core.models import RateLimitSlot
from allegro.core.services.ratelimit_storage import DatabaseSlotStorage
from allegro.integration.ratelimit import Limit, RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class MemoryStorage:
    """The same slot rule as the real storages, in a dict (what a storage must do, nothing more)."""

    def __init__(self) -> None:
        self.next_free: dict[str, float] = {}

    def take_slot(self, key: str, now: float, limit: Limit) -> float:
        slot = max(self.next_free.get(key, 0.0), now - limit.burst * limit.interval)
        self.next_free[key] = slot + limit.interval
        return slot


LIMIT = Limit(per_minute=62, burst=2)  # interval: 60 / (62 - 2) = 1 s


def waits(limiter: RateLimiter, key: str, calls: int) -> list[float]:
    return [round(limiter.acquire(key, LIMIT), 6) for _ in range(calls)]


def test_the_limiter_uses_the_storage_it_is_given():
    clock = FakeClock()
    storage = MemoryStorage()
    limiter = RateLimiter(storage=storage, sleep=clock.sleep, clock=clock)
    # The first calls of a fresh key use the burst; then one call per interval.
    assert waits(limiter, "seller:1", 5) == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert set(storage.next_free) == {"seller:1"}
    assert waits(limiter, "seller:2", 1) == [0.0]  # keys are independent


@pytest.mark.django_db
def test_database_storage_shares_slots_between_limiters():
    clock = FakeClock()
    first = RateLimiter(storage=DatabaseSlotStorage(), sleep=clock.sleep, clock=clock)
    second = RateLimiter(storage=DatabaseSlotStorage(), sleep=clock.sleep, clock=clock)
    # A key's first row starts at its first call, one interval on (the database storage grants no burst).
    assert waits(first, "client:x", 3) == [0.0, 1.0, 1.0]
    # Another process's limiter (another object, the same rows) continues the schedule instead of a new burst.
    assert waits(second, "client:x", 2) == [1.0, 1.0]
    assert RateLimitSlot.objects.get(key="client:x").next_free == pytest.approx(clock.now + 1.0)
