"""Importing Allegro orders: the journal cursor per account, every checkout form seen, the
quarantine of payloads that could not be imported, and shipments sent back to Allegro.

Each side effect has a database uniqueness key: one ``AllegroCheckout`` per
(account, checkout form id), one shop ``Order`` per ``external_key`` "<account id>:<form id>", one
stock movement per (account, checkout form, line item), one open quarantine row per form.
"""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allegro.accounts.models import AllegroAccount
from shop.models import Customer


class CreateOrdersAt(models.TextChoices):
    BOUGHT = "bought", _("at purchase (BOUGHT): awaiting payment, stock reserved")
    READY = "ready", _("when paid (READY_FOR_PROCESSING)")


class OrderEventCursor(models.Model):
    """Where the import of one account stands in Allegro's order journal.

    ``last_event_id`` is the last event actually processed (never event-stats' head) and
    moves in the same transaction as the orders it covers. One import per account at a time: a lease
    (``import:<account id>``, see ``allegro.core.services.leases``) renewed inside every batch's transaction.
    """

    account = models.OneToOneField(
        AllegroAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="order_cursor"
    )
    last_event_id = models.CharField(_("last processed event"), max_length=32, blank=True)
    last_event_at = models.DateTimeField(_("time of the last processed event"), null=True, blank=True)
    start_from = models.DateTimeField(
        _("import orders from"),
        null=True,
        blank=True,
        help_text=_("For a new account: import orders placed since this moment. Empty: only new orders."),
    )
    create_orders_at = models.CharField(
        _("create shop orders"), max_length=8, choices=CreateOrdersAt.choices, default=CreateOrdersAt.BOUGHT
    )
    last_import_at = models.DateTimeField(_("last import"), null=True, blank=True)
    caught_up_at = models.DateTimeField(_("journal read to the end"), null=True, blank=True)
    last_sweep_at = models.DateTimeField(_("last check of the order list"), null=True, blank=True)
    last_error = models.TextField(_("last import error"), blank=True)
    taken_over_at = models.DateTimeField(
        _("last taken over"),
        null=True,
        blank=True,
        help_text=_(
            "When an import last took over from one that stopped without finishing (its worker died); it went on "
            "from the last saved position of the journal."
        ),
    )

    class Meta:
        verbose_name = _("order import")
        verbose_name_plural = _("order imports")

    def __str__(self) -> str:
        return str(self.account)

    @property
    def lag_seconds(self) -> int | None:
        """How long ago the import last reached the end of the journal."""
        if self.caught_up_at is None:
            return None
        return max(0, int((timezone.now() - self.caught_up_at).total_seconds()))


class AllegroCheckout(models.Model):
    """One Allegro checkout form ("formularz zamówienia") as last seen, linked to its shop order."""

    account = models.ForeignKey(
        AllegroAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="checkouts"
    )
    checkout_form_id = models.CharField(_("checkout form id"), max_length=64)
    revision = models.CharField(_("revision"), max_length=64, blank=True)
    status = models.CharField(_("Allegro status"), max_length=24)
    fulfillment_status = models.CharField(_("fulfilment status"), max_length=24, blank=True)
    buyer_id = models.CharField(_("Allegro buyer id"), max_length=64, blank=True)
    buyer_login = models.CharField(_("Allegro login"), max_length=100, blank=True, db_index=True)
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="allegro_checkouts",
    )
    payload = models.JSONField(_("checkout form (as received)"), default=dict, blank=True)
    last_event_id = models.CharField(_("last event"), max_length=32, blank=True)
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("Allegro checkout form")
        verbose_name_plural = _("Allegro checkout forms")
        ordering = ["-first_seen_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "checkout_form_id"], name="allegro_checkout_unique"),
        ]

    def __str__(self) -> str:
        return self.checkout_form_id

    @property
    def web_url(self) -> str:
        """The form in the seller's Allegro ("Moje Allegro → Sprzedaż → Zamówienia")."""
        app = self.account.app
        if app.environment == "custom":
            return f"{app.url('api')}/order/checkout-forms/{self.checkout_form_id}"
        return f"{app.url('web')}/moje-allegro/sprzedaz/zamowienia/{self.checkout_form_id}"


class CheckoutQuarantine(models.Model):
    """A checkout form that could not be imported, kept with the reason until someone retries it."""

    account = models.ForeignKey(
        AllegroAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="checkout_quarantine"
    )
    checkout_form_id = models.CharField(_("checkout form id"), max_length=100)
    reason = models.TextField(_("reason"))
    payload = models.JSONField(_("checkout form (as received)"), null=True, blank=True)
    event_id = models.CharField(_("event"), max_length=32, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    created_at = models.DateTimeField(_("quarantined"), default=timezone.now)
    updated_at = models.DateTimeField(_("last attempt"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("quarantined checkout form")
        verbose_name_plural = _("quarantined checkout forms")
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "checkout_form_id"],
                condition=Q(resolved_at__isnull=True),
                name="allegro_quarantine_open_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.checkout_form_id


class AllegroShipment(models.Model):
    """A tracking number sent to Allegro for a checkout form (stored before the call, so a retry
    recognises its own waybill instead of adding it twice)."""

    checkout = models.ForeignKey(AllegroCheckout, on_delete=models.CASCADE, related_name="shipments")
    carrier_id = models.CharField(_("carrier"), max_length=64)
    carrier_name = models.CharField(_("carrier name"), max_length=30, blank=True)
    waybill = models.CharField(_("tracking number"), max_length=64)
    allegro_id = models.CharField(_("Allegro shipment id"), max_length=64, blank=True)
    sent_at = models.DateTimeField(_("sent to Allegro"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("shipment sent to Allegro")
        verbose_name_plural = _("shipments sent to Allegro")
        constraints = [
            models.UniqueConstraint(fields=["checkout", "waybill"], name="allegro_shipment_unique"),
        ]

    def __str__(self) -> str:
        return self.waybill


class CustomerAllegroIdentity(models.Model):
    """A shop customer's buyer identity on one Allegro seller account (the same person can buy from several).

    It lives here, not in ``shop``, because the catalogue knows nothing of Allegro; the customer page shows it
    through extend_admin. The table was ``shop_customerallegroidentity`` (migration 0009 moved it)."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="allegro_identities", verbose_name=_("customer")
    )
    seller_id = models.CharField(_("Allegro seller id"), max_length=64)
    buyer_id = models.CharField(_("Allegro buyer id"), max_length=64)
    login = models.CharField(_("Allegro login"), max_length=100, db_index=True)

    class Meta:
        verbose_name = _("Allegro login")
        verbose_name_plural = _("Allegro logins")
        constraints = [
            models.UniqueConstraint(fields=["seller_id", "buyer_id"], name="customer_allegro_identity_unique"),
        ]
        indexes = [
            # Customer search by Allegro login ignores case.
            models.Index(Upper("login"), name="customer_allegro_login_ci"),
        ]

    def __str__(self) -> str:
        return self.login
