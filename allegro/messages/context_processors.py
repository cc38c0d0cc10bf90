from django.core.cache import cache

from allegro.messages.selectors import UNREAD_CACHE_KEY, UNREAD_CACHE_SECONDS, messages_unread_count


def unread_messages(request):
    """The unread threads beside the header's links (of every account: a buyer of any of them may be waiting).

    Counted once every few seconds (the cache is shared by the processes), not on every page; the import and
    the panel's own changes drop the cached figure, so a staff member sees their own change at once."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.is_staff and request.path.startswith("/admin/")):
        return {}
    if not user.has_perm("allegro.view_messagethread"):
        return {}
    count = cache.get(UNREAD_CACHE_KEY)
    if count is None:
        count = messages_unread_count()
        cache.set(UNREAD_CACHE_KEY, count, UNREAD_CACHE_SECONDS)
    return {"allegro_unread_messages": count}
