"""Invoices delivered to Allegro orders: the seller's invoice data per account, the monthly numbering
counter, and one invoice (its PDF and where its delivery to Allegro stands) per shop order.

The shop's ``orders`` app keeps no invoice file, so the file lives here. Uniqueness keys: one invoice per
order, one invoice per number, one counter row per (year, month).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allegro.accounts.models import AllegroAccount
from allegro.checkouts.models import AllegroCheckout


class InvoiceSeller(models.Model):
    """The seller's data printed on the invoices the panel issues for one Allegro account."""

    account = models.OneToOneField(
        AllegroAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="invoice_seller"
    )
    name = models.CharField(_("seller (company name)"), max_length=200)
    nip = models.CharField(_("NIP"), max_length=13, help_text=_("10 digits, dashes allowed."))
    street = models.CharField(_("street and number"), max_length=200)
    post_code = models.CharField(_("post code"), max_length=6)
    city = models.CharField(_("city"), max_length=100)
    bank_account = models.CharField(_("bank account"), max_length=40, blank=True)
    place_of_issue = models.CharField(
        _("place of issue"), max_length=100, blank=True, help_text=_("Empty: the seller's city.")
    )
    issued_by = models.CharField(_("issued by"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("seller data for invoices")
        verbose_name_plural = _("seller data for invoices")

    def __str__(self) -> str:
        return f"{self.name} ({self.account})"


class InvoiceSequence(models.Model):
    """The counter of one month's invoice numbers (FV/<n>/<MM>/<YYYY>).

    ``last_number`` moves in the transaction that stores the invoice, under a row lock: numbers never
    repeat and, since a rolled-back invoice takes its number back with it, leave no gap."""

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("invoice numbering")
        verbose_name_plural = _("invoice numbering")
        constraints = [
            models.UniqueConstraint(fields=["year", "month"], name="allegro_invoice_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.month:02d}/{self.year}: {self.last_number}"


class InvoiceSource(models.TextChoices):
    GENERATED = "generated", _("issued in the panel")
    UPLOADED = "uploaded", _("shop's own file")


class InvoiceState(models.TextChoices):
    READY = "ready", _("waiting to be sent")
    DECLARED = "declared", _("declared on Allegro, file not sent yet")
    SENT = "sent", _("sent to Allegro")
    FAILED = "failed", _("refused by Allegro")


def _invoice_path(instance: OrderInvoice, filename: str) -> str:
    return f"allegro/invoices/{timezone.now():%Y/%m}/{filename}"


class OrderInvoice(models.Model):
    """The invoice of one shop order and its delivery to the Allegro order.

    ``allegro_invoice_id`` (the declaration's id) is stored, committed, before the file is sent: a retry
    uploads the file to that declaration; a declaration whose answer was lost is found on Allegro by the
    invoice number (Allegro takes one number once per order)."""

    order = models.OneToOneField(
        "orders.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="allegro_invoice"
    )
    checkout = models.ForeignKey(
        AllegroCheckout, verbose_name=_("Allegro purchase"), on_delete=models.PROTECT, related_name="invoices"
    )
    number = models.CharField(_("invoice number"), max_length=64, unique=True)
    source = models.CharField(_("source"), max_length=12, choices=InvoiceSource.choices)
    issued_on = models.DateField(_("date of issue"))
    sold_on = models.DateField(_("date of sale"))
    seller = models.JSONField(_("seller"), default=dict, blank=True)
    buyer = models.JSONField(_("buyer"), default=dict, blank=True)
    lines = models.JSONField(_("lines"), default=list, blank=True)
    net_total = models.DecimalField(_("net"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    vat_total = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    gross_total = models.DecimalField(_("gross"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(_("currency"), max_length=3, default="PLN")
    file = models.FileField(_("PDF file"), upload_to=_invoice_path, max_length=255)
    file_name = models.CharField(_("file name"), max_length=100)
    state = models.CharField(_("state"), max_length=10, choices=InvoiceState.choices, default=InvoiceState.READY)
    allegro_invoice_id = models.CharField(_("Allegro invoice id"), max_length=64, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    declared_at = models.DateTimeField(_("declared on Allegro"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent to Allegro"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        verbose_name = _("invoice for Allegro")
        verbose_name_plural = _("invoices for Allegro")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(number=""), name="allegro_invoice_number_not_empty"),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"], name="allegro_invoice_state"),
        ]

    def __str__(self) -> str:
        return self.number
