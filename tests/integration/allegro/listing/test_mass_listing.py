"""Mass listing against the emulator: a category with its subcategories listed as a background job —
per-product results (listed / skipped why / failed with Allegro's message), products already listed skipped
unless "Kolejna aukcja tego przedmiotu", cancel, "Ponów nieudane", and no duplicate offer when an item runs again.

Jobs run with a thread pool, so these tests use real transactions (the threads have their own connections)."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

import allegro.integration.client
import allegro.listing.services.jobs as listing_jobs
from allegro.categories.models import CategoryForm, MappingEnvironment
from allegro.categories.services.categories import category_mapping_set, category_parameters_fetch
from allegro.core.models import Lease
from allegro.listing.models import ListingJob, ListingJobItem
from allegro.listing.services.jobs import (
    ListingError,
    ListingOptions,
    listing_job_cancel,
    listing_job_retry_failed,
    listing_job_run,
    listing_job_start,
    listing_job_status,
    listing_preview,
)
from allegro.offers.models import Offer, OfferStatus
from allegro_emulator.products_data import KETTLE_GTINS, KETTLE_SHARED_GTIN
from tests.factories import add_product_image, make_category, make_ean, make_product, make_ready_to_list

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.untidy]

KETTLE = "300407"  # Czajniki elektryczne: Stan (offer, required), Marka, Pojemność (product, required)
STAN, NOWY = "11323", "11323_1"
LISTED, SKIPPED, FAILED, PENDING = (
    ListingJobItem.Result.LISTED,
    ListingJobItem.Result.SKIPPED,
    ListingJobItem.Result.FAILED,
    ListingJobItem.Result.PENDING,
)


def kettle(category, *, image: bool = True, **fields):
    fields.setdefault("brand", "Bosch")
    fields.setdefault("ean", KETTLE_GTINS[0])  # a kettle Allegro's catalogue knows: it supplies the product parameters
    fields.setdefault("description", "<p>Czajnik elektryczny ze stali nierdzewnej, <b>1,7 l</b>.</p>")
    product = make_product(category=category, stock=fields.pop("stock", 5), **fields)
    if image:
        add_product_image(product, name=f"czajnik-{product.pk}.png", color=(30, 120, 200))
    return product


@pytest.fixture
def account(connected_account):
    return make_ready_to_list(
        connected_account,
        location_city="Poznań",
        location_post_code="60-166",
        gpsr_producer="Bosch Polska",
        gpsr_safety_information="Nie zanurzać w wodzie.",
    )


@pytest.fixture
def tree(account, allegro_app, settings, tmp_path):
    """Czajniki (mapped to a leaf) > Czajniki elektryczne (inherits the mapping), and an unrelated category."""
    settings.MEDIA_ROOT = tmp_path
    settings.ALLEGRO_LISTING_THREADS = 4
    root = make_category("Czajniki")
    child = make_category("Czajniki elektryczne", parent=root)
    other = make_category("Ogród")
    category_mapping_set(
        category=root, environment=MappingEnvironment.CUSTOM, allegro_category_id=KETTLE, app=allegro_app
    )
    category_parameters_fetch(app=allegro_app, allegro_id=KETTLE)  # cached, as after "Formularze kategorii"
    CategoryForm.objects.create(allegro_category_id=KETTLE, values=[{"id": STAN, "valuesIds": [NOWY]}])
    return root, child, other


def start(account, category, **options):
    return listing_job_start(account=account, options=ListingOptions(**options), category=category)


def results(job) -> dict[str, tuple[str, str]]:
    return {i.product.sku: (i.result, i.message) for i in job.items.select_related("product")}


def emulator_offers(emulator, sku=None) -> list[dict]:
    query = f"?external_id={sku}" if sku else ""
    return emulator.get(f"state/offers{query}")["offers"]


@pytest.mark.slow
def test_category_with_subcategories_listed_skipped_and_failed_with_reasons(tree, account, emulator):
    root, child, other = tree
    refused = kettle(root, name="Czajnik odrzucony przez Allegro")  # first in line: it meets the injected 422
    good = [kettle(root), kettle(root), kettle(child), kettle(child)]
    hidden = kettle(child, visible=False)
    empty = kettle(root, stock=0)
    no_image = kettle(child, image=False)
    untracked = kettle(root, stock=None)
    already = kettle(root)
    old = Offer.objects.create(
        account=account,
        product=already,
        allegro_id="7700001",
        external_id=already.sku,
        title="stara",
        category_id=KETTLE,
        price=Decimal("1.00"),
        status=OfferStatus.ENDED,
    )
    elsewhere = kettle(other)
    emulator.add_fault(
        "^/sale/product-offers$",
        method="POST",
        status=422,
        times=1,
        body={
            "errors": [
                {
                    "code": "VALIDATION_ERROR",
                    "message": "bad",
                    "path": "name",
                    "userMessage": "Tytuł oferty zawiera niedozwolone słowo.",
                    "details": None,
                    "metadata": {},
                }
            ]
        },
    )

    preview = listing_preview(account=account, options=ListingOptions(), category=root)
    by_sku = {row.product.sku: row for row in preview.rows}
    assert elsewhere.sku not in by_sku and preview.total == 10
    assert preview.to_list == 6  # the refused one looks fine locally
    assert not by_sku[hidden.sku].listable and by_sku[hidden.sku].reasons
    assert not by_sku[empty.sku].listable and by_sku[empty.sku].reasons
    assert not by_sku[no_image.sku].listable and by_sku[no_image.sku].reasons
    assert not by_sku[already.sku].listable and "7700001" in by_sku[already.sku].reasons[0]
    assert by_sku[untracked.sku].listable  # stock not tracked counts as available
    assert preview.triage is not None and preview.triage.blocked_count == 1
    assert not emulator_offers(emulator)  # a dry run sends nothing

    job = start(account, root)
    assert job.total == 10 and job.status == ListingJob.Status.PENDING
    assert listing_job_run(job_id=job.pk, threads=1) == "done"  # one thread: the refused product meets the 422
    job.refresh_from_db()

    got = results(job)
    for product in [*good, untracked]:
        assert got[product.sku][0] == LISTED, got[product.sku]
    assert got[refused.sku] == (FAILED, "Tytuł oferty zawiera niedozwolone słowo.")
    assert got[hidden.sku][0] == SKIPPED and got[hidden.sku][1]
    assert got[empty.sku][0] == SKIPPED and got[empty.sku][1]
    assert got[no_image.sku][0] == SKIPPED and got[no_image.sku][1]
    assert got[already.sku][0] == SKIPPED and "7700001" in got[already.sku][1]
    assert (job.status, job.total, job.done, job.succeeded, job.skipped, job.failed) == ("done", 10, 10, 5, 4, 1)
    assert job.progress_percent == 100 and job.finished_at is not None
    assert listing_job_status(job=job)["percent"] == 100

    # On Allegro: exactly one offer per listed product, with the SKU as external.id, linked from the item.
    assert len(emulator_offers(emulator)) == 5
    for item in job.items.filter(result=LISTED).select_related("offer"):
        assert item.offer.allegro_id and item.offer.status == OfferStatus.ACTIVE
        assert [o["id"] for o in emulator_offers(emulator, item.product.sku)] == [item.offer.allegro_id]
    assert Offer.objects.filter(product=already, account=account).get() == old

    # Running the finished job again does nothing.
    assert listing_job_run(job_id=job.pk) == "done"
    assert len(emulator_offers(emulator)) == 5


def test_already_listed_products_get_another_offer_when_asked(tree, account, emulator):
    root, _child, _other = tree
    product = kettle(root)
    first = start(account, root)
    listing_job_run(job_id=first.pk)
    assert results(first)[product.sku][0] == LISTED

    again = start(account, root)
    listing_job_run(job_id=again.pk)
    assert results(again)[product.sku][0] == SKIPPED
    assert len(emulator_offers(emulator, product.sku)) == 1

    another = start(account, root, allow_relisting=True)
    listing_job_run(job_id=another.pk)
    assert results(another)[product.sku][0] == LISTED
    ids = {o["id"] for o in emulator_offers(emulator, product.sku)}
    assert (
        len(ids) == 2 and Offer.objects.filter(product=product, account=account, status=OfferStatus.ACTIVE).count() == 2
    )


def test_overrides_change_price_duration_and_quantity(tree, account, emulator):
    root, _child, _other = tree
    product = kettle(root, price=Decimal("200.00"), stock=9)
    job = start(account, root, price_change_percent=Decimal("-10"), duration="PT240H", quantity=2)
    listing_job_run(job_id=job.pk)
    offer = job.items.get().offer
    assert offer.status == OfferStatus.ACTIVE, job.items.get().message
    assert offer.price == Decimal("180.00") and offer.quantity == 2 and offer.duration == "PT240H"
    assert offer.request_payload["sellingMode"]["price"]["amount"] == "180.00"
    assert product.sku == offer.external_id


def test_dry_run_applies_the_same_overrides_as_the_job(tree, account, emulator):
    root, _child, _other = tree
    cheap = kettle(root, price=Decimal("200.00"), stock=9)
    scarce = kettle(root, price=Decimal("100.00"), stock=5)
    options = ListingOptions(price_change_percent=Decimal("-10"), quantity=7)

    preview = listing_preview(account=account, options=options, category=root)

    rows = {row.product.sku: row for row in preview.rows}
    assert rows[cheap.sku].listable and rows[cheap.sku].price == Decimal("180.00")
    assert not rows[scarce.sku].listable  # 7 pieces asked, 5 in stock: the job would skip it too
    assert any("5" in reason for reason in rows[scarce.sku].reasons)
    assert not emulator_offers(emulator)

    job = start(account, root, price_change_percent=Decimal("-10"), quantity=7)
    listing_job_run(job_id=job.pk)
    got = results(job)
    assert got[cheap.sku][0] == LISTED and got[scarce.sku][0] != LISTED


def test_cancel_lets_the_item_in_flight_finish_and_starts_no_new_ones(tree, account, emulator, monkeypatch):
    root, _child, _other = tree
    products = [kettle(root) for _ in range(6)]
    job = start(account, root)
    real_publish = listing_jobs.offer_publish
    calls = []

    def publish_then_cancel(*, offer, actor=None, lookups=None):
        calls.append(offer.product_id)
        if len(calls) == 2:
            assert listing_job_cancel(job=job) is True  # "Anuluj" pressed while the second one is being sent
        return real_publish(offer=offer, actor=actor, lookups=lookups)

    monkeypatch.setattr(listing_jobs, "offer_publish", publish_then_cancel)
    monkeypatch.setattr(listing_jobs, "CANCEL_POLL_SECONDS", 0)
    listing_job_run(job_id=job.pk, threads=1)
    job.refresh_from_db()

    got = results(job)
    assert [got[p.sku][0] for p in products] == [LISTED, LISTED, SKIPPED, SKIPPED, SKIPPED, SKIPPED]
    assert "cancel" in got[products[-1].sku][1].lower() or "anulow" in got[products[-1].sku][1].lower()
    assert job.status == ListingJob.Status.CANCELLED and job.finished_at is not None
    assert (job.done, job.succeeded, job.skipped) == (6, 2, 4)
    assert len(emulator_offers(emulator)) == 2
    assert listing_job_cancel(job=job) is False  # already over


def test_cancel_before_the_task_starts_skips_everything(tree, account, emulator):
    root, _child, _other = tree
    kettle(root)
    job = start(account, root)
    assert listing_job_cancel(job=job) is True
    assert listing_job_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    assert (job.status, job.done, job.skipped, job.succeeded) == ("cancelled", 1, 1, 0)
    assert not emulator_offers(emulator)


def test_retry_of_failed_products_only(tree, account, emulator):
    root, _child, _other = tree
    flaky = kettle(root)
    fine = kettle(root)
    emulator.add_fault(
        "^/sale/product-offers$",
        method="POST",
        status=422,
        times=1,
        body={
            "errors": [
                {
                    "code": "VALIDATION_ERROR",
                    "message": "x",
                    "path": "images",
                    "userMessage": "Zdjęcie jest za małe.",
                    "details": None,
                    "metadata": {},
                }
            ]
        },
    )
    job = start(account, root)
    listing_job_run(job_id=job.pk, threads=1)
    job.refresh_from_db()
    assert results(job)[flaky.sku] == (FAILED, "Zdjęcie jest za małe.") and results(job)[fine.sku][0] == LISTED
    failed_offer = job.items.get(product=flaky).offer
    assert failed_offer.status == OfferStatus.ERROR

    retry = listing_job_retry_failed(job=job)
    assert retry.total == 1 and retry.options["retry_of"] == job.pk
    assert list(retry.items.values_list("product_id", flat=True)) == [flaky.pk]
    listing_job_run(job_id=retry.pk)
    retry.refresh_from_db()
    assert (retry.succeeded, retry.failed) == (1, 0)
    assert retry.items.get().offer_id == failed_offer.pk  # the same row (recorded intent) carried over
    assert len(emulator_offers(emulator, flaky.sku)) == 1 and len(emulator_offers(emulator, fine.sku)) == 1
    job.refresh_from_db()
    assert job.failed == 1  # the original run keeps its history

    with pytest.raises(ListingError):
        listing_job_retry_failed(job=retry)  # nothing failed


@pytest.mark.slow
def test_an_item_run_again_never_creates_a_second_offer(tree, account, emulator, monkeypatch):
    root, _child, _other = tree
    product = kettle(root)
    # The POST reaches Allegro but the answer is lost (timeout): the item retries inside the job, and the retry
    # finds the offer by external.id instead of posting again.
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 0.5)
    monkeypatch.setattr(listing_jobs, "INTERRUPTED_GRACE", 2.0)
    emulator.add_fault("^/sale/product-offers$", method="POST", delay_ms=1500, times=1)
    job = start(account, root)
    listing_job_run(job_id=job.pk, threads=1)
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 30)
    time.sleep(1.2)  # let the emulator finish the delayed POST
    item = job.items.get()
    assert item.result == LISTED, item.message
    assert [o["id"] for o in emulator_offers(emulator, product.sku)] == [item.offer.allegro_id]

    # A worker lost after the item's POST (task redelivered): the item is pending again and runs again.
    ListingJobItem.objects.filter(pk=item.pk).update(result=PENDING)
    ListingJob.objects.filter(pk=job.pk).update(status=ListingJob.Status.RUNNING, finished_at=None, done=0, succeeded=0)
    listing_job_run(job_id=job.pk)
    item.refresh_from_db()
    assert item.result == LISTED
    assert len(emulator_offers(emulator, product.sku)) == 1
    assert Offer.objects.filter(product=product).count() == 1


def test_threads_count_every_item_once(tree, account, emulator):
    root, child, _other = tree
    products = [kettle(root if n % 2 else child) for n in range(12)]
    emulator.set_settings(latency_ms=30)
    job = start(account, root)
    done = threading.Event()

    def run():
        listing_job_run(job_id=job.pk, threads=6)
        done.set()

    runner = threading.Thread(target=run)
    runner.start()
    seen = []
    while not done.wait(0.05):
        seen.append(listing_job_status(job=ListingJob.objects.get(pk=job.pk))["done"])
    runner.join()
    job.refresh_from_db()
    assert (job.done, job.succeeded, job.skipped, job.failed) == (12, 12, 0, 0)
    assert seen == sorted(seen)  # progress only moves forward
    assert len(emulator_offers(emulator)) == len(products)
    assert job.items.filter(result=PENDING).count() == 0


def test_start_refuses_an_empty_selection(tree, account):
    _root, _child, other = tree
    with pytest.raises(ListingError):
        start(account, other)


def test_two_runs_of_one_job_at_once_list_each_product_once(tree, account, emulator):
    """A redelivered task running beside the first one (acks_late): the job's lease lets one run work on it; the
    other answers "busy" (its task comes back later) — and a run that died is taken over once its lease lapsed."""
    root, _child, _other = tree
    products = [kettle(root) for _ in range(8)]
    emulator.set_settings(latency_ms=20)
    job = start(account, root)
    outcomes = []

    def run():
        outcomes.append(listing_job_run(job_id=job.pk, threads=3))

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(60)
    job.refresh_from_db()
    assert sorted(outcomes) == ["busy", "done"]
    assert (job.done, job.succeeded, job.failed) == (8, 8, 0)
    for product in products:
        assert len(emulator_offers(emulator, product.sku)) == 1
    assert Offer.objects.filter(account=account).count() == 8
    assert Lease.objects.get(key=f"listing:{job.pk}").owner == ""  # released

    # A run that died holding the lease: the next one waits until it lapses, then takes over.
    late = kettle(root)
    again = start(account, root, allow_relisting=False)
    lease_key = f"listing:{again.pk}"
    Lease.objects.create(key=lease_key, owner="dead", expires_at=timezone.now() + timedelta(seconds=60))
    assert listing_job_run(job_id=again.pk) == "busy"
    Lease.objects.filter(key=lease_key).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert listing_job_run(job_id=again.pk) == "done"
    assert Lease.objects.get(key=lease_key).taken_over
    assert results(again)[late.sku][0] == LISTED
    # The job's row says when it was taken over; the first job, never taken over, says nothing.
    again.refresh_from_db()
    assert again.taken_over_at is not None and job.taken_over_at is None


def catalogue(emulator, ean: str) -> list[dict]:
    """What Allegro's catalogue (the emulator's) holds under a GTIN."""
    api = emulator.api(emulator.user_token()["access_token"])
    return api.get(emulator.url("/sale/products"), params={"phrase": ean, "mode": "GTIN"}).json()["products"]


def form_with_product_parameters(account) -> None:
    """The kettles' category form holds what a new kettle product needs too (the product-level, required
    Pojemność and Kod producenta), so an EAN unknown to the catalogue can be proposed."""
    wanted = {d.name: d.id for d in category_parameters_fetch(app=account.app, allegro_id=KETTLE)}
    CategoryForm.objects.filter(allegro_category_id=KETTLE).update(
        values=[
            {"id": STAN, "valuesIds": [NOWY]},
            {"id": wanted["Pojemność"], "values": ["1.7"]},
            {"id": wanted["Kod producenta"], "values": ["CZ-17"]},
        ]
    )


@pytest.mark.tidy_only(reason="reads the catalogue's optional fields (parameters, names)")
def test_known_unknown_and_ambiguous_eans_down_to_the_offers_on_allegro(tree, account, emulator):
    root, _child, _other = tree
    form_with_product_parameters(account)
    known = kettle(root, ean=KETTLE_GTINS[1])
    unknown = kettle(root, ean=make_ean(990001))  # a valid EAN Allegro's catalogue never heard of
    shared = kettle(root, ean=KETTLE_SHARED_GTIN)  # two catalogue products (colour variants)
    assert len(catalogue(emulator, known.ean)) == 1 and not catalogue(emulator, unknown.ean)
    assert len(catalogue(emulator, shared.ean)) == 2

    preview = listing_preview(account=account, options=ListingOptions(), category=root)
    by_sku = {row.product.sku: row for row in preview.rows}
    assert by_sku[known.sku].listable and by_sku[unknown.sku].listable
    assert not by_sku[shared.sku].listable and "2" in by_sku[shared.sku].reasons[0]
    assert preview.triage.unknown_ean == [unknown]
    assert preview.triage.unknown_ean_label.startswith("1 ")
    (group,) = [g for g in preview.triage.groups if g.code == "ean_ambiguous"]
    assert group.products == [shared] and group.items[0].fix_url  # to "Wystaw na Allegro"

    job = start(account, root)
    listing_job_run(job_id=job.pk, threads=1)
    got = results(job)
    assert got[known.sku][0] == LISTED and got[unknown.sku][0] == LISTED and got[shared.sku][0] == SKIPPED

    (known_offer,) = emulator_offers(emulator, known.sku)
    assert known_offer["product_id"] == catalogue(emulator, known.ean)[0]["id"]  # linked to the catalogue's
    (proposed,) = catalogue(emulator, unknown.ean)  # the listing proposed a new product under the EAN
    assert (
        proposed["publication"]["status"] == "PROPOSED" and proposed["name"] == Offer.objects.get(product=unknown).title
    )
    (unknown_offer,) = emulator_offers(emulator, unknown.sku)
    assert unknown_offer["product_id"] == proposed["id"]
    assert not emulator_offers(emulator, shared.sku)


@pytest.mark.tidy_only(reason="reads the catalogue's optional fields (parameters, names)")
def test_a_job_without_a_preview_lists_every_ean_in_one_call_and_leaves_the_ambiguous_one_to_allegro(
    tree, account, emulator
):
    root, _child, _other = tree
    form_with_product_parameters(account)
    known = kettle(root, ean=KETTLE_GTINS[1])
    unknown = kettle(root, ean=make_ean(990002))
    shared = kettle(root, ean=KETTLE_SHARED_GTIN)
    since = emulator.requests()[-1]["seq"]

    job = start(account, root)  # straight to the job: no preview asked the catalogue first
    listing_job_run(job_id=job.pk, threads=1)

    got = results(job)
    assert got[known.sku][0] == LISTED and got[unknown.sku][0] == LISTED
    assert got[shared.sku][0] == FAILED and "GTIN" in got[shared.sku][1]  # Allegro's own refusal, in Polish
    paths = [(r["method"], r["path"]) for r in emulator.requests(since)]
    assert ("GET", "/sale/products") not in paths  # the products' data went with the EAN instead
    assert paths.count(("POST", "/sale/product-offers")) == 3
    (known_offer,) = emulator_offers(emulator, known.sku)
    assert known_offer["product_id"] == catalogue(emulator, known.ean)[0]["id"]  # Allegro linked the catalogue's
    (proposed,) = catalogue(emulator, unknown.ean)
    assert emulator_offers(emulator, unknown.sku)[0]["product_id"] == proposed["id"]
    assert not emulator_offers(emulator, shared.sku)
    assert Offer.objects.get(product=shared).status == OfferStatus.ERROR
