"""Polling Allegro's Message Center: new threads and messages of an account, nothing imported twice.

Allegro lists threads by their last message, newest first, and has no journal of messages. The cursor is the
newest last-message time a completed poll read: a poll reads thread pages until it meets a thread last written
before the cursor, imports the messages each changed thread gained, and only then moves the cursor. Threads
last written exactly at the cursor are read again, and each thread's messages are asked for from a little before
the newest one stored; the unique keys (account + thread id, thread + message id) turn every repeat into a no-op,
so a poll that died half-way, or two that overlap, never store a message twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from allegro.accounts.models import AllegroAccount
from allegro.accounts.services.accounts import account_client
from allegro.checkouts.models import AllegroCheckout, CustomerAllegroIdentity
from allegro.core.services.leases import LeaseBusy, lease_hold
from allegro.integration.client import AllegroClient, AllegroError
from allegro.integration.schemas.messaging import Message as ApiMessage
from allegro.integration.schemas.messaging import Thread as ApiThread
from allegro.messages.models import Message, MessageCursor, MessageThread
from allegro.messages.selectors import UNREAD_CACHE_KEY

PAGE = 20  # Allegro's maximum for threads and messages
# Messages are asked for from this long before the newest one stored: two messages written in the same
# millisecond, or a clock step on Allegro's side, must not fall between two polls.
OVERLAP = timedelta(seconds=5)


@dataclass
class MessageImportResult:
    threads: int = 0
    messages: int = 0
    busy: bool = False
    thread_ids: list[int] = field(default_factory=list)


def moment(value: str) -> datetime | None:
    """An Allegro timestamp as an aware datetime (None when missing or unreadable)."""
    parsed = parse_datetime(value) if value else None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def allegro_time(value: datetime) -> str:
    """Allegro's timestamp format, UTC with milliseconds."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def message_cursor_for(*, account: AllegroAccount) -> MessageCursor:
    """The account's cursor row (created on first use)."""
    cursor = MessageCursor.objects.filter(account=account).first()
    if cursor is not None:
        return cursor
    try:
        with transaction.atomic():
            return MessageCursor.objects.create(account=account)
    except IntegrityError:
        return MessageCursor.objects.get(account=account)


def messages_import_account(*, account: AllegroAccount, client: AllegroClient | None = None) -> MessageImportResult:
    """Import the threads and messages an account gained since the last poll (the sync job calls this).

    Skips quietly (``busy``) while another poll of the account holds its lease."""
    cursor = message_cursor_for(account=account)
    try:
        with lease_hold(key=f"messages:{account.pk}") as lease:
            client = client or account_client(account=account)
            try:
                return _poll(account=account, cursor=cursor, client=client, lease=lease)
            except AllegroError as exc:
                MessageCursor.objects.filter(pk=cursor.pk).update(
                    last_error="; ".join(exc.user_messages)[:2000], last_poll_at=timezone.now()
                )
                raise
    except LeaseBusy:
        return MessageImportResult(busy=True)


def _changed_threads(*, client: AllegroClient, since: datetime | None) -> list[ApiThread]:
    """Thread pages, newest first, down to the first thread last written before ``since``."""
    if since is None:
        # A brand-new account: the last weeks' conversations, not the account's whole history.
        since = timezone.now() - timedelta(days=getattr(settings, "ALLEGRO_MESSAGES_FIRST_IMPORT_DAYS", 30))
    changed: list[ApiThread] = []
    offset = 0
    while True:
        page = client.list_message_threads(limit=PAGE, offset=offset)
        for thread in page.threads:
            at = moment(thread.lastMessageDateTime)
            if at is not None and at < since:
                return changed
            changed.append(thread)
        if len(page.threads) < PAGE:
            return changed
        offset += PAGE


def _poll(*, account, cursor: MessageCursor, client: AllegroClient, lease) -> MessageImportResult:
    result = MessageImportResult()
    threads = _changed_threads(client=client, since=cursor.last_message_at)
    newest = cursor.last_message_at
    for api_thread in threads:
        lease.check()
        thread, added = _import_thread(account=account, client=client, api_thread=api_thread)
        result.threads += 1
        result.messages += added
        result.thread_ids.append(thread.pk)
        at = moment(api_thread.lastMessageDateTime)
        if at is not None and (newest is None or at > newest):
            newest = at
    with transaction.atomic():
        lease.fence()
        MessageCursor.objects.filter(pk=cursor.pk).update(
            last_message_at=newest, last_poll_at=timezone.now(), last_error=""
        )
    if result.threads:
        unread_changed()
    return result


