"""Writes to products other than stock: bulk price and visibility changes from the admin."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import QuerySet

from shop.models import Product
from shop.signals import announce_product_change


@transaction.atomic
def product_set_visibility(*, products: QuerySet[Product], visible: bool, reason: str = "") -> int:
    """Show or hide products; announces only the rows that really changed."""
    ids = list(products.exclude(visible=visible).values_list("pk", flat=True))
    if ids:
        Product.objects.filter(pk__in=ids).update(visible=visible)
        announce_product_change(product_ids=ids, fields={"visible"}, reason=reason)
    return len(ids)


@transaction.atomic
def product_change_prices(*, products: QuerySet[Product], percent: Decimal, reason: str = "") -> int:
    """Raise (or lower, with a negative percent) prices by ``percent``, rounded to grosze."""
    factor = Decimal(1) + percent / Decimal(100)
    if factor < 0:
        raise ValueError("a price cannot fall below zero")
    changed = []
    for product in products.select_for_update().only("pk", "price").order_by("pk"):
        new_price = (product.price * factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if new_price != product.price:
            product.price = new_price
            changed.append(product)
    Product.objects.bulk_update(changed, ["price"], batch_size=500)
    announce_product_change(product_ids=[p.pk for p in changed], fields={"price"}, reason=reason)
    return len(changed)
