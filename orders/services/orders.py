"""Creating orders and moving them through the status pipeline. Knows nothing about Allegro:
integrations pass plain data and their own ``external_key``."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import (
    ALLOWED_TRANSITIONS,
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    OrderStatusChange,
    order_search_text,
)
from orders.signals import order_status_changed
from shop.models import Customer, DeliveryMethod, Product
from shop.services.stock import InsufficientStock, stock_release, stock_reserve

# Statuses in which the order holds stock; leaving them for CANCELLED gives it back.
_HOLDS_STOCK = frozenset(s for s in OrderStatus.values if s not in {OrderStatus.CANCELLED, OrderStatus.RETURNED})


class StatusTransitionNotAllowed(Exception):
    def __init__(self, *, order: Order, to_status: str) -> None:
        self.order = order
        self.to_status = to_status
        super().__init__(
            _("Order %(number)s cannot go from “%(from)s” to “%(to)s”.")
            % {
                "number": order.number,
                "from": OrderStatus(order.status).label,
                "to": OrderStatus(to_status).label,
            }
        )


@dataclass
class LineData:
    name: str
    quantity: int
    unit_price: Decimal
    product: Product | None = None
    sku: str = ""
    external_id: str = ""
    # A key that makes the stock movement of this line happen once even if the import repeats.
    stock_reference: str | None = None


@dataclass
class OrderData:
    lines: list[LineData]
    customer: Customer | None = None
    source: str = OrderSource.SHOP
    external_key: str = ""
    status: str = OrderStatus.NEW
    payment_type: str = ""
    payment_provider: str = ""
    payment_status: str = "unpaid"
    paid_amount: Decimal = Decimal("0.00")
    currency: str = "PLN"
    delivery_method: DeliveryMethod | None = None
    delivery_method_name: str = ""
    delivery_cost: Decimal = Decimal("0.00")
    total: Decimal | None = None
    placed_at: object = None
    address: dict = field(default_factory=dict)  # any Order.delivery_*/invoice_*/pickup_point_* fields
    buyer_message: str = ""
    reserve_stock: bool = True


# No savepoint when called inside a transaction (an import creates hundreds of orders in one): the
# caller's transaction is spoiled by a failure here and must be rolled back as a whole.
@transaction.atomic(savepoint=False)
def order_create(*, data: OrderData, actor=None) -> Order:
    """Create an order with its lines in one transaction and reserve stock for linked products.

    Products are locked in primary-key order so two imports touching the same products cannot
    deadlock. A line whose product cannot be reserved (hidden, missing, short of stock) is kept
    and flagged: the order is never lost, it is marked as needing attention.
    Raises IntegrityError when ``external_key`` already exists for the source.
    """
    if not data.lines:
        raise ValueError("an order needs at least one line")
    items_total = sum((line.unit_price * line.quantity for line in data.lines), Decimal("0.00"))
    total = data.total if data.total is not None else items_total + data.delivery_cost
    order = Order(
        customer=data.customer,
        source=data.source,
        external_key=data.external_key,
        status=data.status,
        payment_type=data.payment_type,
        payment_provider=data.payment_provider,
        payment_status=data.payment_status,
        paid_amount=data.paid_amount,
        currency=data.currency,
        delivery_method=data.delivery_method,
        delivery_method_name=data.delivery_method_name or (data.delivery_method.name if data.delivery_method else ""),
        delivery_cost=data.delivery_cost,
        items_total=items_total,
        total=total,
        buyer_message=data.buyer_message,
        placed_at=data.placed_at or timezone.now(),
        **data.address,
    )
    order.save()
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=line.product,
            name=line.name[:255],
            sku=line.sku,
            quantity=line.quantity,
            unit_price=line.unit_price,
            external_id=line.external_id,
        )
        for line in data.lines
    )
    # The lines as created (with their ids: bulk_create returns them on PostgreSQL and SQLite), so a
    # caller that works on them next (an import reserving stock its own way) need not read them back.
    order.created_lines = lines
    OrderStatusChange.objects.create(order=order, from_status="", to_status=order.status, actor=actor)
    if data.reserve_stock and order.status in _HOLDS_STOCK:
        order_reserve_stock(order=order, lines=lines, stock_references=[line.stock_reference for line in data.lines])
    return order


def _line_reference(order: Order, line: OrderLine, kind: str) -> str:
    return f"order:{order.pk}:line:{line.pk}:{kind}"


def order_reserve_stock(
    *, order: Order, lines: list[OrderLine], stock_references: list[str | None] | None = None
) -> None:
    """Reserve stock for lines not yet reserved; flag the ones that could not be."""
    references = stock_references or [None] * len(lines)
    problems = []
    changed = []
    pairs = sorted(zip(lines, references, strict=True), key=lambda pair: pair[0].product_id or 0)
    for line, reference in pairs:
        if line.stock_reserved:
            continue
        if line.product is None:
            line.problem = _("Product not found in the shop (SKU %(sku)s).") % {"sku": line.sku or "?"}
        else:
            try:
                stock_reserve(
                    product=line.product,
                    quantity=line.quantity,
                    reason=_("order %(number)s") % {"number": order.number},
                    reference=reference or _line_reference(order, line, "reserve"),
                )
                line.stock_reserved = True
                if not line.product.visible:
                    line.problem = _("Product is hidden in the shop.")
            except InsufficientStock:
                line.problem = _("Not enough stock: %(quantity)d ordered.") % {"quantity": line.quantity}
        if line.problem:
            problems.append(f"{line.name}: {line.problem}")
        if line.stock_reserved or line.problem:
            changed.append(line)
    # Usually every line is reserved without a problem: one plain UPDATE for those (bulk_update's CASE
    # expression costs more to build than the database needs to run it), one per line with a problem.
    reserved_ok = [line.pk for line in changed if line.stock_reserved and not line.problem]
    if reserved_ok:
        OrderLine.objects.filter(pk__in=reserved_ok).update(stock_reserved=True)
    for line in changed:
        if line.problem:
            OrderLine.objects.filter(pk=line.pk).update(stock_reserved=line.stock_reserved, problem=line.problem)
    if problems:
        order.needs_attention = True
        order.attention_note = "\n".join(filter(None, [order.attention_note, *problems]))
        Order.objects.filter(pk=order.pk).update(needs_attention=True, attention_note=order.attention_note)


def order_release_stock(*, order: Order) -> None:
    """Give back every reserved line's stock exactly once."""
    for line in order.lines.select_related("product").order_by("product_id", "pk"):
        if not line.stock_reserved or line.product is None:
            continue
        stock_release(
            product=line.product,
            quantity=line.quantity,
            reason=_("order %(number)s cancelled") % {"number": order.number},
            reference=_line_reference(order, line, "release"),
        )
        OrderLine.objects.filter(pk=line.pk).update(stock_reserved=False)