def unread_changed() -> None:
    """Drop the cached unread figure (the cache is shared: every process counts again)."""
    cache.delete(UNREAD_CACHE_KEY)


def thread_fetch_messages(*, client: AllegroClient, allegro_id: str, after: datetime | None) -> list[ApiMessage]:
    """Every message of a thread written after ``after`` (all of them without it), newest first."""
    messages: list[ApiMessage] = []
    offset = 0
    since = allegro_time(after) if after else None
    while True:
        page = client.list_thread_messages(allegro_id, limit=PAGE, offset=offset, after=since)
        messages.extend(page.messages)
        if len(page.messages) < PAGE or offset + PAGE > 15000:
            return messages
        offset += PAGE


def _import_thread(*, account, client: AllegroClient, api_thread: ApiThread) -> tuple[MessageThread, int]:
    thread = MessageThread.objects.filter(account=account, allegro_id=api_thread.id).first()
    known = thread.messages.aggregate(at=Max("created_at"))["at"] if thread is not None else None
    fetched = thread_fetch_messages(client=client, allegro_id=api_thread.id, after=known - OVERLAP if known else None)
    with transaction.atomic():
        if thread is None:
            thread, _ = MessageThread.objects.get_or_create(
                account=account,
                allegro_id=api_thread.id,
                defaults={"interlocutor_login": api_thread.interlocutor.login[:100]},
            )
        added = messages_store(thread=thread, messages=fetched)
        _refresh_thread(thread=thread, api_thread=api_thread)
    return thread, added


def messages_store(*, thread: MessageThread, messages: list[ApiMessage]) -> int:
    """Store Allegro's messages of a thread; ones already stored are skipped by the unique key. How many were new."""
    rows = [
        Message(
            thread=thread,
            allegro_id=m.id,
            from_buyer=m.author.isInterlocutor,
            author_login=m.author.login[:100],
            text=m.text,
            subject=m.subject[:200],
            type=m.type[:24],
            status=m.status[:24],
            checkout_form_id=(m.relatesTo.order.id if m.relatesTo.order else "")[:64],
            offer_id=(m.relatesTo.offer.id if m.relatesTo.offer else "")[:32],
            attachments=[a.model_dump() for a in m.attachments],
            created_at=moment(m.createdAt) or timezone.now(),
        )
        for m in messages
        if m.id
    ]
    if not rows:
        return 0
    before = thread.messages.count()
    Message.objects.bulk_create(rows, ignore_conflicts=True)
    return thread.messages.count() - before


def _refresh_thread(*, thread: MessageThread, api_thread: ApiThread) -> None:
    """The thread's summary from its stored messages: last message, whether the buyer waits, its links."""
    thread.read = api_thread.read
    thread.interlocutor_login = api_thread.interlocutor.login[:100] or thread.interlocutor_login
    thread_summarise(thread=thread, last_message_at=moment(api_thread.lastMessageDateTime))


def thread_summarise(*, thread: MessageThread, last_message_at: datetime | None = None) -> None:
    """Recompute the thread's last message, who waits for whom and its links to the order and customer; saved."""
    newest = thread.messages.order_by("-created_at", "-pk")
    last = newest.first()
    last_buyer = newest.filter(from_buyer=True).first()
    linked = newest.exclude(checkout_form_id="").first()
    offer = newest.exclude(offer_id="").first()
    thread.last_message_at = last_message_at or (last.created_at if last else thread.last_message_at)
    thread.last_buyer_message_at = last_buyer.created_at if last_buyer else None
    thread.awaiting_reply = bool(last and last.from_buyer)
    thread.last_text = (last.text if last else "")[:200]
    if linked is not None:
        thread.checkout_form_id = linked.checkout_form_id
    if offer is not None:
        thread.offer_id = offer.offer_id
    _link(thread)
    thread.save()


def _link(thread: MessageThread) -> None:
    """Link the thread to the imported Allegro order it is about and to the shop's customer."""
    if thread.checkout_form_id and (
        thread.checkout is None or thread.checkout.checkout_form_id != thread.checkout_form_id
    ):
        thread.checkout = (
            AllegroCheckout.objects.select_related("order")
            .filter(account_id=thread.account_id, checkout_form_id=thread.checkout_form_id)
            .first()
        )
    if thread.customer_id is None:
        order = thread.checkout.order if thread.checkout is not None else None
        if order is not None and order.customer_id:
            thread.customer_id = order.customer_id
        elif thread.interlocutor_login:
            identity = CustomerAllegroIdentity.objects.filter(
                seller_id=thread.account.seller_id, login=thread.interlocutor_login
            ).first()
            if identity is not None:
                thread.customer_id = identity.customer_id
