from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from .signals import WATCHED_FIELDS, announce_product_change
from .validators import validate_gtin, validate_nip, validate_post_code_pl


class Category(MP_Node):
    """Shop category tree (materialised path: a category with all its subcategories is one prefix query)."""

    name = models.CharField(_("name"), max_length=200)
    visible = models.BooleanField(_("visible"), default=True)

    node_order_by = ["name"]

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    def subtree_filter(self, prefix: str = "category__") -> Q:
        """A Q matching rows whose category is this one or any descendant."""
        return Q(**{f"{prefix}path__startswith": self.path})


class VatRate(models.TextChoices):
    VAT_23 = "23", "23%"
    VAT_8 = "8", "8%"
    VAT_5 = "5", "5%"
    VAT_0 = "0", "0%"
    EXEMPT = "zw", _("exempt (zw)")


class Product(models.Model):
    name = models.CharField(_("name"), max_length=255)
    sku = models.CharField(_("SKU"), max_length=64, unique=True, help_text=_("Unique product code in the shop."))
    ean = models.CharField(_("EAN/GTIN"), max_length=14, blank=True, validators=[validate_gtin], db_index=True)
    brand = models.CharField(_("brand"), max_length=120, blank=True)
    price = models.DecimalField(
        _("price (gross)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    vat_rate = models.CharField(_("VAT rate"), max_length=2, choices=VatRate.choices, default=VatRate.VAT_23)
    stock = models.IntegerField(
        _("stock"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Pieces in the warehouse. Leave empty when stock is not tracked."),
    )
    visible = models.BooleanField(_("visible in the shop"), default=True)
    weight = models.DecimalField(
        _("weight (kg)"),
        max_digits=8,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    description = models.TextField(_("description (HTML)"), blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("main category"), on_delete=models.PROTECT, related_name="products"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0), name="product_stock_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["visible", "stock"], name="product_visible_stock"),
            # The product list's default ordering: page 1 of 100,000 products without sorting them all.
            models.Index(fields=["name", "id"], name="product_name_order"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    def save(self, *args, **kwargs) -> None:
        loaded = getattr(self, "_loaded_watched", None)
        super().save(*args, **kwargs)
        if loaded is None:
            return
        changed = {f for f, old in loaded.items() if getattr(self, f) != old}
        if changed:
            announce_product_change(product_ids=[self.pk], fields=changed, reason=getattr(self, "_change_reason", ""))
        self._loaded_watched = {f: getattr(self, f) for f in WATCHED_FIELDS}

    def delete(self, *args, **kwargs):
        pk = self.pk
        result = super().delete(*args, **kwargs)
        announce_product_change(product_ids=[pk], fields={"deleted"}, reason="deleted")
        return result

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_watched = {f: getattr(instance, f) for f in WATCHED_FIELDS if f in field_names}
        return instance

    @property
    def stock_tracked(self) -> bool:
        return self.stock is not None


def product_image_path(instance: "ProductImage", filename: str) -> str:
    return f"products/{instance.product_id or 'new'}/{filename}"


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images", verbose_name=_("product"))
    image = models.ImageField(_("image"), upload_to=product_image_path)
    alt = models.CharField(_("alternative text"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ["product", "position", "pk"]

    def __str__(self) -> str:
        return self.image.name


class StockMovement(models.Model):
    """One change of a product's stock. ``reference`` makes a movement happen at most once."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_movements")
    delta = models.IntegerField(_("change"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.product_id} {self.delta:+d}"


class Customer(models.Model):
    email = models.EmailField(_("e-mail"), max_length=254)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    nip = models.CharField(_("NIP"), max_length=13, blank=True, validators=[validate_nip])
    billing_street = models.CharField(_("billing: street and number"), max_length=200, blank=True)
    billing_post_code = models.CharField(
        _("billing: post code"), max_length=12, blank=True, validators=[validate_post_code_pl]
    )
    billing_city = models.CharField(_("billing: city"), max_length=100, blank=True)
    billing_country_code = models.CharField(_("billing: country"), max_length=2, default="PL")
    shipping_name = models.CharField(_("shipping: recipient"), max_length=200, blank=True)
    shipping_street = models.CharField(_("shipping: street and number"), max_length=200, blank=True)
    shipping_post_code = models.CharField(
        _("shipping: post code"), max_length=12, blank=True, validators=[validate_post_code_pl]
    )
    shipping_city = models.CharField(_("shipping: city"), max_length=100, blank=True)
    shipping_country_code = models.CharField(_("shipping: country"), max_length=2, default="PL")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["last_name", "first_name", "pk"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="customer_email_ci_unique"),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} <{self.email}>" if name else self.email


class DeliveryMethod(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    price = models.DecimalField(
        _("price"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    cash_on_delivery = models.BooleanField(_("cash on delivery"), default=False)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("delivery method")
        verbose_name_plural = _("delivery methods")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name
