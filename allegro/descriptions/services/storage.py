"""Writes of stored Allegro descriptions: a product's fixed description and the bulk conversion of shop HTML."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction

from allegro.descriptions.models import ProductAllegroDescription
from allegro.descriptions.services.descriptions import (
    description_conversion_report,
    description_size_measure,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import User

    from shop.models import Product


@dataclass
class ShopConversionResult:
    """What the bulk action did to one product, for the report page."""

    product: Product
    status: str  # "created" | "replaced" | "skipped" (already had one) | "empty" (nothing to convert)
    messages: list[str] = field(default_factory=list)
    sections: int = 0
    size: int = 0


@transaction.atomic
def description_create_from_shop(
    *, products: Iterable[Product], actor: User | None = None, replace: bool = False
) -> list[ShopConversionResult]:
    """Convert the shop's HTML descriptions into fixed Allegro descriptions ("Utwórz opis Allegro z opisu
    sklepu"), reporting what could not be kept. Products that already have one are skipped unless ``replace``:
    a description someone edited by hand is never overwritten by accident."""
    products = list(products)
    existing = {
        d.product_id: d
        for d in ProductAllegroDescription.objects.filter(product__in=[p.pk for p in products]).only(
            "pk", "product_id", "description"
        )
    }
    results: list[ShopConversionResult] = []
    to_create: list[ProductAllegroDescription] = []
    to_update: list[ProductAllegroDescription] = []
    for product in products:
        current = existing.get(product.pk)
        if current is not None and (current.description or {}).get("sections") and not replace:
            results.append(ShopConversionResult(product, "skipped"))
            continue
        report = description_conversion_report(html=product.description)
        description = report.description
        result = ShopConversionResult(
            product,
            "replaced" if current is not None else "created",
            messages=list(report.messages),
            sections=len(description["sections"]),
            size=description_size_measure(description=description),
        )
        if not description["sections"]:
            result.status = "empty"
            results.append(result)
            continue
        if current is None:
            to_create.append(ProductAllegroDescription(product=product, description=description, updated_by=actor))
        else:
            current.description = description
            current.updated_by = actor
            to_update.append(current)
        results.append(result)
    ProductAllegroDescription.objects.bulk_create(to_create)
    # bulk_update skips auto_now; set it explicitly so "updated" is truthful.
    if to_update:
        from django.utils import timezone

        now = timezone.now()
        for row in to_update:
            row.updated_at = now
        ProductAllegroDescription.objects.bulk_update(to_update, ["description", "updated_by", "updated_at"])
    return results
