"""Reads for delivery price lists and the delivery-method mapping."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from allegro.accounts.models import AllegroAccount, AllegroApp
from allegro.shipping.models import (
    AllegroDeliveryMethod,
    CategoryShippingRates,
    DeliveryMethodMapping,
    PaymentPolicy,
    ProductShippingRates,
    ShippingRate,
    ShippingRateSet,
)
from shop.models import Category, DeliveryMethod, Product


def shipping_rates_for(*, product: Product, account: AllegroAccount) -> ShippingRateSet | None:
    """The price list an offer of ``product`` on ``account`` uses: the product's own, else the nearest
    category's (the product's category or its closest ancestor with one), else the account's default.

    The account default may not have a local copy yet (chosen from Allegro's list before an import);
    then an unsaved ShippingRateSet carrying only ``allegro_id`` and ``name`` is returned (``pk is None``).
    """
    override = ProductShippingRates.objects.filter(product=product, account=account).select_related("rate_set").first()
    if override is not None:
        return override.rate_set
    category_id = product.category_id
    if category_id:
        path = Category.objects.filter(pk=category_id).values_list("path", flat=True).first() or ""
        steplen = Category.steplen
        prefixes = [path[:n] for n in range(steplen, len(path) + 1, steplen)]
        nearest = (
            CategoryShippingRates.objects.filter(account=account, category__path__in=prefixes)
            .select_related("rate_set")
            .order_by("-category__depth")
            .first()
        )
        if nearest is not None:
            return nearest.rate_set
    if not account.shipping_rates_id:
        return None
    local = ShippingRateSet.objects.filter(account=account, allegro_id=account.shipping_rates_id).first()
    if local is not None:
        return local
    return ShippingRateSet(account=account, allegro_id=account.shipping_rates_id, name=account.shipping_rates_name)


def shop_delivery_method_for(*, allegro_method_id: str) -> DeliveryMethod | None:
    """The shop delivery method an imported order's Allegro delivery method maps to, or None."""
    if not allegro_method_id:
        return None
    mapping = (
        DeliveryMethodMapping.objects.filter(allegro_method_id=allegro_method_id)
        .select_related("delivery_method")
        .first()
    )
    return mapping.delivery_method if mapping is not None else None


def delivery_methods_cached(*, app: AllegroApp | None = None) -> list[AllegroDeliveryMethod]:
    """Cached Allegro delivery methods, one per Allegro id (of ``app``, or of every app), by name."""
    qs = AllegroDeliveryMethod.objects.all()
    if app is not None:
        qs = qs.filter(app=app)
    seen: set[str] = set()
    out = []
    for method in qs.order_by("name", "allegro_id", "app_id"):
        if method.allegro_id not in seen:
            seen.add(method.allegro_id)
            out.append(method)
    return out


def delivery_methods_grouped(
    methods: list[AllegroDeliveryMethod],
) -> list[tuple[str, str, list[AllegroDeliveryMethod]]]:
    """[(payment policy, its label, methods)] — paid in advance first, then cash on delivery."""
    return [
        (policy.value, policy.label, [m for m in methods if m.payment_policy == policy.value])
        for policy in (PaymentPolicy.IN_ADVANCE, PaymentPolicy.CASH_ON_DELIVERY)
    ]


def delivery_methods_by_id(*, app: AllegroApp) -> dict[str, AllegroDeliveryMethod]:
    return {m.allegro_id: m for m in AllegroDeliveryMethod.objects.filter(app=app)}


def shipping_rate_set_list() -> QuerySet[ShippingRateSet]:
    """Price lists for the list page: account and rate count in the same query."""
    return ShippingRateSet.objects.select_related("account").annotate(rate_count=Count("rates"))


def unmapped_delivery_methods(*, account: AllegroAccount) -> list[tuple[str, str]]:
    """[(Allegro method id, name)] used in the account's price lists but not mapped to a shop method."""
    mapped = DeliveryMethodMapping.objects.values("allegro_method_id")
    rows = (
        ShippingRate.objects.filter(rate_set__account=account)
        .exclude(delivery_method_id__in=mapped)
        .values_list("delivery_method_id", "delivery_method_name")
        .order_by("delivery_method_name", "delivery_method_id")
    )
    out: dict[str, str] = {}
    for method_id, name in rows:
        out.setdefault(method_id, name or method_id)
    return list(out.items())