@transaction.atomic
def order_change_status(*, order: Order, status: str, actor=None, note: str = "", origin: str = "panel") -> Order:
    """Move the order along the pipeline; raises StatusTransitionNotAllowed for a move the table forbids.

    The order row is locked so two workers cannot both cancel (and release stock) at once.
    """
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status == status:
        return locked
    if status not in ALLOWED_TRANSITIONS[locked.status]:
        raise StatusTransitionNotAllowed(order=locked, to_status=status)
    previous = locked.status
    locked.status = status
    locked.save(update_fields=["status", "updated_at"])
    OrderStatusChange.objects.create(order=locked, from_status=previous, to_status=status, actor=actor, note=note[:255])
    if status == OrderStatus.CANCELLED:
        order_release_stock(order=locked)
    transaction.on_commit(
        lambda: order_status_changed.send(
            sender=Order,
            order_id=locked.pk,
            from_status=previous,
            to_status=status,
            actor_id=getattr(actor, "pk", None),
            origin=origin,
        )
    )
    order.status = status
    return locked


def order_recalculate_totals(*, order: Order) -> None:
    """Items total and total to pay from the lines (after lines were edited by hand)."""
    items_total = sum((line.line_total for line in order.lines.all()), Decimal("0.00"))
    order.items_total = items_total
    order.total = items_total + order.delivery_cost
    Order.objects.filter(pk=order.pk).update(items_total=order.items_total, total=order.total)


def order_assign_customer(*, order: Order, customer: Customer, actor=None) -> None:
    """Reassign an order to another customer (e.g. an Allegro buyer recognised as a known client)."""
    search_text = order_search_text(customer=customer, delivery_name=order.delivery_name)
    Order.objects.filter(pk=order.pk).update(customer=customer, search_text=search_text)
    order.customer, order.search_text = customer, search_text


__all__ = [
    "IntegrityError",
    "LineData",
    "OrderData",
    "StatusTransitionNotAllowed",
    "order_assign_customer",
    "order_change_status",
    "order_create",
    "order_recalculate_totals",
    "order_release_stock",
    "order_reserve_stock",
]
