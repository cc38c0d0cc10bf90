from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    CONNECTION = "connection", _("connection")
    TOKEN = "token", _("token")
    SETTINGS = "settings", _("settings")
    OFFER = "offer", _("offer")
    ORDER = "order", _("order")
    SYNC = "sync", _("synchronisation")
    ERROR = "error", _("error")


class EventLogEntry(models.Model):
    """The event log ("dziennik zdarzeń"): what happened, to what, why, and what Allegro answered.

    Never holds a secret: tokens appear only as fingerprints; request/response summaries are
    built by the client from safe fields.
    """

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    account = models.ForeignKey(
        "allegro.AllegroAccount",
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    action = models.CharField(_("action"), max_length=60)
    message = models.TextField(_("message"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rule = models.CharField(_("rule"), max_length=120, blank=True, help_text=_("The automatic rule that caused it."))
    offer_id = models.CharField(_("Allegro offer id"), max_length=32, blank=True, db_index=True)
    product_id = models.BigIntegerField(_("product id"), null=True, blank=True, db_index=True)
    order_id = models.BigIntegerField(_("order id"), null=True, blank=True, db_index=True)
    success = models.BooleanField(_("success"), default=True)
    request_summary = models.JSONField(_("request"), default=dict, blank=True)
    response_summary = models.JSONField(_("response"), default=dict, blank=True)
    trace_id = models.CharField(_("trace-id"), max_length=100, blank=True, db_index=True)

    class Meta:
        verbose_name = _("event log entry")
        verbose_name_plural = _("event log")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="eventlog_account_time"),
            models.Index(fields=["kind", "-created_at"], name="eventlog_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class WorkerHeartbeat(models.Model):
    """Written by a task that beat schedules every minute: proves both beat and a worker are alive."""

    name = models.CharField(max_length=40, unique=True)
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.name


class RateLimitSlot(models.Model):
    """The next free call slot per rate-limit key (database fallback when Redis is not configured)."""

    key = models.CharField(max_length=200, unique=True)
    next_free = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("rate limit slot")
        verbose_name_plural = _("rate limit slots")

    def __str__(self) -> str:
        return self.key


class Lease(models.Model):
    """A short lease on one piece of work (an account's sync or order import, a mass listing run).

    Taken by a conditional UPDATE, so two workers can never both hold it; its holder renews it from a
    heartbeat thread while it works, so a holder killed with SIGKILL blocks the others for one lease at most.
    """

    key = models.CharField(_("work"), max_length=100, unique=True)
    owner = models.CharField(_("holder"), max_length=64, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    acquired_at = models.DateTimeField(_("taken"), null=True, blank=True)
    taken_over = models.BooleanField(
        _("taken over"), default=False, help_text=_("Taken from a holder that stopped renewing it (a dead worker).")
    )

    class Meta:
        verbose_name = _("lease")
        verbose_name_plural = _("leases")

    def __str__(self) -> str:
        return f"{self.key}: {self.owner or '-'}"
