"""Discussions and claims ("dyskusje", "reklamacje"): polled from Allegro, listed with their order, answered.

Allegro lists issues by opening date and says nothing about which changed, so each poll reads the open ones
(every page) and, once more, each issue stored as open that the list no longer shows (it was closed or decided
meanwhile). An issue's chat is read again only when its last message or message count changed. An issue is
unique per (account, Allegro id), so repeated polls update rows and never add them.

Replies follow the rule of buyer messages: stored before they are sent; before a second POST (Allegro's issue
messages have no idempotency key either) the chat is read back for our message with the same text that no other
reply has claimed.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.accounts.models import AllegroAccount
from allegro.accounts.services.accounts import account_client
from allegro.checkouts.models import AllegroCheckout
from allegro.core.models import EventKind
from allegro.core.services.events import event_log
from allegro.core.services.leases import LeaseBusy, lease_hold
from allegro.integration.client import (
    AllegroClient,
    AllegroConflict,
    AllegroForbidden,
    AllegroNotFound,
    AllegroValidationError,
)
from allegro.integration.schemas.messaging import Issue as ApiIssue
from allegro.integration.schemas.messaging import IssueMessage
from allegro.messages.models import OPEN_ISSUE_STATUSES, Issue, IssueReply, ReplyState
from allegro.messages.services.importing import moment

ISSUE_PAGE = 100
MAX_ISSUE_TEXT = 20000
READ_BACK_MARGIN = timedelta(minutes=2)


def issues_import_account(*, account: AllegroAccount, client: AllegroClient | None = None) -> int | None:
    """Read the account's open discussions and claims (and the ones that closed since); how many were read.
    None while another poll of the account's issues holds the lease."""
    try:
        with lease_hold(key=f"issues:{account.pk}") as lease:
            client = client or account_client(account=account)
            seen: set[str] = set()
            offset = 0
            while True:
                page = client.list_issues(statuses=list(OPEN_ISSUE_STATUSES), limit=ISSUE_PAGE, offset=offset)
                for doc in page:
                    lease.check()
                    issue_store(account=account, doc=doc, client=client)
                    seen.add(doc.id)
                if len(page) < ISSUE_PAGE:
                    break
                offset += ISSUE_PAGE
            gone = Issue.objects.filter(account=account, status__in=OPEN_ISSUE_STATUSES).exclude(allegro_id__in=seen)
            for allegro_id in list(gone.values_list("allegro_id", flat=True)):
                lease.check()
                try:
                    issue_store(account=account, doc=client.get_issue(allegro_id), client=client)
                except AllegroNotFound:
                    continue
                seen.add(allegro_id)
            return len(seen)
    except LeaseBusy:
        return None


def _chat(client: AllegroClient, issue_id: str) -> list[dict]:
    messages: list[IssueMessage] = []
    offset = 0
    while True:
        page = client.get_issue_chat(issue_id, limit=ISSUE_PAGE, offset=offset)
        messages.extend(page)
        if len(page) < ISSUE_PAGE:
            break
        offset += ISSUE_PAGE
    rows = [m.model_dump() for m in messages]
    return sorted(rows, key=lambda m: m["createdAt"])


