"""Customer returns, payment refunds and commission refund claims of Allegro purchases.

Each side effect has a database key: one ``CustomerReturn`` per (account, Allegro return id), so an import
that runs twice stores one return; the stock given back for a returned item is a shop stock movement whose
unique reference names the return and the item, so "przyjęto na magazyn" clicked twice moves stock once;
a refund's ``command_id`` is Allegro's idempotency key, stored (and committed) before the call, so a retry
after a timeout re-sends the same id and Allegro answers the refund it already made; a commission claim's
``intent_id`` is ours (Allegro takes none) and one claim per (account, line item) is allowed.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from allegro.accounts.models import AllegroAccount


class ReturnStatus(models.TextChoices):
    """Allegro's return timeline (``status`` of a customer return)."""

    CREATED = "CREATED", _("declared by the buyer")
    DISPATCHED = "DISPATCHED", _("sent by the buyer")
    IN_TRANSIT = "IN_TRANSIT", _("on its way")
    DELIVERED = "DELIVERED", _("delivered to you")
    FINISHED = "FINISHED", _("refunded, finished")
    FINISHED_APT = "FINISHED_APT", _("refunded by Allegro Protect")
    REJECTED = "REJECTED", _("rejected")
    COMMISSION_REFUND_CLAIMED = "COMMISSION_REFUND_CLAIMED", _("commission refund claimed")
    COMMISSION_REFUNDED = "COMMISSION_REFUNDED", _("commission refunded")
    WAREHOUSE_DELIVERED = "WAREHOUSE_DELIVERED", _("delivered to Allegro's warehouse")
    WAREHOUSE_VERIFICATION = "WAREHOUSE_VERIFICATION", _("being checked at the warehouse")


# Statuses after which nobody has to decide anything any more.
CLOSED_RETURN_STATUSES = frozenset(
    {
        ReturnStatus.FINISHED,
        ReturnStatus.FINISHED_APT,
        ReturnStatus.REJECTED,
        ReturnStatus.COMMISSION_REFUND_CLAIMED,
        ReturnStatus.COMMISSION_REFUNDED,
    }
)


class ReturnReason(models.TextChoices):
    """Why the buyer returns an item (Allegro's ``reason.type``)."""

    NONE = "NONE", _("no reason given")
    MISTAKE = "MISTAKE", _("bought by mistake")
    TRANSPORT = "TRANSPORT", _("damaged in transport")
    DAMAGED = "DAMAGED", _("damaged")
    NOT_AS_DESCRIBED = "NOT_AS_DESCRIBED", _("not as described")
    DONT_LIKE_IT = "DONT_LIKE_IT", _("does not like it")
    OVERDUE_DELIVERY = "OVERDUE_DELIVERY", _("delivered too late")
    INCOMPLETE = "INCOMPLETE", _("incomplete")
    HIDDEN_FLAW = "HIDDEN_FLAW", _("hidden flaw")
    OTHER_FLAW = "OTHER_FLAW", _("other flaw")
    DIFFERENT = "DIFFERENT", _("a different product")
    COUNTERFEIT = "COUNTERFEIT", _("counterfeit")
    NOT_NEW = "NOT_NEW", _("not new")
    TOO_LARGE = "TOO_LARGE", _("too large")
    TOO_SMALL = "TOO_SMALL", _("too small")
    NOT_AS_EXPECTED = "NOT_AS_EXPECTED", _("not as expected")
    ORDERED_FOR_COMPARISON = "ORDERED_FOR_COMPARISON", _("ordered to compare")


class RefundStatus(models.TextChoices):
    """Allegro's state of a payment refund."""

    NEW = "NEW", _("new")
    WAITING = "WAITING", _("waiting")
    VALIDATED = "VALIDATED", _("validated")
    VALIDATE_FAILED = "VALIDATE_FAILED", _("validation failed")
    IN_PROGRESS = "IN_PROGRESS", _("in progress")
    PARTIAL = "PARTIAL", _("partly refunded")
    SUCCESS = "SUCCESS", _("refunded")
    CANCELED = "CANCELED", _("cancelled")


class ClaimStatus(models.TextChoices):
    """Allegro's state of a commission refund claim."""

    IN_PROGRESS = "IN_PROGRESS", _("being processed")
    WAITING_FOR_PAYMENT_REFUND = "WAITING_FOR_PAYMENT_REFUND", _("waiting for the buyer's refund")
    GRANTED = "GRANTED", _("granted")
    REJECTED = "REJECTED", _("rejected")
    REJECTED_AFTER_APPEAL = "REJECTED_AFTER_APPEAL", _("rejected after the appeal")
    CANCELLED = "CANCELLED", _("cancelled")
    APPEALED = "APPEALED", _("appealed")


