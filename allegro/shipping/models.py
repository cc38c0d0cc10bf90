"""Delivery price lists ("cenniki dostaw") and the delivery-method mapping.

Imported at the end of allegro/models.py, so these are ordinary models of the ``allegro`` app.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentPolicy(models.TextChoices):
    IN_ADVANCE = "IN_ADVANCE", _("paid in advance")
    CASH_ON_DELIVERY = "CASH_ON_DELIVERY", _("cash on delivery")


class AllegroDeliveryMethod(models.Model):
    """One of Allegro's delivery methods (``GET /sale/delivery-methods``), cached per application.

    Ids are the same for every account of one environment; names are not unique on Allegro.
    """

    app = models.ForeignKey(
        "allegro.AllegroApp",
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="delivery_methods",
    )
    allegro_id = models.CharField(_("Allegro id"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    payment_policy = models.CharField(_("payment"), max_length=20, choices=PaymentPolicy.choices)
    constraints = models.JSONField(_("shipping rates constraints"), default=dict, blank=True)
    fetched_at = models.DateTimeField(_("fetched"))

    class Meta:
        verbose_name = _("Allegro delivery method")
        verbose_name_plural = _("Allegro delivery methods")
        ordering = ["name", "allegro_id"]
        constraints = [
            models.UniqueConstraint(fields=["app", "allegro_id"], name="allegro_delivery_method_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ShippingRateSet(models.Model):
    """A delivery price list of one account, edited here and published to ``/sale/shipping-rates``."""

    account = models.ForeignKey(
        "allegro.AllegroAccount",
        verbose_name=_("Allegro account"),
        on_delete=models.CASCADE,
        related_name="shipping_rate_sets",
    )
    allegro_id = models.CharField(_("Allegro id"), max_length=64, blank=True, editable=False)
    name = models.CharField(_("name"), max_length=64)
    last_modified = models.DateTimeField(_("changed on Allegro"), null=True, blank=True, editable=False)
    synced_at = models.DateTimeField(_("last saved to Allegro"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery price list")
        verbose_name_plural = _("Delivery costs")
        ordering = ["account", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "allegro_id"],
                condition=~models.Q(allegro_id=""),
                name="allegro_shipping_rate_set_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ShippingRate(models.Model):
    """One delivery method of a price list. ``position`` keeps Allegro's order, so ``rates[i]`` in an
    error path points back at the row the staff member typed."""

    rate_set = models.ForeignKey(ShippingRateSet, on_delete=models.CASCADE, related_name="rates")
    position = models.PositiveSmallIntegerField(default=0)
    delivery_method_id = models.CharField(_("delivery method"), max_length=64)
    delivery_method_name = models.CharField(max_length=200, blank=True)
    first_item_rate = models.DecimalField(_("price (first item)"), max_digits=10, decimal_places=2)
    # "Kolejna sztuka": what every further item in the same package adds (Allegro's nextItemRate).
    next_item_rate = models.DecimalField(
        _("price (next item)"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    max_quantity_per_package = models.PositiveIntegerField(_("max. items in a package"), default=1)
    shipping_time_from = models.PositiveIntegerField(_("shipping time from (hours)"), null=True, blank=True)
    shipping_time_to = models.PositiveIntegerField(_("shipping time to (hours)"), null=True, blank=True)
    max_package_weight = models.DecimalField(
        _("max. package weight (kg)"), max_digits=8, decimal_places=3, null=True, blank=True
    )

    class Meta:
        verbose_name = _("delivery method price")
        verbose_name_plural = _("delivery method prices")
        ordering = ["rate_set", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rate_set", "delivery_method_id"], name="allegro_shipping_rate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_method_name or self.delivery_method_id}: {self.first_item_rate} PLN"


class ProductShippingRates(models.Model):
    """A product's own price list on one account (overrides its category's and the account's default)."""

    product = models.ForeignKey("shop.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(
        "allegro.AllegroAccount", verbose_name=_("Allegro account"), on_delete=models.CASCADE, related_name="+"
    )
    rate_set = models.ForeignKey(
        ShippingRateSet,
        verbose_name=_("delivery price list"),
        on_delete=models.CASCADE,
        related_name="product_overrides",
    )

    class Meta:
        verbose_name = _("product delivery price list")
        verbose_name_plural = _("product delivery price lists")
        constraints = [
            models.UniqueConstraint(fields=["product", "account"], name="allegro_product_shipping_rates_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} -> {self.rate_set_id}"


class CategoryShippingRates(models.Model):
    """A shop category's price list on one account; subcategories inherit it unless they have their own."""

    category = models.ForeignKey(
        "shop.Category", verbose_name=_("shop category"), on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(
        "allegro.AllegroAccount", verbose_name=_("Allegro account"), on_delete=models.CASCADE, related_name="+"
    )
    rate_set = models.ForeignKey(
        ShippingRateSet,
        verbose_name=_("delivery price list"),
        on_delete=models.CASCADE,
        related_name="category_overrides",
    )

    class Meta:
        verbose_name = _("category delivery price list")
        verbose_name_plural = _("category delivery price lists")
        constraints = [
            models.UniqueConstraint(fields=["category", "account"], name="allegro_category_shipping_rates_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.category_id} -> {self.rate_set_id}"


class DeliveryMethodMapping(models.Model):
    """Allegro delivery method -> shop delivery method, used when orders are imported.

    Global, keyed by Allegro's id: ids are the same for all accounts of an environment.
    """

    allegro_method_id = models.CharField(_("Allegro delivery method id"), max_length=64, unique=True)
    allegro_method_name = models.CharField(_("Allegro delivery method"), max_length=200, blank=True)
    delivery_method = models.ForeignKey(
        "shop.DeliveryMethod",
        verbose_name=_("shop delivery method"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("delivery method mapping")
        verbose_name_plural = _("Delivery method mapping")
        ordering = ["allegro_method_name"]

    def __str__(self) -> str:
        return f"{self.allegro_method_name or self.allegro_method_id} -> {self.delivery_method_id}"
