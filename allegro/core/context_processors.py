from django.core.cache import cache
from django.utils import timezone

from allegro.core.selectors import HEARTBEAT_STALE_AFTER, worker_heartbeat_last_seen

CACHE_KEY = "allegro:worker-heartbeat-seen"
#: One query every few seconds (the cache is shared by the processes), not one per page; a recovery shows
#: within this much longer.
CACHE_SECONDS = 10
_NEVER = "never"


def background_work(request):
    """The red banner of the admin when the worker or beat is not running (no recent heartbeat)."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.is_staff and request.path.startswith("/admin/")):
        return {}
    seen = cache.get(CACHE_KEY)
    if seen is None:
        seen = worker_heartbeat_last_seen() or _NEVER
        cache.set(CACHE_KEY, seen, CACHE_SECONDS)
    if seen == _NEVER:
        return {"background_work_down": True, "background_work_seen_at": None}
    if timezone.now() - seen > HEARTBEAT_STALE_AFTER:
        return {"background_work_down": True, "background_work_seen_at": seen}
    return {}
