"""Stock changes. Every change is a conditional UPDATE (never read-modify-write in Python) and,
when it has a ``reference``, a StockMovement row whose unique key makes it happen at most once
(at-least-once inputs, exactly-once effects).

A reservation costs two statements and no savepoint: the movement is inserted with
``ON CONFLICT (reference) DO NOTHING`` (a repeated reference inserts nothing and changes
nothing), then the conditional UPDATE takes the stock; on a shortage the movement just inserted is
deleted again. No statement fails, so the caller's transaction stays usable and an import can flag
the line and carry on with the order.
"""

from contextlib import nullcontext

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
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


def _insert_movement(*, product: Product, delta: int, reason: str, reference: str | None) -> int | None:
    """Insert a movement; its id, or None when this reference was already applied."""
    if reference is None:
        return StockMovement.objects.create(product=product, delta=delta, reason=reason).pk
    table = connection.ops.quote_name(StockMovement._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (product_id, delta, reason, reference, created_at) "  # noqa: S608 - names from _meta
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (reference) DO NOTHING RETURNING id",
            [product.pk, delta, reason[:200], reference, timezone.now()],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _take(*, product_id: int, quantity: int) -> int:
    """``UPDATE product SET stock = stock - q WHERE id = ? AND stock >= q``; the rows changed (0 or 1).

    The same statement as ``filter(stock__gte=q).update(stock=F("stock") - q)``, written once: an order
    import runs it for every line, and building it through the ORM cost more than running it."""
    table = connection.ops.quote_name(Product._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET stock = stock - %s WHERE id = %s AND stock >= %s",  # noqa: S608 - name from _meta
            [quantity, product_id, quantity],
        )
        return cursor.rowcount


def _atomic_unless_nested():
    """A transaction of its own when called alone; inside the caller's transaction, no savepoint
    (nothing here can fail half-way, so there is nothing a savepoint would need to undo)."""
    return nullcontext() if connection.in_atomic_block else transaction.atomic()


def stock_reserve(*, product: Product, quantity: int, reason: str = "", reference: str | None = None) -> bool:
    """Take ``quantity`` pieces off the stock for an order line.

    The conditional UPDATE makes parallel reservations unable to oversell. Returns False when
    ``reference`` was already applied (nothing changes). Untracked stock is left alone.
    Raises InsufficientStock when the tracked stock is too low; nothing is written then.
    """
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    with _atomic_unless_nested():
        movement_id = _insert_movement(product=product, delta=-quantity, reason=reason, reference=reference)
        if movement_id is None:
            return False
        updated = _take(product_id=product.pk, quantity=quantity)
        if not updated:
            if Product.objects.filter(pk=product.pk, stock__isnull=True).exists():
                return True
            StockMovement.objects.filter(pk=movement_id).delete()
            raise InsufficientStock(product=product, requested=quantity)
    announce_product_change(product_ids=[product.pk], fields={"stock"}, reason=reason)
    return True


def stock_release(*, product: Product, quantity: int, reason: str = "", reference: str | None = None) -> bool:
    """Give ``quantity`` pieces back (a cancelled order). Idempotent per ``reference``."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    with _atomic_unless_nested():
        if _insert_movement(product=product, delta=quantity, reason=reason, reference=reference) is None:
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
