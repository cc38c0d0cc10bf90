"""The shop's product_changed reaches the sync room through its receiver (connected in AllegroConfig.ready()):
the offers are queued at once and one flush task follows after commit, with the debounce window as its
countdown; further changes inside the window queue their offers but enqueue nothing more."""

from __future__ import annotations

from decimal import Decimal

import pytest

from allegro.accounts.models import AllegroAccount, AllegroApp
from allegro.offers.models import Offer, OfferStatus
from allegro.sync.models import OfferSyncQueue
from allegro.sync.tasks import sync_flush_task
from shop.signals import announce_product_change
from tests.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer():
    app = AllegroApp.objects.create(name="Aplikacja", environment="sandbox", client_id="client")
    account = AllegroAccount.objects.create(app=app, name="Konto", sync_stock=True)
    product = make_product(stock=5)
    return Offer.objects.create(
        account=account,
        product=product,
        allegro_id="7700000001",
        external_id=product.sku,
        status=OfferStatus.ACTIVE,
        title="Oferta",
        category_id="1",
        price=Decimal("10.00"),
        quantity=5,
    )


def test_a_product_change_queues_its_offers_and_one_debounced_flush(
    offer, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.ALLEGRO_SYNC_DEBOUNCE_SECONDS = 2.5
    enqueued: list[dict] = []
    monkeypatch.setattr(sync_flush_task, "apply_async", lambda *args, **kwargs: enqueued.append(kwargs))

    with django_capture_on_commit_callbacks(execute=True):
        announce_product_change(product_ids=[offer.product_id], fields={"stock"}, reason="stock")
        assert enqueued == []  # nothing before commit
    assert OfferSyncQueue.objects.filter(offer=offer, account=offer.account).exists()
    assert enqueued == [{"countdown": 2.5}]

    OfferSyncQueue.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        announce_product_change(product_ids=[offer.product_id], fields={"price"}, reason="price")
    assert OfferSyncQueue.objects.filter(offer=offer).exists()  # queued again...
    assert enqueued == [{"countdown": 2.5}]  # ...but the flush already due will see it


def test_no_flush_task_when_automatic_flushing_is_off(offer, settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.ALLEGRO_SYNC_DEBOUNCE_SECONDS = None
    enqueued: list[dict] = []
    monkeypatch.setattr(sync_flush_task, "apply_async", lambda *args, **kwargs: enqueued.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        announce_product_change(product_ids=[offer.product_id], fields={"stock"})
    assert OfferSyncQueue.objects.filter(offer=offer).exists()
    assert enqueued == []
