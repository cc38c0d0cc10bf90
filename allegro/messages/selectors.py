"""Reads of the inbox: the thread list, one thread's conversation, unread counts for the menu and dashboard."""

from __future__ import annotations

from django.db.models import Count, Min, Q, QuerySet

from allegro.messages.models import Message, MessageReply, MessageThread, ReplyState

# The header's unread figure, cached per process (the context processor reads it, the services drop it).
UNREAD_CACHE_KEY = "allegro:messages-unread"
UNREAD_CACHE_SECONDS = 10


def thread_list(*, account_id: int | None = None) -> QuerySet[MessageThread]:
    """The inbox, newest conversation first, with what each row shows in one query."""
    threads = MessageThread.objects.select_related("account", "checkout__order", "customer")
    if account_id is not None:
        threads = threads.filter(account_id=account_id)
    return threads.order_by("-last_message_at", "-pk")


def thread_conversation(*, thread: MessageThread) -> list[Message]:
    """The thread's messages, oldest first (as a chat reads)."""
    return list(thread.messages.order_by("created_at", "pk"))


def thread_replies_open(*, thread: MessageThread) -> list[MessageReply]:
    """Replies not (yet) on Allegro: being sent, waiting for a retry, or refused."""
    return list(thread.replies.exclude(state=ReplyState.SENT).order_by("created_at", "pk"))


def messages_unread_count(*, account_id: int | None = None) -> int:
    """Unread threads, of one account or of all."""
    threads = MessageThread.objects.filter(read=False)
    if account_id is not None:
        threads = threads.filter(account_id=account_id)
    return threads.count()


def messages_unread_by_account() -> dict[int, dict]:
    """Per account: unread threads and the oldest buyer's message still waiting for a reply (one query)."""
    rows = (
        MessageThread.objects.order_by()
        .values("account_id")
        .annotate(
            unread=Count("pk", filter=Q(read=False)),
            waiting=Count("pk", filter=Q(awaiting_reply=True)),
            oldest_waiting=Min("last_buyer_message_at", filter=Q(awaiting_reply=True)),
        )
    )
    return {row["account_id"]: row for row in rows}