class ReturnDecision(models.TextChoices):
    WAITING = "waiting", _("waiting for a decision")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")


class RejectionCode(models.TextChoices):
    REFUND_REJECTED = "REFUND_REJECTED", _("refund refused (give the reason)")
    NEW_ITEM_SENT = "NEW_ITEM_SENT", _("a new item was sent")
    ITEM_FIXED = "ITEM_FIXED", _("the item was repaired")
    MISSING_PART_SENT = "MISSING_PART_SENT", _("the missing part was sent")
    ITEM_MISMATCH = "ITEM_MISMATCH", _("a different item came back")
    BUSINESS_PURCHASE = "BUSINESS_PURCHASE", _("a business purchase (no right of withdrawal)")
    NO_RETURN_RIGHT = "NO_RETURN_RIGHT", _("no right to return")


class ReturnsCursor(models.Model):
    """Where the return import of one account stands, and the account's automatic claim rule (one import per
    account at a time: the import holds the lease "returns:<account id>")."""

    account = models.OneToOneField(
        AllegroAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="returns_cursor"
    )
    last_import_at = models.DateTimeField(_("last import"), null=True, blank=True)
    last_error = models.TextField(_("last import error"), blank=True)
    auto_claims = models.BooleanField(
        _("claim commission refunds automatically"),
        default=False,
        help_text=_("“After 7 days without payment”: a claim for every unpaid or cancelled purchase."),
    )
    claim_after_days = models.PositiveSmallIntegerField(_("claim after (days without payment)"), default=7)
    last_claims_run_at = models.DateTimeField(_("last automatic claims"), null=True, blank=True)

    class Meta:
        verbose_name = _("return import")
        verbose_name_plural = _("return imports")

    def __str__(self) -> str:
        return str(self.account)


class CustomerReturn(models.Model):
    """A buyer's return of items of one Allegro purchase, as last read from Allegro, and what we did with it."""

    account = models.ForeignKey(
        AllegroAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="customer_returns"
    )
    return_id = models.CharField(_("Allegro return id"), max_length=64)
    reference_number = models.CharField(_("return number"), max_length=64, blank=True)
    checkout_form_id = models.CharField(_("checkout form id"), max_length=64, db_index=True)
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="allegro_returns",
    )
    status = models.CharField(_("Allegro status"), max_length=32, choices=ReturnStatus.choices)
    buyer_login = models.CharField(_("Allegro login"), max_length=100, blank=True)
    buyer_email = models.CharField(_("buyer's e-mail"), max_length=254, blank=True)
    parcels = models.JSONField(_("parcels"), default=list, blank=True)
    payload = models.JSONField(_("return (as received)"), default=dict, blank=True)
    decision = models.CharField(
        _("decision"), max_length=12, choices=ReturnDecision.choices, default=ReturnDecision.WAITING
    )
    rejection_code = models.CharField(_("rejection"), max_length=32, choices=RejectionCode.choices, blank=True)
    rejection_reason = models.CharField(_("reason of the rejection"), max_length=250, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    restocked_at = models.DateTimeField(_("received into stock"), null=True, blank=True)
    created_at = models.DateTimeField(_("returned"), null=True, blank=True)
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("customer return")
        verbose_name_plural = _("customer returns")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "return_id"], name="allegro_customer_return_unique"),
        ]
        indexes = [models.Index(fields=["decision", "status"], name="allegro_return_waiting")]

    def __str__(self) -> str:
        return self.reference_number or self.return_id

    @property
    def waiting_for_decision(self) -> bool:
        return self.decision == ReturnDecision.WAITING and self.status not in CLOSED_RETURN_STATUSES

    @property
    def tracking(self) -> list[str]:
        """The parcels' tracking numbers with their carriers ("AD00R28X72 (ALLEGRO)")."""
        out = []
        for parcel in self.parcels or []:
            waybill = parcel.get("waybill") or parcel.get("transportingWaybill")
            if waybill:
                carrier = parcel.get("transportingCarrierId") or parcel.get("carrierId") or ""
                out.append(f"{waybill} ({carrier})" if carrier else waybill)
        return out


