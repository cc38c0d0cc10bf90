"""Stock changes. Every change is a conditional UPDATE (never read-modify-write in Python) and,
when it has a ``reference``, a StockMovement row whose unique key makes it happen at most once
(RELIABILITY.md rule 4: at-least-once inputs, exactly-once effects)."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from shop.models import Product, StockMovement
from shop.signals import announce_product_change


class InsufficientStock(Exception):
    def __init__(self, *, product: Product, requested: int) -> None:
        self.product = product
        self.requested = requested
        super().__init__(
            _("Not enough stock of %(sku)s: %(requested)d requested.") % {"sku": product.sku, "requested": requested}
        )


def _record_movement(*, product: Product, delta: int, reason: str, reference: str | None) -> bool:
    """Insert the movement; False when this reference was already applied."""
    if reference is None:
        StockMovement.objects.create(product=product, delta=delta, reason=reason)
        return True
    try:
        with transaction.atomic():
            StockMovement.objects.create(product=product, delta=delta, reason=reason, reference=reference)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def stock_reserve(*, product: Product, quantity: int, reason: str = "", reference: str | None = None) -> bool:
    """Take ``quantity`` pieces off the stock for an order line.

    The conditional UPDATE makes parallel reservations unable to oversell. Returns False when
    ``reference`` was already applied (nothing changes). Untracked stock is left alone.
    Raises InsufficientStock when the tracked stock is too low; nothing is written then.
    """
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    if not _record_movement(product=product, delta=-quantity, reason=reason, reference=reference):
        return False
    updated = Product.objects.filter(pk=product.pk, stock__gte=quantity).update(stock=F("stock") - quantity)
    if not updated:
        if Product.objects.filter(pk=product.pk, stock__isnull=True).exists():
            return True
        raise InsufficientStock(product=product, requested=quantity)
    announce_product_change(product_ids=[product.pk], fields={"stock"}, reason=reason)
    return True


@transaction.atomic
def stock_release(*, product: Product, quantity: int, reason: str = "", reference: str | None = None) -> bool:
    """Give ``quantity`` pieces back (a cancelled order). Idempotent per ``reference``."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    if not _record_movement(product=product, delta=quantity, reason=reason, reference=reference):
        return False
    updated = Product.objects.filter(pk=product.pk, stock__isnull=False).update(stock=F("stock") + quantity)
    if updated:
        announce_product_change(product_ids=[product.pk], fields={"stock"}, reason=reason)
    return True


@transaction.atomic
def stock_set(*, product: Product, stock: int | None, reason: str = "") -> None:
    """Set the stock to an absolute value (a stocktake, an admin edit); None stops tracking it."""
    if stock is not None and stock < 0:
        raise ValueError("stock cannot be negative")
    row = Product.objects.select_for_update().only("pk", "stock").get(pk=product.pk)
    if row.stock == stock:
        return
    delta = (stock or 0) - (row.stock or 0)
    Product.objects.filter(pk=product.pk).update(stock=stock)
    StockMovement.objects.create(product=product, delta=delta, reason=reason or _("stock set"))
    product.stock = stock
    announce_product_change(product_ids=[product.pk], fields={"stock"}, reason=reason)
