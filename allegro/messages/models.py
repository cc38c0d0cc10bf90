"""Buyer messages (Allegro's Message Center): threads, their messages, our replies and reply templates.

Nothing is imported twice: a thread is unique per (account, Allegro thread id) and a message per (thread,
Allegro message id), so a poll that repeats what an earlier one stored writes nothing. A reply is stored
(with its own client-side id) before anything is sent to Allegro; its state says how far sending got.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allegro.accounts.models import AllegroAccount
from allegro.checkouts.models import AllegroCheckout
from shop.models import Customer


class MessageCursor(models.Model):
    """Where the last poll of an account's threads stopped: the newest last-message time already read."""

    account = models.OneToOneField(
        AllegroAccount, on_delete=models.CASCADE, related_name="message_cursor", verbose_name=_("account")
    )
    last_message_at = models.DateTimeField(_("newest message read"), null=True, blank=True)
    last_poll_at = models.DateTimeField(_("last check"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("message import")
        verbose_name_plural = _("message imports")

    def __str__(self) -> str:
        return str(self.account)


class MessageThread(models.Model):
    """One conversation with one buyer, as Allegro last showed it, linked to the order, offer and customer."""

    account = models.ForeignKey(
        AllegroAccount, on_delete=models.CASCADE, related_name="message_threads", verbose_name=_("account")
    )
    allegro_id = models.CharField(_("Allegro thread id"), max_length=64)
    interlocutor_login = models.CharField(_("buyer's login"), max_length=100, blank=True, db_index=True)
    read = models.BooleanField(_("read"), default=False)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    last_buyer_message_at = models.DateTimeField(_("buyer's last message"), null=True, blank=True)
    awaiting_reply = models.BooleanField(
        _("awaiting reply"), default=False, help_text=_("The buyer wrote last and nobody has answered yet.")
    )
    last_text = models.CharField(_("last message"), max_length=200, blank=True)
    checkout = models.ForeignKey(
        AllegroCheckout,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="message_threads",
        verbose_name=_("Allegro order"),
    )
    checkout_form_id = models.CharField(_("checkout form id"), max_length=64, blank=True)
    offer_id = models.CharField(_("offer"), max_length=32, blank=True)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="allegro_message_threads",
        verbose_name=_("customer"),
    )
    created_at = models.DateTimeField(_("first seen"), default=timezone.now)

    class Meta:
        verbose_name = _("message thread")
        verbose_name_plural = _("messages")
        ordering = ("-last_message_at", "-pk")
        constraints = [
            models.UniqueConstraint(fields=["account", "allegro_id"], name="allegro_message_thread_unique"),
        ]
        indexes = [models.Index(fields=["account", "read"], name="allegro_msgthread_read")]
        permissions = [("reply_messagethread", _("Can reply to buyers' messages"))]

    def __str__(self) -> str:
        return self.interlocutor_login or self.allegro_id


class Message(models.Model):
    """One message of a thread (the buyer's or ours), as Allegro delivered it."""

    thread = models.ForeignKey(MessageThread, on_delete=models.CASCADE, related_name="messages")
    allegro_id = models.CharField(_("Allegro message id"), max_length=64)
    from_buyer = models.BooleanField(_("from the buyer"))
    author_login = models.CharField(_("author"), max_length=100, blank=True)
    text = models.TextField(_("text"), blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    type = models.CharField(_("type"), max_length=24, blank=True)
    status = models.CharField(_("status"), max_length=24, blank=True)
    checkout_form_id = models.CharField(_("checkout form id"), max_length=64, blank=True)
    offer_id = models.CharField(_("offer"), max_length=32, blank=True)
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    created_at = models.DateTimeField(_("written"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ("created_at", "pk")
        constraints = [models.UniqueConstraint(fields=["thread", "allegro_id"], name="allegro_message_unique")]

    def __str__(self) -> str:
        return self.allegro_id


class ReplyState(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("refused by Allegro")


class MessageReply(models.Model):
    """A reply written in the panel. ``client_id`` is stored before the first call to Allegro and
    ``attempted_at`` before each POST of the message, so a retry can find a reply that already arrived."""

    thread = models.ForeignKey(MessageThread, on_delete=models.CASCADE, related_name="replies")
    client_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    text = models.TextField(_("text"))
    state = models.CharField(_("state"), max_length=12, choices=ReplyState.choices, default=ReplyState.PENDING)
    attempted_at = models.DateTimeField(_("last sending attempt"), null=True, blank=True)
    allegro_message_id = models.CharField(_("Allegro message id"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("written by")
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return str(self.client_id)


class ReplyAttachment(models.Model):
    """A file attached to a reply; ``allegro_id`` is the declaration's id once Allegro gave one."""

    reply = models.ForeignKey(MessageReply, on_delete=models.CASCADE, related_name="files")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("file type"), max_length=64)
    size = models.PositiveIntegerField(_("size"))
    content = models.BinaryField(_("content"))
    allegro_id = models.CharField(_("Allegro attachment id"), max_length=64, blank=True)
    uploaded = models.BooleanField(_("uploaded"), default=False)

    class Meta:
        verbose_name = _("reply attachment")
        verbose_name_plural = _("reply attachments")

    def __str__(self) -> str:
        return self.filename


class ReplyTemplate(models.Model):
    """A ready answer; placeholders are filled from the thread's order when the template is picked."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    text = models.TextField(
        _("text"),
        help_text=_(
            "Placeholders: {order_number} – the shop's order number, {tracking_number} – the tracking number, "
            "{tracking_link} – the buyer's purchase page on Allegro with the parcel's tracking, "
            "{buyer_login} – the buyer's Allegro login."
        ),
    )

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class IssueType(models.TextChoices):
    DISPUTE = "DISPUTE", _("discussion")
    CLAIM = "CLAIM", _("claim")


class IssueStatus(models.TextChoices):
    DISPUTE_ONGOING = "DISPUTE_ONGOING", _("discussion open")
    DISPUTE_UNRESOLVED = "DISPUTE_UNRESOLVED", _("discussion unresolved")
    DISPUTE_CLOSED = "DISPUTE_CLOSED", _("discussion closed")
    CLAIM_SUBMITTED = "CLAIM_SUBMITTED", _("claim submitted")
    CLAIM_ACCEPTED = "CLAIM_ACCEPTED", _("claim accepted")
    CLAIM_REJECTED = "CLAIM_REJECTED", _("claim rejected")


OPEN_ISSUE_STATUSES = (IssueStatus.DISPUTE_ONGOING, IssueStatus.DISPUTE_UNRESOLVED, IssueStatus.CLAIM_SUBMITTED)


class Issue(models.Model):
    """A discussion or claim ("dyskusja", "reklamacja") about an Allegro order, as Allegro last showed it.

    The chat is kept whole as Allegro returns it (oldest first): it is read and shown, never queried by parts."""

    account = models.ForeignKey(AllegroAccount, on_delete=models.CASCADE, related_name="issues")
    allegro_id = models.CharField(_("Allegro issue id"), max_length=64)
    type = models.CharField(_("type"), max_length=12, choices=IssueType.choices)
    status = models.CharField(_("status"), max_length=24, choices=IssueStatus.choices)
    reference_number = models.CharField(_("reference number"), max_length=40, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    buyer_login = models.CharField(_("buyer's login"), max_length=100, blank=True)
    checkout_form_id = models.CharField(_("checkout form id"), max_length=64, blank=True)
    checkout = models.ForeignKey(
        AllegroCheckout, on_delete=models.SET_NULL, null=True, blank=True, related_name="issues"
    )
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="allegro_issues",
        verbose_name=_("order"),
    )
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    decision_due_at = models.DateTimeField(_("decision due"), null=True, blank=True)
    status_due_at = models.DateTimeField(_("status due"), null=True, blank=True)
    chat_active = models.BooleanField(_("replies possible"), default=True)
    last_message_status = models.CharField(_("last message"), max_length=30, blank=True)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    messages_count = models.PositiveIntegerField(_("messages"), default=0)
    chat = models.JSONField(_("chat"), default=list, blank=True)
    updated_at = models.DateTimeField(_("last read from Allegro"), default=timezone.now)

    class Meta:
        verbose_name = _("discussion or claim")
        verbose_name_plural = _("discussions and claims")
        ordering = ("-opened_at", "-pk")
        constraints = [models.UniqueConstraint(fields=["account", "allegro_id"], name="allegro_issue_unique")]

    def __str__(self) -> str:
        return self.reference_number or self.subject or self.allegro_id

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ISSUE_STATUSES

    @property
    def awaiting_reply(self) -> bool:
        return self.is_open and self.chat_active and self.last_message_status in ("NEW", "BUYER_REPLIED")

    @property
    def deadline(self):
        return self.decision_due_at or self.status_due_at


class IssueReply(models.Model):
    """A reply in a discussion or claim, stored (with its client-side id) before it is sent; see MessageReply."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="replies")
    client_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    text = models.TextField(_("text"))
    state = models.CharField(_("state"), max_length=12, choices=ReplyState.choices, default=ReplyState.PENDING)
    attempted_at = models.DateTimeField(_("last sending attempt"), null=True, blank=True)
    allegro_message_id = models.CharField(_("Allegro message id"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("written by")
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("reply in a discussion")
        verbose_name_plural = _("replies in discussions")
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return str(self.client_id)
