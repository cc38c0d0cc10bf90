"""Sync engine against the emulator: propagation, closing, renewal, events, reconciliation, faults."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest

from allegro.core.models import EventLogEntry
from allegro.offers.models import Offer, OfferStatus
from allegro.sync.models import OfferSyncQueue, SyncCommand, SyncCursor, SyncRun
from allegro.sync.services import commands as sync_commands
from allegro.sync.services.commands import Change, commands_plan
from allegro.sync.services.engine import offer_target_price
from allegro.sync.services.renew import offers_relist
from allegro.sync.services.steps import sync_flush, sync_run, sync_scheduled
from shop.models import Product
from tests.factories import make_category, make_product

pytestmark = [pytest.mark.django_db, pytest.mark.untidy]


@pytest.fixture(autouse=True)
def _no_auto_flush(settings):
    settings.ALLEGRO_SYNC_DEBOUNCE_SECONDS = None  # tests flush explicitly
    settings.ALLEGRO_COMMAND_WAIT_SECONDS = 20


def body(i: int, *, price: str, stock: int, status: str = "ACTIVE") -> dict:
    return {
        "name": f"Produkt testowy {i}",
        "category": {"id": "257933"},
        "sellingMode": {"format": "BUY_NOW", "price": {"amount": price, "currency": "PLN"}},
        "stock": {"available": stock, "unit": "UNIT"},
        "publication": {"status": status},
        "external": {"id": f"SKU-{i}"},
    }


def setup_offers(emulator, account, n: int, *, stock: int = 5, price: str = "100.00", renew: bool = False):
    """n products, n active offers on the emulator and matching Offer rows (confirmed = Allegro's values)."""
    category = make_category()
    products = [make_product(category=category, sku=f"SKU-{i}", price=Decimal(price), stock=stock) for i in range(n)]
    ids = emulator.post(
        "offers/bulk",
        {
            "seller_id": account.seller_id,
            "offers": [body(i, price=price, stock=stock) for i in range(n)],
            "validate": False,
        },
    )["ids"]
    offers = [
        Offer.objects.create(
            account=account, product=p, allegro_id=oid, external_id=p.sku, status=OfferStatus.ACTIVE, title=p.name,
            category_id="257933", price=Decimal(price), quantity=stock, confirmed_price=Decimal(price),
            confirmed_quantity=stock, confirmed_status="ACTIVE", renew_after_end=renew,
        )
        for p, oid in zip(products, ids)
    ]  # fmt: skip
    return products, offers


def state(emulator) -> dict[str, dict]:
    return {o["id"]: o for o in emulator.get("state/offers")["offers"]}


def switches(account, **on):
    for name in ("sync_prices", "sync_stock", "sync_close_sold_out", "sync_renew_ended"):
        setattr(account, name, on.get(name, True))
    account.save()


def change(products, django_capture_on_commit_callbacks, **fields_by_index):
    with django_capture_on_commit_callbacks(execute=True):
        for i, values in fields_by_index.items():
            p = Product.objects.get(pk=products[int(i)].pk)
            for k, v in values.items():
                setattr(p, k, v)
            p.save()


def test_plan_groups_equal_values_and_bulks_scattered_ones():
    offers = [Offer(allegro_id=str(i)) for i in range(120)]
    changes = [Change(offer=o, price=Decimal("10.00")) for o in offers[:50]]  # one group
    changes += [Change(offer=o, price=Decimal(f"{20 + i}.00")) for i, o in enumerate(offers[50:100])]  # scattered
    changes += [Change(offer=o, quantity=7) for o in offers[100:110]]
    changes += [Change(offer=o, end="sold out") for o in offers[110:]]
    phase1, phase2 = commands_plan(changes=changes)
    kinds = [p.kind for p in phase1]
    assert kinds.count("end") == 1 and kinds.count("price") == 1 and kinds.count("quantity") == 1
    assert kinds.count("bulk") == 2  # 50 scattered prices in 25-offer bulk commands, not 50 price commands
    assert not phase2


def test_price_rule_markup_then_rounding(connected_account):
    connected_account.price_markup_percent = Decimal("10")
    assert offer_target_price(account=connected_account, shop_price=Decimal("9.99")) == Decimal("10.99")
    assert offer_target_price(account=connected_account, shop_price=Decimal("9.99"), rounding="ends_99") == Decimal(
        "10.99"
    )
    assert offer_target_price(account=connected_account, shop_price=Decimal("9.50"), rounding="whole") == Decimal(
        "10.00"
    )


def test_changes_reach_allegro_in_few_commands(emulator, connected_account, django_capture_on_commit_callbacks):
    emulator.set_settings(command_task_seconds=0)
    switches(connected_account)
    products, offers = setup_offers(emulator, connected_account, 12)
    change(
        products,
        django_capture_on_commit_callbacks,
        **{"0": {"price": Decimal("120.00")}, "1": {"price": Decimal("120.00")}, "2": {"stock": 9},
           "3": {"stock": 0}, "4": {"visible": False}, "5": {"price": Decimal("99.00"), "stock": 2}},
    )  # fmt: skip
    assert OfferSyncQueue.objects.count() == 6
    [run] = sync_flush()
    assert run.status == SyncRun.Status.DONE, run.errors
    s = state(emulator)
    assert s[offers[0].allegro_id]["price"] == "120.00" and s[offers[1].allegro_id]["price"] == "120.00"
    assert s[offers[2].allegro_id]["stock_available"] == 9
    assert s[offers[3].allegro_id]["status"] == "ENDED" and s[offers[4].allegro_id]["status"] == "ENDED"
    assert (s[offers[5].allegro_id]["price"], s[offers[5].allegro_id]["stock_available"]) == ("99.00", 2)
    kinds = sorted(SyncCommand.objects.values_list("kind", flat=True))
    assert kinds.count("end") == 1  # sold out and hidden in one END command
    assert len(kinds) <= 4
    offers[3].refresh_from_db()
    assert offers[3].status == OfferStatus.ENDED and "wyczerpany w sklepie" in offers[3].ended_reason
    assert not OfferSyncQueue.objects.exists()


def test_switches_off_nothing_is_queued(emulator, connected_account, django_capture_on_commit_callbacks):
    switches(connected_account, sync_prices=False, sync_stock=False, sync_close_sold_out=False, sync_renew_ended=False)
    products, _offers = setup_offers(emulator, connected_account, 2)
    change(products, django_capture_on_commit_callbacks, **{"0": {"stock": 0}})
    assert not OfferSyncQueue.objects.exists()


def test_dry_run_previews_without_writing(emulator, connected_account):
    switches(connected_account, sync_close_sold_out=False)
    products, offers = setup_offers(emulator, connected_account, 5)
    Product.objects.filter(pk__in=[p.pk for p in products[:3]]).update(stock=0)
    [run] = sync_run(account=connected_account, only={"close"}, dry_run=True)
    assert run.counts["would_end"] == 3 and "3" in run.summary
    assert all(o["status"] == "ACTIVE" for o in state(emulator).values())
    assert not SyncCommand.objects.exists()


def test_worker_killed_mid_command_resends_same_uuid(emulator, connected_account, django_capture_on_commit_callbacks):
    emulator.set_settings(command_task_seconds=0)
    switches(connected_account)
    products, offers = setup_offers(emulator, connected_account, 3)
    change(products, django_capture_on_commit_callbacks, **{"0": {"price": Decimal("150.00")}})
    with mock.patch.object(sync_commands, "commands_await", side_effect=SystemExit("worker killed")):
        with pytest.raises(SystemExit):
            sync_flush()
    command = SyncCommand.objects.get()
    assert command.status in (SyncCommand.Status.PENDING, SyncCommand.Status.SENT)  # the crash came before the report
    runs_before = emulator.stats()["commands_run"]
    since = emulator.requests()[-1]["seq"] if emulator.requests() else 0
    sync_flush()
    command.refresh_from_db()
    assert command.status == SyncCommand.Status.COMPLETED
    assert emulator.stats()["commands_run"] == runs_before  # the same UUID was answered, nothing applied twice
    resent = [r for r in emulator.requests(since) if r["method"] == "PUT"]
    assert len(resent) == 1 and str(command.uuid) in resent[0]["path"]
    assert state(emulator)[offers[0].allegro_id]["price"] == "150.00"
    assert SyncCommand.objects.count() == 1


def test_faults_429_5xx_and_timeouts_are_survived(
    emulator, connected_account, django_capture_on_commit_callbacks, settings
):
    emulator.set_settings(command_task_seconds=0)
    switches(connected_account)
    products, offers = setup_offers(emulator, connected_account, 4)
    emulator.add_fault(r"^/sale/offer-price-change-commands/", method="PUT", status=429, times=2)
    emulator.add_fault(r"^/sale/offer-quantity-change-commands/", method="PUT", status=503, times=2)
    emulator.add_fault(r"^/sale/offer-publication-commands/", method="PUT", delay_ms=400, times=1)
    change(
        products,
        django_capture_on_commit_callbacks,
        **{"0": {"price": Decimal("111.00")}, "1": {"stock": 3}, "2": {"stock": 0}},
    )
    with mock.patch("allegro.integration.client.READ_TIMEOUT", 0.2):
        [run] = sync_flush()
    assert run.status == SyncRun.Status.DONE, run.errors
    s = state(emulator)
    assert s[offers[0].allegro_id]["price"] == "111.00"
    assert s[offers[1].allegro_id]["stock_available"] == 3
    assert s[offers[2].allegro_id]["status"] == "ENDED"
    assert not SyncCommand.objects.exclude(status="completed").exists()
    assert SyncCommand.objects.count() <= 3


@pytest.mark.slow
def test_stock_back_reactivates_after_quantity_even_out_of_order(
    emulator, connected_account, django_capture_on_commit_callbacks
):
    emulator.set_settings(command_task_seconds=1, commands_out_of_order=True)
    switches(connected_account)
    products, offers = setup_offers(emulator, connected_account, 2, renew=True)
    change(products, django_capture_on_commit_callbacks, **{"0": {"stock": 0}})
    sync_flush()
    assert state(emulator)[offers[0].allegro_id]["status"] == "ENDED"
    # the emulator ended it with its stock; Allegro ends on EMPTY_STOCK with 0 pieces: model that
    emulator.post(f"offers/{offers[1].allegro_id}/end", {"reason": "EMPTY_STOCK"})
    change(products, django_capture_on_commit_callbacks, **{"0": {"stock": 4}})
    [run] = sync_flush()
    assert run.status == SyncRun.Status.DONE, run.errors
    s = state(emulator)[offers[0].allegro_id]
    assert (s["status"], s["stock_available"]) == ("ACTIVE", 4)
    kinds = list(SyncCommand.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds[-2:] == ["quantity", "activate"]


def test_hidden_product_is_never_relisted_and_it_says_so(
    emulator, connected_account, django_capture_on_commit_callbacks
):
    emulator.set_settings(command_task_seconds=0)
    switches(connected_account)
    products, offers = setup_offers(emulator, connected_account, 2, renew=True)
    change(products, django_capture_on_commit_callbacks, **{"0": {"visible": False}, "1": {"stock": 0}})
    sync_flush()
    Product.objects.filter(pk=products[1].pk).update(stock=6)
    [run] = sync_run(account=connected_account, only={"renew"})
    s = state(emulator)
    assert s[offers[0].allegro_id]["status"] == "ENDED"
    assert (s[offers[1].allegro_id]["status"], s[offers[1].allegro_id]["stock_available"]) == ("ACTIVE", 6)
    assert "produkt niewyświetlany w sklepie" in run.summary


def test_manual_relist_action_updates_prices(emulator, connected_account, django_capture_on_commit_callbacks):
    emulator.set_settings(command_task_seconds=0)
    switches(connected_account, sync_prices=False, sync_renew_ended=False)
    products, offers = setup_offers(emulator, connected_account, 2)
    for o in offers:
        emulator.post(f"offers/{o.allegro_id}/end", {"reason": "EXPIRATION"})
    Offer.objects.update(status=OfferStatus.ENDED)
    Product.objects.update(price=Decimal("80.00"))
    offers_relist(offers=Offer.objects.all(), update_prices=True, update_quantities=True)
    s = state(emulator)
    assert all(s[o.allegro_id]["status"] == "ACTIVE" and s[o.allegro_id]["price"] == "80.00" for o in offers)


@pytest.mark.tidy_only(reason="reads prices from the offer events' optional fields")
def test_offer_events_record_changes_outside_the_panel(emulator, connected_account):
    emulator.set_settings(command_task_seconds=0)
    switches(connected_account, sync_prices=False)
    products, offers = setup_offers(emulator, connected_account, 2)
    token = connected_account.access_token
    api = emulator.api(token)
    resp = api.put(
        emulator.url("/sale/offer-price-change-commands/11111111-2222-3333-4444-555555555555"),
        json={"modification": {"type": "FIXED_PRICE", "price": {"amount": "77.00", "currency": "PLN"}},
              "offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": offers[0].allegro_id}]}]},
        headers={"Content-Type": "application/vnd.allegro.public.v1+json"},
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    [run] = sync_scheduled(step="events")  # prices switched off: the outside price stays, and is recorded
    offers[0].refresh_from_db()
    assert offers[0].confirmed_price == Decimal("77.00")
    assert EventLogEntry.objects.filter(offer_id=offers[0].allegro_id, message__contains="77.00").exists()
    cursor = SyncCursor.objects.get(account=connected_account, kind="offer_events")
    assert cursor.value
    # a second poll starts after the cursor: nothing new
    [run2] = sync_scheduled(step="events")
    assert run2.counts.get("offer_events", 0) == 0


def test_reconcile_reports_drift_and_fixes_by_switches(emulator, connected_account):
    emulator.set_settings(command_task_seconds=0)
    switches(connected_account, sync_close_sold_out=False)
    products, offers = setup_offers(emulator, connected_account, 6)
    Product.objects.filter(pk=products[0].pk).update(price=Decimal("55.00"))
    Product.objects.filter(pk=products[1].pk).update(stock=0)
    [run] = sync_run(account=connected_account, only={"reconcile"})
    fields = {(d["offer"], d["field"]) for d in run.details["drift"]}
    assert (offers[0].allegro_id, "price") in fields and (offers[1].allegro_id, "status") in fields
    s = state(emulator)
    assert s[offers[0].allegro_id]["price"] == "55.00"
    assert s[offers[1].allegro_id]["status"] == "ENDED"  # --only reconcile is explicit
    assert run.api_calls <= 6
