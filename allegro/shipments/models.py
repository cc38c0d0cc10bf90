"""Tables of "Wysyłam z Allegro": the sender address and package templates of an account, which shop delivery
methods send with Allegro, the shipments (each with the command id stored before Allegro hears of it), the bulk
jobs with their items, and courier pickups."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

POST_CODE = RegexValidator(r"^\d{2}-\d{3}$", _("Enter a post code like 00-001."))


class ShipmentSender(models.Model):
    """The default sender address of an account's shipments (and the address a courier picks them up from)."""

    account = models.OneToOneField(
        "allegro.AllegroAccount", verbose_name=_("account"), on_delete=models.CASCADE, related_name="shipment_sender"
    )
    name = models.CharField(_("name"), max_length=100)
    company = models.CharField(_("company"), max_length=100, blank=True)
    street = models.CharField(_("street and number"), max_length=100)
    postal_code = models.CharField(_("post code"), max_length=6, validators=[POST_CODE])
    city = models.CharField(_("city"), max_length=60)
    country_code = models.CharField(_("country"), max_length=2, default="PL")
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=20)

    class Meta:
        verbose_name = _("shipment sender")
        verbose_name_plural = _("shipment senders")

    def __str__(self) -> str:
        return f"{self.account}: {self.name}, {self.city}"


