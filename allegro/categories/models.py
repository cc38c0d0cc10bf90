"""Allegro categories: the cached tree with parameters, shop → Allegro category mappings and
category forms (common parameter values for mass listing). Imported at the end of allegro/models.py.

Two different keys:

* the **cache** is keyed by the app's REST API base URL (``source``): two emulators, sandbox and production never
  share cached trees, because their ids and parameters differ;
* **mappings** are keyed by the environment (``production`` / ``sandbox`` / ``custom``): they are the staff's
  decision and must survive a change of the emulator's port. Sandbox and custom (emulator) mappings are optional:
  without one, the production mapping is used (``allegro.categories.selectors.allegro_category_for``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MappingEnvironment(models.TextChoices):
    PRODUCTION = "production", _("Allegro")
    SANDBOX = "sandbox", _("Allegro sandbox (tests)")
    CUSTOM = "custom", _("custom addresses (emulator)")


class AllegroCategory(models.Model):
    """One Allegro category as last fetched from ``source`` (lazy cache: levels are fetched when opened)."""

    source = models.CharField(_("Allegro address"), max_length=200)
    allegro_id = models.CharField(_("Allegro category id"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    parent_allegro_id = models.CharField(_("parent category id"), max_length=64, blank=True)
    leaf = models.BooleanField(_("leaf"), default=False)
    path_names = models.JSONField(_("path"), default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    fetched_at = models.DateTimeField(_("fetched"))
    parameters = models.JSONField(_("parameters"), null=True, blank=True)
    parameters_fetched_at = models.DateTimeField(_("parameters fetched"), null=True, blank=True)

    class Meta:
        verbose_name = _("Allegro category")
        verbose_name_plural = _("Allegro categories")
        ordering = ["source", "parent_allegro_id", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "allegro_id"], name="allegro_category_source_id_unique"),
        ]
        indexes = [models.Index(fields=["source", "parent_allegro_id"], name="allegro_category_level")]

    def __str__(self) -> str:
        return self.path_label

    @property
    def path_label(self) -> str:
        return " › ".join(self.path_names or [self.name])


class AllegroCategoryLevel(models.Model):
    """Marks one level of the tree (the children of ``parent_allegro_id``; "" = roots) as fetched."""

    source = models.CharField(max_length=200)
    parent_allegro_id = models.CharField(max_length=64, blank=True)
    fetched_at = models.DateTimeField()

    class Meta:
        verbose_name = _("fetched Allegro category level")
        verbose_name_plural = _("fetched Allegro category levels")
        constraints = [
            models.UniqueConstraint(fields=["source", "parent_allegro_id"], name="allegro_category_level_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.parent_allegro_id or '/'}"


class CategoryMapping(models.Model):
    """A shop category → an Allegro leaf category in one environment. Subcategories inherit it."""

    category = models.ForeignKey(
        "shop.Category", verbose_name=_("shop category"), on_delete=models.CASCADE, related_name="allegro_mappings"
    )
    environment = models.CharField(
        _("environment"), max_length=12, choices=MappingEnvironment.choices, default=MappingEnvironment.PRODUCTION
    )
    allegro_category_id = models.CharField(_("Allegro category id"), max_length=64)
    allegro_category_path = models.CharField(_("Allegro category"), max_length=500, blank=True)
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
        verbose_name = _("category mapping")
        verbose_name_plural = _("Category mappings")
        constraints = [
            models.UniqueConstraint(fields=["category", "environment"], name="allegro_category_mapping_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.category_id} → {self.allegro_category_id} ({self.environment})"


class CategoryForm(models.Model):
    """Common parameter values of one Allegro category ("formularz kategorii"), independent of the account.

    ``values`` is Allegro's own parameter shape: ``[{"id": "11323", "valuesIds": ["11323_1"]},
    {"id": "38", "values": ["24.2"]}, {"id": "211350", "rangeValue": {"from": "100", "to": "6400"}}]``.
    """

    allegro_category_id = models.CharField(_("Allegro category id"), max_length=64, unique=True)
    allegro_category_path = models.CharField(_("Allegro category"), max_length=500, blank=True)
    values = models.JSONField(_("parameter values"), default=list, blank=True)
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
        verbose_name = _("category form")
        verbose_name_plural = _("Category forms")
        ordering = ["allegro_category_path", "allegro_category_id"]

    def __str__(self) -> str:
        return self.allegro_category_path or self.allegro_category_id


class ProductParameters(models.Model):
    """The parameters that describe one product (Allegro's ``describesProduct``: "Model", "Kod producenta", ...)
    for one Allegro category: product data, kept per product instead of one value for the whole category.

    ``values`` is Allegro's parameter shape, as in CategoryForm. Listing sends them in
    ``productSet[].product.parameters``; a product without its own value of a parameter falls back to a value an
    older category form kept for it.
    """

    product = models.ForeignKey(
        "shop.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="allegro_parameters"
    )
    allegro_category_id = models.CharField(_("Allegro category id"), max_length=64)
    values = models.JSONField(_("parameter values"), default=list, blank=True)
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
        verbose_name = _("product parameters")
        verbose_name_plural = _("Product parameters")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "allegro_category_id"], name="allegro_product_parameters_unique"
            ),
        ]
        indexes = [models.Index(fields=["allegro_category_id"], name="allegro_product_params_cat")]

    def __str__(self) -> str:
        return f"{self.product_id} @ {self.allegro_category_id}"
