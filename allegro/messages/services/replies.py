"""Replies to buyers: checked as Allegro checks them, stored before sending, sent at most once.

Sending follows Allegro's order: each attachment is declared (file name and size), its bytes uploaded, and only
then is the message written with the attachments' ids. Allegro's message POST has no idempotency key, so a
reply could reach the buyer twice when an answer is lost (a timeout, a killed worker) and the send is retried.
That is prevented by reading back: the reply's own row (with its client-side id) is committed before anything
is sent, and ``attempted_at`` is committed before each POST of the message. A later attempt of a reply that has
an ``attempted_at`` first reads the thread's messages written since a little before that moment and looks for
ours with the same text and number of attachments that no other reply has claimed; if it is there, the reply
is marked sent with that message's id instead of being posted again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.accounts.services.accounts import account_client
from allegro.core.models import EventKind
from allegro.core.services.events import event_log
from allegro.integration.client import (
    AllegroClient,
    AllegroForbidden,
    AllegroNotFound,
    AllegroRetryLater,
    AllegroValidationError,
)
from allegro.integration.schemas.messaging import Message as ApiMessage
from allegro.messages.models import MessageReply, MessageThread, ReplyAttachment, ReplyState
from allegro.messages.services.importing import messages_store, thread_fetch_messages, thread_summarise, unread_changed
from allegro.messages.services.templates import unfilled_placeholders

log = logging.getLogger(__name__)

MAX_TEXT = 2000
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS = 10
# The file types Allegro's Message Center takes, by extension, with the first bytes each format starts with.
FILE_TYPES = {
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "bmp": ("image/bmp", (b"BM",)),
    "tif": ("image/tiff", (b"II*\x00", b"MM\x00*")),
    "tiff": ("image/tiff", (b"II*\x00", b"MM\x00*")),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "pdf": ("application/pdf", (b"%PDF-",)),
}
# Allegro's clock and ours may differ a little: the read-back looks this far before the attempt.
READ_BACK_MARGIN = timedelta(minutes=2)


@dataclass(frozen=True)
class ReplyFile:
    name: str
    content: bytes


def _normal(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def reply_file_check(*, file: ReplyFile) -> str:
    """The file's content type, or ValidationError when Allegro would refuse it (type, size, empty)."""
    extension = file.name.rsplit(".", 1)[-1].lower() if "." in file.name else ""
    if extension not in FILE_TYPES:
        raise ValidationError(
            _("“%(name)s”: Allegro accepts only PNG, GIF, BMP, TIFF, JPEG and PDF files.") % {"name": file.name}
        )
    content_type, signatures = FILE_TYPES[extension]
    if not file.content:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": file.name})
    if len(file.content) > MAX_ATTACHMENT_BYTES:
        raise ValidationError(_("“%(name)s” is larger than 5 MB.") % {"name": file.name})
    if not file.content.startswith(signatures):
        raise ValidationError(
            _("“%(name)s” is not a %(kind)s file, whatever its name says.")
            % {"name": file.name, "kind": extension.upper()}
        )
    if len(file.name) > 255:
        raise ValidationError(_("The file name “%(name)s” is too long.") % {"name": file.name[:40]})
    return content_type


def message_reply_create(
    *, thread: MessageThread, text: str, files: Sequence[ReplyFile] = (), actor=None
) -> MessageReply:
    """Check and store a reply (with its client-side id) to send; nothing goes to Allegro here."""
    errors: list[str] = []
    text = _normal(text)
    if not text:
        errors.append(_("Write the reply's text."))
    elif len(text) > MAX_TEXT:
        errors.append(
            _("A message can have at most %(n)s characters (this one has %(m)s).") % {"n": MAX_TEXT, "m": len(text)}
        )
    left = unfilled_placeholders(text)
    if left:
        errors.append(
            _("Replace the placeholders the template could not fill: %(names)s.")
            % {"names": ", ".join("{" + name + "}" for name in left)}
        )
    if len(files) > MAX_ATTACHMENTS:
        errors.append(_("At most %(n)s attachments can go with one message.") % {"n": MAX_ATTACHMENTS})
    types = []
    for file in files:
        try:
            types.append(reply_file_check(file=file))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        reply = MessageReply.objects.create(thread=thread, text=text, created_by=actor)
        ReplyAttachment.objects.bulk_create(
            ReplyAttachment(reply=reply, filename=f.name, content_type=t, size=len(f.content), content=f.content)
            for f, t in zip(files, types, strict=True)
        )
    return reply


def _matches(message: ApiMessage, reply: MessageReply, files: int, claimed: set[str]) -> bool:
    return (
        not message.author.isInterlocutor
        and message.id not in claimed
        and _normal(message.text) == _normal(reply.text)
        and len(message.attachments) == files
    )


