"""Reads of the Allegro app (querysets and lookups; no writes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allegro.descriptions.models import CategoryDescriptionTemplate, DescriptionTemplate

if TYPE_CHECKING:
    from allegro.accounts.models import AllegroAccount
    from shop.models import Product


def description_template_get(*, product: Product, account: AllegroAccount | None) -> DescriptionTemplate | None:
    """The offer template for a product: its category's, else the nearest ancestor category's, else the
    account's default. Inactive templates are skipped at every level. At most two queries."""
    category = product.category
    steplen = category.steplen
    paths = [category.path[:end] for end in range(steplen, len(category.path) + 1, steplen)]
    link = (
        CategoryDescriptionTemplate.objects.filter(category__path__in=paths, template__is_active=True)
        .select_related("template")
        .order_by("-category__depth")
        .first()
    )
    if link is not None:
        return link.template
    if account is None or account.default_template_id is None:
        return None
    return DescriptionTemplate.objects.filter(pk=account.default_template_id, is_active=True).first()
