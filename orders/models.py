import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.models import Customer, DeliveryMethod, Product


class OrderStatus(models.TextChoices):
    NEW = "new", _("new")
    AWAITING_PAYMENT = "awaiting_payment", _("awaiting payment")
    READY_TO_SHIP = "ready_to_ship", _("ready to ship")
    PROCESSING = "processing", _("processing")
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered")
    CANCELLED = "cancelled", _("cancelled")
    RETURNED = "returned", _("returned")


# The status pipeline: the only moves an order can make. Cancelling gives the stock back.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.NEW: frozenset(
        {OrderStatus.AWAITING_PAYMENT, OrderStatus.READY_TO_SHIP, OrderStatus.PROCESSING, OrderStatus.CANCELLED}
    ),
    OrderStatus.AWAITING_PAYMENT: frozenset({OrderStatus.READY_TO_SHIP, OrderStatus.PROCESSING, OrderStatus.CANCELLED}),
    OrderStatus.READY_TO_SHIP: frozenset({OrderStatus.PROCESSING, OrderStatus.SENT, OrderStatus.CANCELLED}),
    OrderStatus.PROCESSING: frozenset({OrderStatus.READY_TO_SHIP, OrderStatus.SENT, OrderStatus.CANCELLED}),
    OrderStatus.SENT: frozenset({OrderStatus.DELIVERED, OrderStatus.RETURNED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.RETURNED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.RETURNED: frozenset(),
}


class OrderSource(models.TextChoices):
    SHOP = "shop", _("shop")
    ALLEGRO = "allegro", _("Allegro")


class PaymentType(models.TextChoices):
    ONLINE = "online", _("online payment")
    BANK_TRANSFER = "bank_transfer", _("bank transfer")
    CASH_ON_DELIVERY = "cash_on_delivery", _("cash on delivery")
    DEFERRED = "deferred", _("deferred payment")
    OTHER = "other", _("other")


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("unpaid")
    PAID = "paid", _("paid")
    COD = "cod", _("paid on delivery")
    REFUNDED = "refunded", _("refunded")


def search_normalise(text: str) -> str:
    """The one case folding of the orders search, done in Python for the stored column and the typed term
    alike: SQLite's UPPER() leaves "ń" alone and PostgreSQL's depends on the database's locale."""
    return text.upper()


def order_search_text(*, customer: Customer | None, delivery_name: str) -> str:
    """What the orders search matches a fragment against: the customer's e-mail and surname and the
    recipient's name, one per line so that a fragment cannot run across two of them."""
    parts = [customer.email, customer.last_name] if customer is not None else []
    return search_normalise("\n".join([*parts, delivery_name]))


#: The fields `Order.search_text` is made of: a save naming one of them refreshes it.
SEARCH_TEXT_SOURCES = frozenset({"customer", "customer_id", "delivery_name"})


class Order(models.Model):
    number = models.CharField(_("number"), max_length=32, unique=True)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="orders",
        null=True,
        blank=True,
    )
    source = models.CharField(_("source"), max_length=16, choices=OrderSource.choices, default=OrderSource.SHOP)
    # The source system's own key (e.g. "<account id>:<checkout form id>"): unique per source, so an
    # import that runs twice cannot create a second order.
    external_key = models.CharField(_("external key"), max_length=128, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.NEW)
    needs_attention = models.BooleanField(
        _("needs attention"), default=False, help_text=_("Something about this order needs a person.")
    )
    attention_note = models.TextField(_("why it needs attention"), blank=True)
    payment_type = models.CharField(_("payment type"), max_length=20, choices=PaymentType.choices, blank=True)
    payment_provider = models.CharField(_("payment provider"), max_length=40, blank=True)
    payment_status = models.CharField(
        _("payment status"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    paid_amount = models.DecimalField(_("paid amount"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(_("currency"), max_length=3, default="PLN")
    delivery_method = models.ForeignKey(
        DeliveryMethod, verbose_name=_("delivery method"), on_delete=models.PROTECT, null=True, blank=True
    )
    delivery_method_name = models.CharField(_("delivery method as ordered"), max_length=200, blank=True)
    delivery_cost = models.DecimalField(_("delivery cost"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    pickup_point_id = models.CharField(_("pickup point id"), max_length=64, blank=True)
    pickup_point_name = models.CharField(_("pickup point"), max_length=200, blank=True)
    pickup_point_address = models.CharField(_("pickup point address"), max_length=300, blank=True)
    delivery_name = models.CharField(_("recipient"), max_length=200, blank=True)
    delivery_company = models.CharField(_("recipient company"), max_length=200, blank=True)
    delivery_street = models.CharField(_("delivery street"), max_length=200, blank=True)
    delivery_post_code = models.CharField(_("delivery post code"), max_length=12, blank=True)
    delivery_city = models.CharField(_("delivery city"), max_length=100, blank=True)
    delivery_country_code = models.CharField(_("delivery country"), max_length=2, default="PL")
    delivery_phone = models.CharField(_("recipient phone"), max_length=40, blank=True)
    invoice_required = models.BooleanField(_("invoice requested"), default=False)
    invoice_name = models.CharField(_("invoice: name"), max_length=200, blank=True)
    invoice_company = models.CharField(_("invoice: company"), max_length=200, blank=True)
    invoice_nip = models.CharField(_("invoice: NIP / tax id"), max_length=32, blank=True)
    invoice_street = models.CharField(_("invoice: street"), max_length=200, blank=True)
    invoice_post_code = models.CharField(_("invoice: post code"), max_length=12, blank=True)
    invoice_city = models.CharField(_("invoice: city"), max_length=100, blank=True)
    invoice_country_code = models.CharField(_("invoice: country"), max_length=2, default="PL")
    items_total = models.DecimalField(_("items total"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    total = models.DecimalField(_("total to pay"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    buyer_message = models.TextField(_("buyer's message"), blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    # Kept by save(), by the customer's own save (orders.receivers) and by the services that update the
    # recipient or the customer with a plain UPDATE; a trigram index answers the search on PostgreSQL.
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_key"],
                condition=~Q(external_key=""),
                name="order_unique_external_key",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
        ]
        indexes = [
            models.Index(fields=["status", "-placed_at"], name="order_status_placed"),
            models.Index(fields=["-placed_at", "-id"], name="order_placed_desc"),
            # The orders search matches an external key exactly; the unique constraint's index leads with
            # `source`, which the search does not know.
            models.Index(fields=["external_key"], name="order_external_key"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or SEARCH_TEXT_SOURCES & set(update_fields):
            self.search_text = order_search_text(customer=self.customer, delivery_name=self.delivery_name)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_text"}
        if self.number:
            super().save(*args, **kwargs)
            return
        # The number comes from the primary key ("2026/000123"), known only after the insert.
        self.number = f"tmp-{uuid.uuid4().hex[:24]}"
        super().save(*args, **kwargs)
        self.number = f"{self.placed_at:%Y}/{self.pk:06d}"
        type(self).objects.filter(pk=self.pk).update(number=self.number)

    def can_change_to(self, status: str) -> bool:
        return status in ALLOWED_TRANSITIONS[self.status]


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=255)
    sku = models.CharField(_("SKU"), max_length=100, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(
        _("unit price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    external_id = models.CharField(_("external line id"), max_length=64, blank=True, db_index=True)
    stock_reserved = models.BooleanField(_("stock reserved"), default=False)
    problem = models.CharField(_("problem"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class OrderStatusChange(models.Model):
    """Audit trail of the status pipeline: who moved the order, from where to where, and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=OrderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        # Shown above the row in the order page's status history: the statuses as staff read them.
        return f"{self.get_from_status_display() or '—'} → {self.get_to_status_display()}"