def _find_sent(*, client: AllegroClient, reply: MessageReply, files: int) -> ApiMessage | None:
    """Our message of this reply, if an earlier attempt's POST reached Allegro after all."""
    messages = thread_fetch_messages(
        client=client,
        allegro_id=reply.thread.allegro_id,
        after=reply.attempted_at - READ_BACK_MARGIN if reply.attempted_at is not None else None,
    )
    claimed = set(
        MessageReply.objects.filter(thread=reply.thread)
        .exclude(pk=reply.pk)
        .exclude(allegro_message_id="")
        .values_list("allegro_message_id", flat=True)
    )
    # Oldest first: of two identical replies, the earlier message belongs to the earlier attempt.
    for message in sorted(messages, key=lambda m: m.createdAt):
        if _matches(message, reply, files, claimed):
            return message
    return None


def _upload(*, client: AllegroClient, attachment: ReplyAttachment) -> None:
    if not attachment.allegro_id:
        attachment.allegro_id = client.declare_message_attachment(filename=attachment.filename, size=attachment.size)
        ReplyAttachment.objects.filter(pk=attachment.pk).update(allegro_id=attachment.allegro_id)
    if not attachment.uploaded:
        try:
            client.upload_message_attachment(
                attachment.allegro_id, bytes(attachment.content), content_type=attachment.content_type
            )
        except AllegroNotFound as exc:
            # The declaration expired: declare again on the next attempt.
            ReplyAttachment.objects.filter(pk=attachment.pk).update(allegro_id="")
            raise AllegroRetryLater("the attachment declaration expired", path=exc.path) from exc
        attachment.uploaded = True
        ReplyAttachment.objects.filter(pk=attachment.pk).update(uploaded=True)


def _sent(*, reply: MessageReply, message: ApiMessage) -> MessageReply:
    with transaction.atomic():
        MessageReply.objects.filter(pk=reply.pk).update(
            state=ReplyState.SENT, allegro_message_id=message.id, sent_at=timezone.now(), error=""
        )
        messages_store(thread=reply.thread, messages=[message])
        thread_summarise(thread=reply.thread)
    reply.refresh_from_db()
    event_log(
        kind=EventKind.ORDER,
        action="message_reply_sent",
        message=_("Reply sent to %(login)s.") % {"login": reply.thread.interlocutor_login},
        account=reply.thread.account,
        order_id=reply.thread.checkout.order_id if reply.thread.checkout else None,
        actor=reply.created_by,
    )
    return reply


def message_reply_send(*, reply: MessageReply, client: AllegroClient | None = None) -> MessageReply:
    """Send a stored reply to Allegro (attachments first), at most once even when retried after a timeout.

    Returns the reply: SENT, or FAILED with Allegro's reason when it refused the content. A call whose outcome
    is unknown (timeout, 5xx, 429) raises the client's retry-later error and leaves the reply to a retry."""
    reply = MessageReply.objects.select_related("thread__account", "thread__checkout").get(pk=reply.pk)
    if reply.state in (ReplyState.SENT, ReplyState.FAILED):
        return reply
    client = client or account_client(account=reply.thread.account)
    attachments = list(reply.files.order_by("pk"))
    try:
        if reply.attempted_at is not None:
            found = _find_sent(client=client, reply=reply, files=len(attachments))
            if found is not None:
                log.info("reply %s was already on Allegro as %s", reply.client_id, found.id)
                return _sent(reply=reply, message=found)
        for attachment in attachments:
            _upload(client=client, attachment=attachment)
        # Committed before the POST: from here on, a retry reads the thread back first.
        reply.attempted_at = timezone.now()
        MessageReply.objects.filter(pk=reply.pk).update(attempted_at=reply.attempted_at, state=ReplyState.SENDING)
        message = client.post_thread_message(
            reply.thread.allegro_id, text=reply.text, attachment_ids=[a.allegro_id for a in attachments]
        )
    except (AllegroValidationError, AllegroForbidden, AllegroNotFound) as exc:
        MessageReply.objects.filter(pk=reply.pk).update(
            state=ReplyState.FAILED, error="; ".join(exc.user_messages)[:2000]
        )
        reply.refresh_from_db()
        return reply
    reply = _sent(reply=reply, message=message)
    message_thread_mark_read(thread=reply.thread, client=client)
    return reply


def message_thread_mark_read(*, thread: MessageThread, client: AllegroClient | None = None) -> MessageThread:
    """Mark the thread read on Allegro and here (a PUT: safe to repeat)."""
    client = client or account_client(account=thread.account)
    client.mark_thread_read(thread.allegro_id, read=True)
    MessageThread.objects.filter(pk=thread.pk).update(read=True)
    thread.read = True
    unread_changed()
    return thread