def issue_store(*, account: AllegroAccount, doc: ApiIssue, client: AllegroClient) -> Issue:
    """Create or update the issue from Allegro's document (reading its chat when it changed)."""
    existing = Issue.objects.filter(account=account, allegro_id=doc.id).first()
    last_at = moment(doc.chat.lastMessage.createdAt)
    changed = (
        existing is None
        or existing.last_message_at != last_at
        or existing.messages_count != doc.chat.messagesCount
        or not existing.chat
    )
    chat = _chat(client, doc.id) if changed or existing is None else existing.chat
    checkout = (
        AllegroCheckout.objects.filter(account=account, checkout_form_id=doc.checkoutForm.id).first()
        if doc.checkoutForm.id
        else None
    )
    values = {
        "type": doc.type[:12],
        "status": doc.currentState.status[:24],
        "reference_number": doc.referenceNumber[:40],
        "subject": doc.subject[:300],
        "buyer_login": doc.buyer.login[:100],
        "checkout_form_id": doc.checkoutForm.id[:64],
        "checkout": checkout,
        "order_id": checkout.order_id if checkout is not None else None,
        "opened_at": moment(doc.openedDate),
        "decision_due_at": moment(doc.decisionDueDate),
        "status_due_at": moment(doc.currentState.statusDueDate),
        "chat_active": doc.currentState.chatActive,
        "last_message_status": doc.chat.lastMessage.status[:30],
        "last_message_at": last_at,
        "messages_count": doc.chat.messagesCount,
        "chat": chat,
        "updated_at": timezone.now(),
    }
    with transaction.atomic():
        issue, _created = Issue.objects.update_or_create(account=account, allegro_id=doc.id, defaults=values)
    return issue


def issue_reply_create(*, issue: Issue, text: str, actor=None) -> IssueReply:
    """Check and store a reply in a discussion or claim; nothing goes to Allegro here."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError(_("Write the reply's text."))
    if len(text) > MAX_ISSUE_TEXT:
        raise ValidationError(
            _("A message can have at most %(n)s characters (this one has %(m)s).")
            % {"n": MAX_ISSUE_TEXT, "m": len(text)}
        )
    if not (issue.is_open and issue.chat_active):
        raise ValidationError(_("This discussion is closed: Allegro takes no more messages in it."))
    return IssueReply.objects.create(issue=issue, text=text, created_by=actor)


def _find_sent(client: AllegroClient, reply: IssueReply) -> dict | None:
    since = reply.attempted_at - READ_BACK_MARGIN if reply.attempted_at is not None else None
    claimed = set(
        IssueReply.objects.filter(issue=reply.issue)
        .exclude(pk=reply.pk)
        .exclude(allegro_message_id="")
        .values_list("allegro_message_id", flat=True)
    )
    for message in _chat(client, reply.issue.allegro_id):
        at = moment(message["createdAt"])
        if (
            message["author"]["role"] == "SELLER"
            and message["id"] not in claimed
            and message["text"].strip() == reply.text.strip()
            and (at is None or since is None or at >= since)
        ):
            return message
    return None


def issue_reply_send(*, reply: IssueReply, client: AllegroClient | None = None) -> IssueReply:
    """Send a stored reply to Allegro at most once (reads the chat back before a second POST)."""
    reply = IssueReply.objects.select_related("issue__account").get(pk=reply.pk)
    if reply.state in (ReplyState.SENT, ReplyState.FAILED):
        return reply
    client = client or account_client(account=reply.issue.account)
    try:
        found = _find_sent(client, reply) if reply.attempted_at is not None else None
        if found is None:
            reply.attempted_at = timezone.now()
            IssueReply.objects.filter(pk=reply.pk).update(attempted_at=reply.attempted_at, state=ReplyState.SENDING)
            found = client.post_issue_message(reply.issue.allegro_id, text=reply.text).model_dump()
    except (AllegroValidationError, AllegroForbidden, AllegroNotFound, AllegroConflict) as exc:
        IssueReply.objects.filter(pk=reply.pk).update(
            state=ReplyState.FAILED, error="; ".join(exc.user_messages)[:2000]
        )
        reply.refresh_from_db()
        return reply
    IssueReply.objects.filter(pk=reply.pk).update(
        state=ReplyState.SENT, allegro_message_id=found["id"], sent_at=timezone.now(), error=""
    )
    issue_store(account=reply.issue.account, doc=client.get_issue(reply.issue.allegro_id), client=client)
    event_log(
        kind=EventKind.ORDER,
        action="issue_reply_sent",
        message=_("Reply sent in the discussion with %(login)s.") % {"login": reply.issue.buyer_login},
        account=reply.issue.account,
        order_id=reply.issue.order_id,
        actor=reply.created_by,
    )
    reply.refresh_from_db()
    return reply
