from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


# --- Descriptions ---
def empty_description() -> dict:
    return {"sections": []}


class DescriptionTemplate(models.Model):
    """Header and footer sections put around a product's description when an offer is published.

    Both hold Allegro's own ``{"sections": [...]}`` shape and may use placeholders (``{{ nazwa }}``,
    ``{{ cena }}``...), rendered per product by ``description_offer_build``.
    """

    name = models.CharField(_("name"), max_length=120)
    header = models.JSONField(_("header"), default=empty_description, blank=True)
    footer = models.JSONField(_("footer"), default=empty_description, blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive templates are skipped when a template is picked.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("offer template")
        verbose_name_plural = _("offer templates")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class ProductAllegroDescription(models.Model):
    """The fixed Allegro description of a product (the "Aukcje" part of the product page).

    Images of the product are referenced as ``{"type": "IMAGE", "url": "product-image:<ProductImage.pk>"}``:
    they get their Allegro URL only when an offer is published (see ``description_offer_build``).
    """

    product = models.OneToOneField(
        "shop.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="allegro_description"
    )
    description = models.JSONField(_("Allegro description"), default=empty_description, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Allegro description")
        verbose_name_plural = _("Allegro descriptions")

    def __str__(self) -> str:
        return str(self.product_id)


class CategoryDescriptionTemplate(models.Model):
    """The default offer template of a shop category; subcategories inherit it unless they have their own."""

    category = models.OneToOneField(
        "shop.Category",
        verbose_name=_("shop category"),
        on_delete=models.CASCADE,
        related_name="allegro_description_template",
    )
    template = models.ForeignKey(
        DescriptionTemplate, verbose_name=_("offer template"), on_delete=models.CASCADE, related_name="categories"
    )

    class Meta:
        verbose_name = _("category default template")
        verbose_name_plural = _("category default templates")

    def __str__(self) -> str:
        # Shown above each row of the template's category table: names, not ids (the inline selects them).
        return f"{self.category.name} – {self.template.name}"