class CustomerReturnItem(models.Model):
    customer_return = models.ForeignKey(CustomerReturn, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"))
    offer_id = models.CharField(_("offer"), max_length=32)
    name = models.CharField(_("name"), max_length=255, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(_("currency"), max_length=3, default="PLN")
    reason = models.CharField(_("reason"), max_length=32, choices=ReturnReason.choices, blank=True)
    buyer_comment = models.TextField(_("buyer's message"), blank=True)
    order_line = models.ForeignKey(
        "orders.OrderLine", verbose_name=_("order line"), on_delete=models.SET_NULL, null=True, blank=True
    )
    restocked = models.BooleanField(_("received into stock"), default=False)

    class Meta:
        verbose_name = _("returned item")
        verbose_name_plural = _("returned items")
        ordering = ["customer_return", "position"]
        constraints = [
            models.UniqueConstraint(fields=["customer_return", "position"], name="allegro_return_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class RefundState(models.TextChoices):
    PENDING = "pending", _("being sent to Allegro")
    SENT = "sent", _("accepted by Allegro")
    FAILED = "failed", pgettext_lazy("refund or claim", "refused by Allegro")


class RefundReason(models.TextChoices):
    REFUND = "REFUND", _("return of goods")
    COMPLAINT = "COMPLAINT", _("complaint")
    PRODUCT_NOT_AVAILABLE = "PRODUCT_NOT_AVAILABLE", _("product not available")
    PAID_VALUE_TOO_LOW = "PAID_VALUE_TOO_LOW", _("paid too little")
    OVERPAID = "OVERPAID", _("overpaid")
    CANCELLED_BY_BUYER = "CANCELLED_BY_BUYER", _("cancelled by the buyer")
    NOT_COLLECTED = "NOT_COLLECTED", _("parcel not collected")


class Refund(models.Model):
    """A payment refund of an Allegro purchase: chosen lines and quantities, and the delivery cost.

    ``command_id`` is created with the row and committed before Allegro is called; every attempt sends it,
    so Allegro makes at most one refund per row. ``lines`` keep what was refunded:
    ``[{"line_item_id", "order_line_id", "name", "quantity", "unit_price", "amount"}]``."""

    account = models.ForeignKey(AllegroAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="allegro_refunds"
    )
    customer_return = models.ForeignKey(
        CustomerReturn,
        verbose_name=_("customer return"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="refunds",
    )
    command_id = models.UUIDField(_("command id"), unique=True, default=uuid.uuid4, editable=False)
    checkout_form_id = models.CharField(_("checkout form id"), max_length=64)
    payment_id = models.CharField(_("payment id"), max_length=64)
    reason = models.CharField(_("reason"), max_length=32, choices=RefundReason.choices, default=RefundReason.REFUND)
    lines = models.JSONField(_("refunded lines"), default=list, blank=True)
    delivery_amount = models.DecimalField(
        _("delivery refund"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    total = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="PLN")
    seller_comment = models.CharField(_("comment for the buyer"), max_length=250, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=RefundState.choices, default=RefundState.PENDING)
    allegro_id = models.CharField(_("Allegro refund id"), max_length=64, blank=True)
    allegro_status = models.CharField(_("Allegro status"), max_length=20, choices=RefundStatus.choices, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("accepted by Allegro"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment refund")
        verbose_name_plural = _("payment refunds")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(total__gt=0), name="allegro_refund_total_positive")]

    def __str__(self) -> str:
        return f"{self.total} {self.currency}"


class ClaimState(models.TextChoices):
    PENDING = "pending", _("being sent to Allegro")
    SENT = "sent", _("filed on Allegro")
    FAILED = "failed", pgettext_lazy("refund or claim", "refused by Allegro")


class RefundClaim(models.Model):
    """A commission refund claim ("wniosek o rabat transakcyjny") for one line of a cancelled or unpaid purchase.

    Allegro's create call takes no idempotency key: the row (with ``intent_id``) is committed first, and
    before a repeated attempt the claims on Allegro are searched for this line item, so a retry after a
    timeout adopts the claim already filed instead of filing a second."""

    account = models.ForeignKey(AllegroAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="allegro_refund_claims",
    )
    intent_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    checkout_form_id = models.CharField(_("checkout form id"), max_length=64)
    line_item_id = models.CharField(_("line item"), max_length=64)
    offer_id = models.CharField(_("offer"), max_length=32, blank=True)
    buyer_id = models.CharField(_("Allegro buyer id"), max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    automatic = models.BooleanField(_("by the automatic rule"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=ClaimState.choices, default=ClaimState.PENDING)
    allegro_id = models.CharField(_("Allegro claim id"), max_length=64, blank=True)
    status = models.CharField(_("Allegro status"), max_length=32, choices=ClaimStatus.choices, blank=True)
    commission = models.DecimalField(_("commission"), max_digits=12, decimal_places=2, null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("filed"), null=True, blank=True)
    checked_at = models.DateTimeField(_("status checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("commission refund claim")
        verbose_name_plural = _("commission refund claims")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "line_item_id"],
                condition=~Q(state="failed"),
                name="allegro_refund_claim_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name or self.line_item_id}"