class PackageTemplate(models.Model):
    """A parcel size and weight of an account, chosen when a shipment is created."""

    account = models.ForeignKey(
        "allegro.AllegroAccount", verbose_name=_("account"), on_delete=models.CASCADE, related_name="package_templates"
    )
    name = models.CharField(_("name"), max_length=60)
    length_cm = models.PositiveSmallIntegerField(_("length (cm)"), validators=[MinValueValidator(1)])
    width_cm = models.PositiveSmallIntegerField(_("width (cm)"), validators=[MinValueValidator(1)])
    height_cm = models.PositiveSmallIntegerField(_("height (cm)"), validators=[MinValueValidator(1)])
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=6, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("package template")
        verbose_name_plural = _("package templates")
        ordering = ["account", "-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="swa_package_template_name_unique"),
            models.UniqueConstraint(
                fields=["account"], condition=Q(is_default=True), name="swa_package_template_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.length_cm}×{self.width_cm}×{self.height_cm} cm, {self.weight_kg} kg)"


class ShipmentMethodSetting(models.Model):
    """Whether a shop delivery method sends with "Wysyłam z Allegro", and the parcel it usually needs."""

    delivery_method = models.OneToOneField(
        "shop.DeliveryMethod",
        verbose_name=_("shop delivery method"),
        on_delete=models.CASCADE,
        related_name="allegro_shipment_setting",
    )
    uses_allegro = models.BooleanField(_("ship with Allegro"), default=True)
    package_template = models.ForeignKey(
        PackageTemplate,
        verbose_name=_("default package"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("delivery method for Allegro shipping")
        verbose_name_plural = _("delivery methods for Allegro shipping")

    def __str__(self) -> str:
        return str(self.delivery_method)


class ShipmentPickup(models.Model):
    """A courier pickup ordered for some shipments; the command id is stored before the command is sent."""

    class Status(models.TextChoices):
        PENDING = "pending", _("being ordered")
        ORDERED = "ordered", _("ordered")
        FAILED = "failed", _("failed")

    account = models.ForeignKey("allegro.AllegroAccount", verbose_name=_("account"), on_delete=models.PROTECT)
    command_id = models.UUIDField(_("command id"), default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    pickup_date = models.DateField(_("pickup date"))
    min_time = models.CharField(_("from"), max_length=5, blank=True)
    max_time = models.CharField(_("to"), max_length=5, blank=True)
    allegro_id = models.CharField(_("Allegro pickup id"), max_length=64, blank=True)
    carrier_pickup_id = models.CharField(_("carrier's pickup number"), max_length=64, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ordered by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("courier pickup")
        verbose_name_plural = _("courier pickups")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.pickup_date} {self.carrier_pickup_id or self.get_status_display()}"


class SwaShipment(models.Model):
    """One "Wysyłam z Allegro" shipment of a shop order.

    ``command_id`` is committed before the create command is sent: a retry after a timeout or a lost worker
    sends the same id, and Allegro answers with the same command instead of creating a second shipment. An
    order has at most one shipment that is not failed or cancelled (a database constraint)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("being created")
        CREATED = "created", _("created")
        FAILED = "failed", _("failed")
        CANCELLING = "cancelling", _("being cancelled")
        CANCELLED = "cancelled", _("cancelled")

    account = models.ForeignKey("allegro.AllegroAccount", verbose_name=_("account"), on_delete=models.PROTECT)
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="allegro_parcels"
    )
    command_id = models.UUIDField(_("command id"), default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    delivery_method_id = models.CharField(_("Allegro delivery method id"), max_length=64)
    delivery_method_name = models.CharField(_("delivery service"), max_length=200, blank=True)
    request = models.JSONField(_("sent to Allegro"), default=dict, blank=True)
    allegro_id = models.CharField(_("Allegro shipment id"), max_length=200, blank=True, db_index=True)
    carrier_id = models.CharField(_("carrier"), max_length=32, blank=True)
    waybills = models.JSONField(_("tracking numbers"), default=list, blank=True)
    label_pdf = models.BinaryField(_("label"), null=True, blank=True, editable=False)
    cancel_command_id = models.UUIDField(_("cancel command id"), null=True, blank=True, unique=True, editable=False)
    pickup = models.ForeignKey(
        ShipmentPickup,
        verbose_name=_("courier pickup"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shipments",
    )
    tracking_added = models.BooleanField(_("tracking number added to the Allegro order"), default=False)
    last_error = models.TextField(_("last error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("Allegro shipment")
        verbose_name_plural = _("Allegro shipments (Wysyłam z Allegro)")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=~Q(status__in=["failed", "cancelled"]),
                name="swa_shipment_one_active_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {', '.join(self.waybills) or self.get_status_display()}"

    @property
    def waybill(self) -> str:
        return self.waybills[0] if self.waybills else ""


class ShipmentJob(models.Model):
    """Shipments created for many orders at once, with progress, the merged labels and the pickup protocol."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("finished")
        FAILED = "failed", _("failed")

    account = models.ForeignKey("allegro.AllegroAccount", verbose_name=_("account"), on_delete=models.PROTECT)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    package_template = models.ForeignKey(
        PackageTemplate, verbose_name=_("package"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    retry_of = models.ForeignKey(
        "self", verbose_name=_("retry of"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    total = models.PositiveIntegerField(_("orders"), default=0)
    done = models.PositiveIntegerField(_("processed"), default=0)
    succeeded = models.PositiveIntegerField(_("created"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    labels_pdf = models.BinaryField(_("labels"), null=True, blank=True, editable=False)
    protocol_pdf = models.BinaryField(_("pickup protocol"), null=True, blank=True, editable=False)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("shipment job")
        verbose_name_plural = _("shipment jobs")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def progress_percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.done / self.total))


class ShipmentJobItem(models.Model):
    class Result(models.TextChoices):
        PENDING = "pending", _("waiting")
        CREATED = "created", _("created")
        FAILED = "failed", _("failed")

    job = models.ForeignKey(ShipmentJob, on_delete=models.CASCADE, related_name="items")
    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="+")
    shipment = models.ForeignKey(
        SwaShipment, verbose_name=_("shipment"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    result = models.CharField(_("result"), max_length=8, choices=Result.choices, default=Result.PENDING)
    message = models.TextField(_("message"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("shipment job item")
        verbose_name_plural = _("shipment job items")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["job", "order"], name="swa_job_item_unique")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.order_id} {self.result}"
