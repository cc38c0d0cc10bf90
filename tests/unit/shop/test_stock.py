import pytest

from shop.models import Product, StockMovement
from shop.services.stock import InsufficientStock, stock_release, stock_reserve, stock_set
from shop.signals import product_changed
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_reserve_takes_stock_with_a_conditional_update():
    product = make_product(stock=5)
    assert stock_reserve(product=product, quantity=3, reason="order 1")
    product.refresh_from_db()
    assert product.stock == 2
    assert StockMovement.objects.get(product=product).delta == -3


def test_reserve_refuses_to_oversell_and_writes_nothing():
    product = make_product(stock=2)
    with pytest.raises(InsufficientStock):
        stock_reserve(product=product, quantity=3)
    product.refresh_from_db()
    assert product.stock == 2
    assert not StockMovement.objects.exists()


def test_reserve_with_the_same_reference_happens_once():
    product = make_product(stock=5)
    assert stock_reserve(product=product, quantity=2, reference="cf-1:line-1")
    assert not stock_reserve(product=product, quantity=2, reference="cf-1:line-1")
    product.refresh_from_db()
    assert product.stock == 3
    assert StockMovement.objects.filter(reference="cf-1:line-1").count() == 1


def test_untracked_stock_is_never_short():
    product = make_product(stock=None)
    assert stock_reserve(product=product, quantity=1000)
    product.refresh_from_db()
    assert product.stock is None


def test_release_gives_back_once_per_reference():
    product = make_product(stock=1)
    stock_release(product=product, quantity=2, reference="cancel-1")
    stock_release(product=product, quantity=2, reference="cancel-1")
    assert Product.objects.get(pk=product.pk).stock == 3


def test_stock_set_rejects_negative_and_records_the_difference():
    product = make_product(stock=4)
    with pytest.raises(ValueError):
        stock_set(product=product, stock=-1)
    stock_set(product=product, stock=9, reason="inwentaryzacja")
    assert Product.objects.get(pk=product.pk).stock == 9
    assert StockMovement.objects.get(product=product).delta == 5


def test_changes_are_announced_after_commit(django_capture_on_commit_callbacks):
    product = make_product(stock=5, price="10.00")
    received = []

    def listener(sender, product_ids, fields, reason, **kwargs):
        received.append((set(product_ids), set(fields)))

    product_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            stock_reserve(product=product, quantity=1)
        assert received == []  # nothing is announced before the transaction commits
        for callback in callbacks:
            callback()
        assert received == [({product.pk}, {"stock"})]

        received.clear()
        with django_capture_on_commit_callbacks(execute=True):
            product = Product.objects.get(pk=product.pk)
            product.price = "12.00"
            product.visible = False
            product.save()
        assert received == [({product.pk}, {"price", "visible"})]

        received.clear()
        with django_capture_on_commit_callbacks(execute=True):
            product = Product.objects.get(pk=product.pk)
            product.name = "Nowa nazwa"
            product.save()
        assert received == []  # a name change is not a price/stock/visibility change
    finally:
        product_changed.disconnect(listener)


def test_batched_changes_are_announced_once_per_kind_of_change(django_capture_on_commit_callbacks):
    from shop.signals import product_changes_batched

    first, second = make_product(stock=5), make_product(stock=5)
    received = []

    def listener(sender, product_ids, fields, reason, **kwargs):
        received.append((set(product_ids), set(fields), reason))

    product_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True), product_changes_batched():
            stock_reserve(product=first, quantity=1, reason="zamówienie 1")
            stock_reserve(product=second, quantity=2, reason="zamówienie 2")
            stock_reserve(product=first, quantity=1, reason="zamówienie 3")
        assert received == [({first.pk, second.pk}, {"stock"}, "zamówienie 1, zamówienie 2, zamówienie 3")]
    finally:
        product_changed.disconnect(listener)
