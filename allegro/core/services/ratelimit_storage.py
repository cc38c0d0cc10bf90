"""The rate limiter's slots in the database, for installations without Redis (the limiter itself is in
``allegro.integration.ratelimit``, which never touches the ORM: its storage is injected)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from allegro.core.models import RateLimitSlot
from allegro.integration.ratelimit import Limit


class DatabaseSlotStorage:
    """One RateLimitSlot row per key, locked with SELECT ... FOR UPDATE while a caller takes its slot."""

    def take_slot(self, key: str, now: float, limit: Limit) -> float:
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
