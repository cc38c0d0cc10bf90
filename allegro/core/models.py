from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    CONNECTION = "connection", _("connection")
    TOKEN = "token", _("token")
    SETTINGS = "settings", _("settings")
    OFFER = "offer", _("offer")
    ORDER = "order", _("order")
    SYNC = "sync", _("synchronisation")
    ERROR = "error", _("error")


# The event log stores stable codes in ``action`` and ``rule`` (filters, links and tests rely on them) and
# shows staff these labels. A code missing here is shown as it is, so a new service's code stays visible.
EVENT_ACTIONS = {
    "authorization_started": _("Authorisation started"),
    "authorization_denied": _("Authorisation denied"),
    "authorization_failed": _("Authorisation failed"),
    "authorized": _("Account authorised"),
    "disconnected": _("Account disconnected"),
    "token_refreshed": _("Token refreshed"),
    "token_refresh_rejected": _("Token refresh rejected"),
    "account_settings_changed": _("Account settings changed"),
    "shipping_rates_saved": _("Delivery price list saved"),
    "shipping_rates_imported": _("Delivery price lists fetched"),
    "shipping_rates_default": _("Default delivery price list set"),
    "delivery_mapping_saved": _("Delivery method mapping saved"),
    "offer_published": _("Offer listed"),
    "offer_publish_failed": _("Offer listing failed"),
    "offer_publish_interrupted": _("Offer listing interrupted"),
    "offer_adopted": _("Existing offer taken over"),
    "offer_ended": _("Offer ended"),
    "offer_description_updated": _("Offer description updated"),
    "offer changed on Allegro": _("Offer changed on Allegro"),
    "offer relisted as new": _("Offer listed again as a new one"),
    "relist skipped": _("Relisting skipped"),
    "mass listing started": _("Mass listing started"),
    "mass listing finished": _("Mass listing finished"),
    "mass listing failed": _("Mass listing failed"),
    "mass listing cancelled": _("Mass listing cancelled"),
    "order_quarantined": _("Checkout form quarantined"),
    "orders_imported": _("Orders imported"),
    "orders_backfill": _("Orders backfilled"),
    "fulfillment_sent": _("Fulfilment status sent"),
    "tracking_added": _("Tracking number added"),
    # the sync commands ("sync <command kind>")
    "sync end": _("Offer ended"),
    "sync price": _("Price changed"),
    "sync quantity": _("Quantity changed"),
    "sync bulk": _("Price and quantity changed"),
    "sync activate": _("Offer activated"),
}
EVENT_RULES = {
    "sync": _("synchronisation"),
    "sync:manual": _("synchronisation started by staff"),
    "sync:schedule": _("scheduled synchronisation"),
    "sync:change": _("synchronisation after a shop change"),
    "sync:command": _("synchronisation from the command line"),
    "sync:offer-events": _("Allegro's offer events"),
    "backfill": _("order backfill"),
    "order import": _("order import"),
}


def event_action_label(action: str) -> str:
    """What staff read for a stored action code: its label, "Synchronizacja: <step>" for a sync step's
    summary (whose step label is a translatable English text), the code itself otherwise (HTTP calls)."""
    if action in EVENT_ACTIONS:
        return str(EVENT_ACTIONS[action])
    if action.startswith("sync "):
        return gettext("Synchronisation: %(step)s") % {"step": gettext(action.removeprefix("sync "))}
    return action


def event_rule_label(rule: str) -> str:
    return str(EVENT_RULES.get(rule, rule))


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
        return f"{self.created_at:%Y-%m-%d %H:%M} {event_action_label(self.action)}"


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
