"""Offers on Allegro and the jobs that list them; the sync engine keeps them current.

An Offer row is written BEFORE the offer is created on Allegro (status "activating", no
allegro_id yet): that recorded intent plus ``external_id`` (the product's SKU) lets a retry
after a crash look the offer up instead of creating a second one.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shop.models import Product

# Offer.catalogue_product_id: an EAN (link to the catalogue product of that EAN, or propose a new one when
# Allegro does not know it), a product id chosen from the catalogue, "" (propose a new product) or this.
NO_PRODUCT = "none"


class OfferFormat(models.TextChoices):
    BUY_NOW = "BUY_NOW", _("Buy Now")
    AUCTION = "AUCTION", _("auction")


class OfferStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ACTIVATING = "activating", _("activating")
    ACTIVE = "active", _("active")
    ENDED = "ended", _("ended")
    ARCHIVED = "archived", _("archived")
    ERROR = "error", _("error")


class Offer(models.Model):
    account = models.ForeignKey(
        "allegro.AllegroAccount", verbose_name=_("account"), on_delete=models.PROTECT, related_name="offers"
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="allegro_offers",
    )
    allegro_id = models.CharField(_("Allegro offer id"), max_length=32, null=True, blank=True)
    external_id = models.CharField(_("external id (SKU)"), max_length=100, db_index=True)
    format = models.CharField(_("format"), max_length=8, choices=OfferFormat.choices, default=OfferFormat.BUY_NOW)
    status = models.CharField(_("status"), max_length=12, choices=OfferStatus.choices, default=OfferStatus.DRAFT)
    # Allegro allows 75 characters; the column takes more so a too-long title is reported by validation
    # (locally or by Allegro) instead of failing in the database.
    title = models.CharField(_("title"), max_length=255)
    category_id = models.CharField(_("Allegro category"), max_length=64)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    starting_price = models.DecimalField(_("starting price"), max_digits=12, decimal_places=2, null=True, blank=True)
    minimal_price = models.DecimalField(_("minimal price"), max_digits=12, decimal_places=2, null=True, blank=True)
    # An auction's standing as Allegro last showed it (GET /sale/offers saleInfo), read on a schedule.
    current_bid = models.DecimalField(_("current price"), max_digits=12, decimal_places=2, null=True, blank=True)
    bidders_count = models.PositiveIntegerField(_("bidders"), default=0)
    bids_checked_at = models.DateTimeField(_("bids checked at"), null=True, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    duration = models.CharField(_("duration"), max_length=8, blank=True, help_text=_("Empty: until sold out."))
    renew_after_end = models.BooleanField(_("list again after the end"), default=False)
    parameters = models.JSONField(_("offer parameters"), default=list, blank=True)
    product_parameters = models.JSONField(_("product parameters"), default=list, blank=True)
    catalogue_product_id = models.CharField(_("Allegro catalogue product"), max_length=64, blank=True)
    description = models.JSONField(_("description"), default=dict, blank=True)
    images = models.JSONField(_("images (Allegro URLs)"), default=list, blank=True)
    shipping_rates_id = models.CharField(_("delivery price list"), max_length=64, blank=True)
    warranty_id = models.CharField(_("warranty"), max_length=64, blank=True)
    implied_warranty_id = models.CharField(_("complaints"), max_length=64, blank=True)
    return_policy_id = models.CharField(_("returns"), max_length=64, blank=True)
    responsible_producer_id = models.CharField(_("responsible producer"), max_length=64, blank=True)
    safety_information = models.TextField(_("safety information"), blank=True)
    marketed_before_gpsr = models.BooleanField(
        _("placed on the EU market before 13 December 2024"),
        default=False,
        help_text=_("Then Allegro does not require the GPSR producer and safety information."),
    )
    template = models.ForeignKey(
        "allegro.DescriptionTemplate",
        verbose_name=_("offer template"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the template of the product's category or the account's default."),
    )
    # Product images already uploaded to Allegro ({ProductImage pk: Allegro URL}): a retry does not upload again.
    image_urls = models.JSONField(_("uploaded images"), default=dict, blank=True)
    # The client-generated id of the last publication command (END); resent unchanged on a retry.
    command_id = models.CharField(_("last command id"), max_length=36, blank=True)
    request_payload = models.JSONField(_("last request sent"), default=dict, blank=True)
    # What Allegro last confirmed (read back or reported by a command): the sync engine compares these.
    confirmed_price = models.DecimalField(_("price on Allegro"), max_digits=12, decimal_places=2, null=True, blank=True)
    confirmed_quantity = models.IntegerField(_("quantity on Allegro"), null=True, blank=True)
    confirmed_status = models.CharField(_("status on Allegro"), max_length=12, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    ended_reason = models.CharField(_("why it ended"), max_length=200, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_fields = models.JSONField(_("errors by field"), default=dict, blank=True)
    # Paid promotion options of this offer: None follows the account's defaults; a dict ({"emphasized": bool,
    # "bold_title": bool, "department_page": bool}) overrides them. ``promotions_confirmed`` holds the package ids
    # Allegro last confirmed on the offer (read back after each command).
    promotions = models.JSONField(_("paid promotion options"), null=True, blank=True)
    promotions_confirmed = models.JSONField(_("promotion packages on Allegro"), default=list, blank=True)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces the archived offer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaced_by",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("listed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("Allegro offer")
        verbose_name_plural = _("Allegro offers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "allegro_id"], condition=Q(allegro_id__isnull=False), name="offer_allegro_id_unique"
            ),
            models.CheckConstraint(condition=Q(price__gte=Decimal("0")), name="offer_price_not_negative"),
        ]
        indexes = [
            models.Index(fields=["account", "status"], name="offer_account_status"),
            models.Index(fields=["product", "account"], name="offer_product_account"),
            models.Index(fields=["status", "-created_at"], name="offer_status_created"),
            # The offer list's ordering, unfiltered and per account (otherwise a sort of every offer on disk).
            models.Index(fields=["-created_at", "-id"], name="offer_created_desc"),
            models.Index(fields=["account", "-created_at"], name="offer_account_created"),
        ]
        permissions = [("publish_offer", _("Can list products on Allegro"))]

    def __str__(self) -> str:
        return f"{self.title} ({self.allegro_id or self.get_status_display()})"


class PromotionCommand(models.Model):
    """One promo-options command to Allegro (the packages of up to 1000 offers). The row (UUID and body) is
    committed BEFORE the call; a retry after a timeout or a killed worker resends the same UUID with the same
    body, which Allegro answers with the same report instead of buying the packages twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("stored, not confirmed as sent")
        COMPLETED = "completed", _("completed")
        FAILED = "failed", _("rejected")

    uuid = models.UUIDField(_("command id"), unique=True)
    account = models.ForeignKey("allegro.AllegroAccount", on_delete=models.CASCADE, related_name="+")
    body = models.JSONField(_("body"))
    offer_ids = models.JSONField(_("Allegro offer ids"), default=list)
    packages = models.JSONField(_("packages"), default=list)
    cost = models.JSONField(_("cost shown before sending"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    report = models.JSONField(_("report"), default=dict, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("promotion command")
        verbose_name_plural = _("promotion commands")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["account", "status"], name="promotion_command_status")]

    def __str__(self) -> str:
        return f"{self.uuid} ({self.get_status_display()})"
