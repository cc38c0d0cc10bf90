from decimal import Decimal

import pytest
from django.db import IntegrityError

from orders.models import ALLOWED_TRANSITIONS, Order, OrderStatus
from orders.services.orders import (
    LineData,
    OrderData,
    StatusTransitionNotAllowed,
    order_change_status,
    order_create,
)
from shop.models import Product
from tests.factories import make_customer, make_product

pytestmark = pytest.mark.django_db


def _order(product, quantity=2, **extra):
    return order_create(
        data=OrderData(
            customer=make_customer(),
            lines=[
                LineData(
                    name=product.name, sku=product.sku, quantity=quantity, unit_price=Decimal("19.99"), product=product
                )
            ],
            delivery_cost=Decimal("9.99"),
            **extra,
        )
    )


def test_order_reserves_stock_and_computes_totals():
    product = make_product(stock=5)
    order = _order(product)
    assert Product.objects.get(pk=product.pk).stock == 3
    assert order.items_total == Decimal("39.98")
    assert order.total == Decimal("49.97")
    assert order.number.endswith(f"{order.pk:06d}")
    assert order.lines.get().stock_reserved


def test_order_for_missing_stock_is_kept_and_flagged():
    product = make_product(stock=1)
    order = _order(product, quantity=3)
    order.refresh_from_db()
    assert order.needs_attention
    assert "3" in order.attention_note
    assert Product.objects.get(pk=product.pk).stock == 1
    assert not order.lines.get().stock_reserved


def test_cancel_releases_stock_exactly_once():
    product = make_product(stock=5)
    order = _order(product)
    order_change_status(order=order, status=OrderStatus.CANCELLED)
    order_change_status(order=order, status=OrderStatus.CANCELLED)  # repeated: no second release
    assert Product.objects.get(pk=product.pk).stock == 5


@pytest.mark.parametrize(
    ("start", "target"),
    [(s, t) for s in OrderStatus.values for t in OrderStatus.values if s != t],
)
def test_transition_table_is_enforced(start, target):
    product = make_product(stock=None)
    order = _order(product)
    Order.objects.filter(pk=order.pk).update(status=start)
    order.refresh_from_db()
    if target in ALLOWED_TRANSITIONS[start]:
        assert order_change_status(order=order, status=target).status == target
        assert order.status_changes.last().to_status == target
    else:
        with pytest.raises(StatusTransitionNotAllowed):
            order_change_status(order=order, status=target)
        order.refresh_from_db()
        assert order.status == start


def test_external_key_is_unique_per_source():
    product = make_product(stock=None)
    _order(product, source="allegro", external_key="1:abc")
    with pytest.raises(IntegrityError):
        _order(product, source="allegro", external_key="1:abc")
