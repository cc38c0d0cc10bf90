"""Mass listing ("Masowe wystawianie aukcji"): a whole shop category (with its subcategories) or a
product selection listed on one Allegro account as a background job with per-product results.

How a job runs
--------------
``listing_job_start`` records the job and one pending item per product of the selection; its caller (the
admin page) then enqueues ``listing_job_run`` on commit. The run first skips, in bulk, what the filters exclude (hidden, out of stock,
already listed on the account unless "Kolejna aukcja tego przedmiotu" is ticked), then publishes the rest
**concurrently with a pool of threads inside the one task** (``ALLEGRO_LISTING_THREADS``, default 16):

* Publishing is I/O bound: each offer is an image upload and a ``POST /sale/product-offers``, each a ~100 ms
  round trip or more, plus a few ms of local work, so one thread manages ~3-4 offers/s while Allegro allows
  2490 writes/min (41.5/s) per seller: it takes 12-14 threads to fill that budget, 16 leave headroom for slow
  answers (bench/mass_listing.py: 1,000 offers in ~1.03x the limit's minimum time); more only queue in the limiter.
* Every call goes through the shared rate limiter (``bucket="offer_write"`` in the client), which spans
  processes (Redis or a DB row), so the job can never exceed the seller's limit — even beside other jobs
  or the sync engine writing for the same seller. The limit is per seller, so spreading one job over
  several Celery subtasks would not make it faster, only add broker round trips, a chord to finish it and
  more places for progress and cancel to go wrong.
* Each thread has its own DB connection (Django connections are per thread) and closes it when it ends.
* Progress counters move with ``F()`` expressions, and only when the item's own conditional update
  (``result='pending'`` → final) succeeded: a re-run item is never counted twice, no update is lost.
* "Anuluj" flips the job to cancelled; threads stop taking new items (they poll the flag at most every
  half second), items in flight finish, and the untouched ones are marked skipped ("cancelled").

Idempotency
--------------------------------------
An item's Offer row (the recorded intent) is saved and linked to the item **before** ``offer_publish`` is
called. A re-run of the item (task redelivered after a crash, "Ponów nieudane") reuses that row, and
``offer_publish`` looks the offer up by ``external.id`` before any new POST — so no second offer is created.
The task is therefore safe with ``acks_late`` + ``reject_on_worker_lost``. One run works on a job at a time (a
lease, ``listing:<job id>``, renewed by a heartbeat thread): a redelivered copy answers "busy" and comes back later, and
takes the job over once a dead run's lease has lapsed. A timeout or 5xx leaves the offer "activating"; the item is
tried again at the end of the run, after a grace period, so the lookup by external.id sees a POST that landed late.

Images are uploaded once per job: the job's threads share a cache ProductImage pk → Allegro URL.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Exists, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.accounts.models import AllegroAccount
from allegro.core.models import EventKind
from allegro.core.services.events import event_context, event_log
from allegro.core.services.leases import HeldLease, LeaseBusy, lease_hold, leases_carry, leases_held
from allegro.descriptions.services.offers import description_image_ref_parse
from allegro.integration.client import AllegroError, AllegroRateLimited, AllegroRetryLater
from allegro.listing.models import ListingJob, ListingJobItem
from allegro.offers.models import Offer, OfferStatus
from allegro.offers.services.offers import (
    OfferLookups,
    Triage,
    offer_prepare,
    offer_problems,
    offer_publish,
    offers_triage,
)
from allegro.offers.services.validation import OfferProblem
from shop.models import Category, Product

if TYPE_CHECKING:
    from django.contrib.auth.models import User


logger = logging.getLogger(__name__)

# An offer in one of these states counts as "already listed on this account" (ended but not yet archived
# can still be relisted with the same id, so listing the product again would duplicate it).
LISTED_STATUSES = (OfferStatus.ACTIVE, OfferStatus.ACTIVATING, OfferStatus.ENDED)
KEEP = "keep"  # the form value "use the account's default" (Duration has "" = until sold out)
CANCEL_POLL_SECONDS = 0.5
# Items a pool thread reads at once (fewer queries per item; small, so the threads share the work evenly).
ITEMS_PER_READ = 4
LEASE_RENEW_SECONDS = 10.0  # a run renews its lease this often; a redelivered task that found it held comes back
DEFAULT_THREADS = 16
# A timeout or 5xx on one product: the item is tried again at the end of the run (up to this many rounds), no
# sooner than INTERRUPTED_GRACE seconds later, so a POST Allegro was still processing has landed by the time the
# retry looks the offer up by external.id (a lookup right after the timeout could miss it and post twice).
TRANSIENT_ROUNDS = 3
INTERRUPTED_GRACE = 15.0


class ListingError(Exception):
    """A mass listing cannot be started or retried; the message is for the staff member."""


# --- options --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListingOptions:
    """What the staff member chose on the mass-listing form (stored in ``ListingJob.options``)."""

    only_visible: bool = True
    only_in_stock: bool = True
    allow_relisting: bool = False  # "Kolejna aukcja tego przedmiotu"
    template_id: int | None = None
    price_change_percent: Decimal | None = None
    duration: str | None = None  # None: the account's default; "" until sold out; "PT72H", ...
    quantity: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "only_visible": self.only_visible,
            "only_in_stock": self.only_in_stock,
            "allow_relisting": self.allow_relisting,
            "template_id": self.template_id,
            "price_change_percent": None if self.price_change_percent is None else str(self.price_change_percent),
            "duration": self.duration,
            "quantity": self.quantity,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ListingOptions:
        data = data or {}
        percent = data.get("price_change_percent")
        try:
            percent = None if percent in (None, "") else Decimal(str(percent))
        except InvalidOperation:
            percent = None
        return cls(
            only_visible=bool(data.get("only_visible", True)),
            only_in_stock=bool(data.get("only_in_stock", True)),
            allow_relisting=bool(data.get("allow_relisting", False)),
            template_id=data.get("template_id") or None,
            price_change_percent=percent,
            duration=data.get("duration"),
            quantity=data.get("quantity") or None,
        )

    def overrides(self) -> dict[str, Any]:
        """The ``overrides`` passed to ``offer_prepare`` (the same for every product of the job)."""
        overrides: dict[str, Any] = {}
        if self.price_change_percent:
            overrides["price_change_percent"] = self.price_change_percent
        if self.duration is not None and self.duration != KEEP:
            overrides["duration"] = self.duration
        if self.quantity:
            overrides["quantity"] = self.quantity
        if self.template_id:
            overrides["template"] = self.template_id
        return overrides


# --- selection and filters -------------------------------------------------------------------------------


def listing_scope(*, category: Category | None = None, product_ids: list[int] | None = None) -> QuerySet[Product]:
    """The products a mass listing is about: a category with all its subcategories, or a selection."""
    products = Product.objects.all()
    if product_ids is not None:
        products = products.filter(pk__in=product_ids)
    if category is not None:
        products = products.filter(category__path__startswith=category.path)
    return products.order_by("pk")


def _listed_offers(*, account: AllegroAccount) -> QuerySet[Offer]:
    return Offer.objects.filter(account=account, status__in=LISTED_STATUSES)


def listing_already_listed(*, account: AllegroAccount, product_ids: list[int] | None = None) -> dict[int, Offer]:
    """product id → one of its listed offers on ``account`` (active, activating, or ended and not archived)."""
    offers = _listed_offers(account=account).exclude(product__isnull=True)
    if product_ids is not None:
        offers = offers.filter(product_id__in=product_ids)
    found: dict[int, Offer] = {}
    for offer in offers.only("pk", "product_id", "allegro_id", "status").order_by("pk"):
        if offer.product_id is not None:  # excluded by the query; said again for the types
            found.setdefault(offer.product_id, offer)
    return found


def _offer_label(offer: Offer) -> str:
    return offer.allegro_id or f"#{offer.pk}"


def _filter_reasons(product: Product, *, options: ListingOptions, listed: dict[int, Offer]) -> list[str]:
    reasons = []
    if options.only_visible and not product.visible:
        reasons.append(_("Hidden in the shop."))
    if options.only_in_stock and product.stock is not None and product.stock <= 0:
        reasons.append(_("Out of stock."))
    if not options.allow_relisting and product.pk in listed:
        reasons.append(
            _("Already listed on this account (offer %(offer)s); tick “Another offer of this item” to list it again.")
            % {"offer": _offer_label(listed[product.pk])}
        )
    return reasons


# --- the offers service (single listing) -------------------------------------------------------------------


def _problem_text(problems: list[OfferProblem]) -> str:
    return " ".join(str(p.message) for p in problems)


class JobImageCache:
    """ProductImage pk → Allegro URL for one job run, shared by its threads. ``offer_publish`` uploads only the
    images an offer has no URL for (``Offer.image_urls``), so filling that from the cache before publishing and
    collecting it afterwards means an image is uploaded once per job, however often its item is retried."""

    def __init__(self) -> None:
        self._urls: dict[int, str] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._urls)

    def fill(self, offer: Offer, image_pks: list[int]) -> None:
        with self._lock:
            known = {pk: self._urls[pk] for pk in image_pks if pk in self._urls}
        if known:
            offer.image_urls = {**{str(pk): url for pk, url in known.items()}, **(offer.image_urls or {})}

    def collect(self, offer: Offer) -> None:
        urls = {int(pk): url for pk, url in (offer.image_urls or {}).items() if url}
        with self._lock:
            self._urls.update(urls)


# --- dry run ---------------------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    product: Product
    listable: bool
    reasons: list[str] = field(default_factory=list)
    price: Decimal | None = None  # the Allegro price after the job's price change


@dataclass
class ListingPreview:
    """What a mass listing would do, before anything is sent (the "dry run")."""

    rows: list[PreviewRow]
    triage: Triage | None = None
    reason_counts: list[tuple[str, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def to_list(self) -> int:
        return sum(1 for r in self.rows if r.listable)

    @property
    def to_skip(self) -> int:
        return self.total - self.to_list


def listing_preview(
    *,
    account: AllegroAccount,
    options: ListingOptions,
    category: Category | None = None,
    product_ids: list[int] | None = None,
) -> ListingPreview:
    """The dry run: every product of the selection, whether it would be listed and, if not, why — the filters
    first, then the local validation (``offers_triage``) of the rest. Nothing is sent to Allegro."""
    products = list(listing_scope(category=category, product_ids=product_ids).select_related("category"))
    listed = (
        {} if options.allow_relisting else listing_already_listed(account=account, product_ids=[p.pk for p in products])
    )
    rows: dict[int, PreviewRow] = {}
    candidates = []
    for product in products:
        reasons = _filter_reasons(product, options=options, listed=listed)
        rows[product.pk] = PreviewRow(product=product, listable=not reasons, reasons=reasons)
        if not reasons:
            candidates.append(product)
    # The same overrides as the job applies: a price change or a quantity shows, and is checked, here too.
    triage = (
        offers_triage(products=candidates, account=account, overrides=options.overrides() or None)
        if candidates
        else None
    )
    prepared = triage.offers if triage else {}
    for product_id, problems in (triage.problems if triage else {}).items():
        row = rows.get(product_id)
        if row is None:
            continue
        row.price = prepared[product_id].price
        if problems:
            row.listable = False
            row.reasons.extend(str(p.message) for p in problems)
    counts = Counter(reason for row in rows.values() for reason in row.reasons)
    return ListingPreview(rows=list(rows.values()), triage=triage, reason_counts=counts.most_common())


# --- starting, cancelling, retrying ----------------------------------------------------------------------


@transaction.atomic
def listing_job_start(
    *,
    account: AllegroAccount,
    options: ListingOptions,
    actor: User | None = None,
    category: Category | None = None,
    product_ids: list[int] | None = None,
    retry_of: ListingJob | None = None,
) -> ListingJob:
    """Record a mass listing with one pending item per product of the selection; the caller starts it in
    Celery after commit (``listing_job_run``). The filters are applied when it runs, so the results say why
    a product was skipped."""
    if not account.is_connected:
        raise ListingError(_("The Allegro account %(name)s is not connected.") % {"name": account})
    if category is None and not product_ids:
        raise ListingError(_("Choose a shop category or select products."))
    ids = list(listing_scope(category=category, product_ids=product_ids).values_list("pk", flat=True))
    if not ids:
        raise ListingError(_("There are no products to list in this selection."))
    stored = options.to_json()
    if product_ids is not None:
        stored["product_ids"] = ids
    if retry_of is not None:
        stored["retry_of"] = retry_of.pk
    job = ListingJob.objects.create(
        account=account,
        kind=ListingJob.Kind.LIST,
        status=ListingJob.Status.PENDING,
        category=category,
        options=stored,
        total=len(ids),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    reuse = _retry_offers(retry_of) if retry_of is not None else {}
    ListingJobItem.objects.bulk_create(
        [ListingJobItem(job=job, product_id=pk, offer_id=reuse.get(pk)) for pk in ids], batch_size=500
    )
    event_log(
        kind=EventKind.OFFER,
        action="mass listing started",
        message=_("Mass listing #%(job)s started: %(count)s products.") % {"job": job.pk, "count": len(ids)},
        account=account,
        actor=actor,
    )
    return job


def _retry_offers(job: ListingJob) -> dict[int, int]:
    """product id → the failed item's Offer row, reused by the retry so its recorded intent carries over: a row
    left "activating" by a timeout is looked up by external.id before any new POST (never listed twice)."""
    return dict(
        job.items.filter(result=ListingJobItem.Result.FAILED, offer__isnull=False).values_list("product_id", "offer_id")
    )


def listing_job_retry_failed(*, job: ListingJob, actor: User | None = None) -> ListingJob:
    """ "Ponów nieudane": a new job over the failed items of ``job`` only, with the same options (started by
    the caller, as ``listing_job_start``'s jobs are)."""
    if job.status in (ListingJob.Status.PENDING, ListingJob.Status.RUNNING):
        raise ListingError(_("Wait until the job has finished before retrying its failed products."))
    failed = list(job.items.filter(result=ListingJobItem.Result.FAILED).values_list("product_id", flat=True))
    if not failed:
        raise ListingError(_("This job has no failed products."))
    options = ListingOptions.from_json(job.options)
    return listing_job_start(
        account=job.account, options=options, actor=actor, product_ids=failed, retry_of=job, category=None
    )


def listing_job_cancel(*, job: ListingJob, actor: User | None = None) -> bool:
    """ "Anuluj": no new items are taken; items being published finish. False when the job had already ended."""
    not_started = ListingJob.objects.filter(pk=job.pk, status=ListingJob.Status.PENDING).update(
        status=ListingJob.Status.CANCELLED
    )
    running = 0
    if not not_started:
        running = ListingJob.objects.filter(pk=job.pk, status=ListingJob.Status.RUNNING).update(
            status=ListingJob.Status.CANCELLED
        )
    if not (not_started or running):
        return False
    event_log(
        kind=EventKind.OFFER,
        action="mass listing cancelled",
        message=_("Mass listing #%(job)s cancelled.") % {"job": job.pk},
        account=job.account,
        actor=actor,
    )
    if not_started:
        _finish(job.pk)  # no run picked it up yet; one that starts later finds it finished
    return True


# --- running ---------------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    result: str
    message: str = ""
    offer: Offer | None = None


class _Runner:
    def __init__(self, job: ListingJob, *, deadline: float | None) -> None:
        self.job = job
        self.account = job.account
        self.options = ListingOptions.from_json(job.options)
        self.actor = job.created_by
        self.overrides = self.options.overrides()
        self.lookups = OfferLookups(self.account)
        # An EAN is looked up only where it decides something (see OfferLookups.ask_catalogue); the rest are sent
        # with the product's data and Allegro matches them: one write per offer, no read before it.
        self.lookups.ask_catalogue = False
        # Per-product delivery price lists read once for the whole job, as offers_triage does.
        from allegro.categories.models import ProductParameters
        from allegro.shipping.models import ProductShippingRates

        job_products = ListingJobItem.objects.filter(job=job).values("product_id")
        self.lookups.shipping_overrides = dict(
            ProductShippingRates.objects.filter(account=self.account, product_id__in=job_products).values_list(
                "product_id", "rate_set__allegro_id"
            )
        )
        # And the products' own parameter values (a few products have them), not one query per product.
        self.lookups.own_parameters = {
            (row["product_id"], row["allegro_category_id"]): row["values"]
            for row in ProductParameters.objects.filter(product_id__in=job_products).values(
                "product_id", "allegro_category_id", "values"
            )
        }
        self.images = JobImageCache()
        self.deadline = deadline
        self._stop = threading.Event()
        self.deferred: list[tuple[int, float]] = []
        self._deferred_lock = threading.Lock()
        self._checked_at = 0.0
        self._check_lock = threading.Lock()

    # cancel / time budget
    def should_stop(self) -> bool:
        if self._stop.is_set():
            return True
        if self.deadline is not None and time.monotonic() > self.deadline:
            self._stop.set()
            return True
        now = time.monotonic()
        with self._check_lock:
            if now - self._checked_at < CANCEL_POLL_SECONDS:
                return False
            self._checked_at = now
        status = ListingJob.objects.filter(pk=self.job.pk).values_list("status", flat=True).first()
        if status != ListingJob.Status.RUNNING:
            self._stop.set()
        return self._stop.is_set()

    # items
    def process_many(self, item_ids: list[int], *, last_round: bool = True) -> None:
        """Items read together (two queries for a few items, not two each), then listed one by one. A row read
        a moment early is safe: whether the item is still to do is decided again under its product's lock."""
        items = {
            item.pk: item
            for item in ListingJobItem.objects.select_related("product", "product__category", "offer")
            .prefetch_related("product__images")
            .filter(pk__in=item_ids)
        }
        for item_id in item_ids:
            if item_id in items:
                if self.should_stop():
                    return
                self._process(items[item_id], last_round=last_round)

    def process(self, item_id: int, *, last_round: bool = True) -> None:
        self.process_many([item_id], last_round=last_round)

    def _process(self, item: ListingJobItem, *, last_round: bool) -> None:
        item_id = item.pk
        if item.result != ListingJobItem.Result.PENDING:
            return
        try:
            outcome = self._list_one(item)
        except (AllegroRetryLater, AllegroRateLimited) as exc:
            # The offer row stays "activating": the next round looks it up by external.id before posting.
            if not last_round:
                with self._deferred_lock:
                    self.deferred.append((item_id, time.monotonic()))
                return
            outcome = _Outcome(ListingJobItem.Result.FAILED, _allegro_message(exc), _saved(item.offer))
        except AllegroError as exc:
            outcome = _Outcome(ListingJobItem.Result.FAILED, _allegro_message(exc), _saved(item.offer))
        except Exception as exc:  # noqa: BLE001 - one product's failure must not stop the job
            logger.exception("mass listing %s: product %s failed", self.job.pk, item.product_id)
            outcome = _Outcome(ListingJobItem.Result.FAILED, str(exc) or type(exc).__name__, _saved(item.offer))
        if outcome is not None:  # None: another run of this job took the item meanwhile
            _record(self.job.pk, item.pk, outcome)

    def _list_one(self, item: ListingJobItem) -> _Outcome | None:
        product = item.product
        offer = item.offer
        if offer is not None and offer.allegro_id:
            if offer.status in (OfferStatus.ACTIVE, OfferStatus.ACTIVATING):
                return _Outcome(ListingJobItem.Result.LISTED, "", offer)  # a re-run: it is already there
            # It exists on Allegro (an inactive draft, or refused after a 202): posting again would duplicate it.
            return _Outcome(
                ListingJobItem.Result.FAILED,
                _("The offer %(offer)s exists on Allegro but is not active (%(status)s): %(error)s")
                % {"offer": offer.allegro_id, "status": offer.get_status_display(), "error": offer.last_error},
                offer,
            )
        if offer is not None and offer.status == OfferStatus.ACTIVATING:
            # An interrupted attempt: publish the same row unchanged, so offer_publish looks it up first.
            return self._publish(offer)
        fresh, problems = self._prepare(product)
        if problems:
            return _Outcome(ListingJobItem.Result.SKIPPED, _problem_text(problems), offer)
        intent = self._record_intent(item, fresh)
        if isinstance(intent, _Taken):
            return None
        if intent is None:
            listed = listing_already_listed(account=self.account, product_ids=[product.pk]).get(product.pk)
            return _Outcome(
                ListingJobItem.Result.SKIPPED,
                _("Already listed on this account (offer %(offer)s).")
                % {"offer": _offer_label(listed) if listed else "?"},
            )
        return self._publish(intent)

    def _prepare(self, product: Product) -> tuple[Offer, list[OfferProblem]]:
        """``offer_prepare`` + ``offer_problems`` of one product. The job's products share one set of per-category
        lookups (mapping, parameter definitions, category form, template, price list), as ``offers_triage`` does:
        each product then costs a few queries instead of some forty, which is what lets the threads keep up
        with Allegro's write limit instead of waiting for the database and the GIL."""
        offer = offer_prepare(
            product=product, account=self.account, overrides=self.overrides or None, lookups=self.lookups
        )
        return offer, list(offer_problems(offer=offer, lookups=self.lookups))

    def _publish(self, offer: Offer) -> _Outcome:
        self.images.fill(offer, [int(pk) for pk in _image_pks(offer)])
        published = offer_publish(offer=offer, actor=self.actor, lookups=self.lookups)
        self.images.collect(published)
        if published.status in (OfferStatus.ACTIVE, OfferStatus.ACTIVATING):
            return _Outcome(ListingJobItem.Result.LISTED, "", published)
        return _Outcome(
            ListingJobItem.Result.FAILED, published.last_error or _("Allegro did not accept the offer."), published
        )

    def _record_intent(self, item: ListingJobItem, fresh: Offer) -> Offer | _Taken | None:
        """Save the offer row and link it to the item before anything is sent (the recorded intent). Under the
        product's row lock, so two jobs listing the same product on one account cannot both go ahead.
        None: the product got listed on the account meanwhile (and another offer was not asked for)."""
        with transaction.atomic():
            still_mine, listed_elsewhere = _lock_and_check(
                item, account=self.account, check_listed=not self.options.allow_relisting
            )
            if not still_mine:
                return _TAKEN  # a second run of the job (a redelivered task) got here first
            if listed_elsewhere:
                return None
            offer = item.offer
            if offer is None:
                offer = fresh
            else:
                _refresh_from(offer, fresh)  # a refused offer retried: same row, content prepared again
            if offer.created_by_id is None and getattr(self.actor, "pk", None):
                offer.created_by = self.actor
            offer.save()
            ListingJobItem.objects.filter(pk=item.pk).update(offer=offer)
            item.offer = offer
        return offer


class _Taken:
    """What _record_intent answers when another run of the job took the item first."""


_TAKEN = _Taken()


def _saved(offer: Offer | None) -> Offer | None:
    return offer if offer is not None and offer.pk else None


def _image_pks(offer: Offer) -> list[int]:
    pks = []
    for entry in offer.images or []:
        pk = description_image_ref_parse(url=entry)
        if pk is not None:
            pks.append(pk)
    return pks


def _lock_and_check(item: ListingJobItem, *, account: AllegroAccount, check_listed: bool) -> tuple[bool, bool]:
    """Lock the item's product row and answer in the same query (one per offer: it runs for every item of a
    mass listing): is the item still pending with the offer this run saw, and (``check_listed``) is the product
    listed on the account by another offer, or being listed right now by another job?"""
    own = item.offer_id
    mine = ListingJobItem.objects.filter(pk=item.pk, result=ListingJobItem.Result.PENDING)
    mine = mine.filter(offer_id=own) if own else mine.filter(offer__isnull=True)
    checks: dict[str, Exists] = {"mine": Exists(mine)}
    if check_listed:
        listed = _listed_offers(account=account).filter(product_id=item.product_id)
        in_flight = ListingJobItem.objects.filter(
            product_id=item.product_id,
            job__account=account,
            job__status=ListingJob.Status.RUNNING,
            result=ListingJobItem.Result.PENDING,
            offer__isnull=False,
        ).exclude(job_id=item.job_id)
        if own:
            listed = listed.exclude(pk=own)
            in_flight = in_flight.exclude(offer_id=own)
        checks |= {"listed": Exists(listed), "in_flight": Exists(in_flight)}
    row = (
        Product.objects.select_for_update()
        .filter(pk=item.product_id)
        .annotate(**checks)
        .values_list(*checks, named=True)
        .first()
    )
    if row is None:  # the product is gone, and its items with it
        return False, False
    return row.mine, check_listed and (row.listed or row.in_flight)


# Kept on a retried row: its identity, and the images it already uploaded.
_NOT_REFRESHED = {
    "id",
    "account",
    "product",
    "allegro_id",
    "external_id",
    "created_at",
    "created_by",
    "replaces",
    "image_urls",
}


def _refresh_from(offer: Offer, fresh: Offer) -> None:
    """Copy freshly prepared content onto a row Allegro refused (status error: nothing was created), so a product
    fixed since then is sent as it is now."""
    for f in Offer._meta.concrete_fields:
        if f.name not in _NOT_REFRESHED and not f.primary_key:
            setattr(offer, f.attname, getattr(fresh, f.attname))


def _allegro_message(exc: AllegroError) -> str:
    messages = [m for m in exc.user_messages if m]
    return " ".join(messages) or str(exc)


_COUNTER: dict[str, str] = {
    ListingJobItem.Result.LISTED: "succeeded",
    ListingJobItem.Result.SKIPPED: "skipped",
    ListingJobItem.Result.FAILED: "failed",
}


def _record(job_id: int, item_id: int, outcome: _Outcome) -> None:
    """The item's result and the job's counters, in one transaction; counted only by the update that moved
    the item out of "pending", so a repeat cannot count it twice."""
    with transaction.atomic():
        changed = ListingJobItem.objects.filter(pk=item_id, result=ListingJobItem.Result.PENDING).update(
            result=outcome.result,
            message=outcome.message[:2000],
            offer=outcome.offer if outcome.offer is not None and outcome.offer.pk else None,
            updated_at=timezone.now(),
        )
        if changed:
            ListingJob.objects.filter(pk=job_id).update(
                done=F("done") + 1, **{_COUNTER[outcome.result]: F(_COUNTER[outcome.result]) + 1}
            )


def _skip_filtered(runner: _Runner) -> None:
    """Mark, in bulk, the items the filters exclude, each with its reason."""
    options = runner.options
    pending = ListingJobItem.objects.filter(job=runner.job, result=ListingJobItem.Result.PENDING)
    checks: list[tuple[Q, str]] = []
    if options.only_visible:
        checks.append((Q(product__visible=False), _("Hidden in the shop.")))
    if options.only_in_stock:
        checks.append((Q(product__stock__lte=0), _("Out of stock.")))
    for condition, reason in checks:
        ids = list(pending.filter(condition).values_list("pk", flat=True))
        _skip_many(runner.job.pk, ids, reason)
    if not options.allow_relisting:
        rows = list(pending.values_list("pk", "product_id", "offer_id"))
        own = {offer_id for _pk, _product, offer_id in rows if offer_id}
        listed: dict[int, Offer] = {}
        for offer in (
            _listed_offers(account=runner.account)
            .filter(product_id__in=[product_id for _pk, product_id, _o in rows])
            .exclude(pk__in=own)
            .only("pk", "product_id", "allegro_id", "status")
            .order_by("pk")
        ):
            if offer.product_id is not None:  # filtered by product by the query
                listed.setdefault(offer.product_id, offer)
        by_reason: dict[str, list[int]] = {}
        for pk, product_id, _offer_id in rows:
            other = listed.get(product_id)
            if other is not None:
                reason = _(
                    "Already listed on this account (offer %(offer)s); tick “Another offer of this item” to list it again."
                ) % {"offer": _offer_label(other)}
                by_reason.setdefault(reason, []).append(pk)
        for reason, ids in by_reason.items():
            _skip_many(runner.job.pk, ids, reason)


def _skip_many(job_id: int, item_ids: list[int], reason: str) -> None:
    for start in range(0, len(item_ids), 500):
        chunk = item_ids[start : start + 500]
        with transaction.atomic():
            changed = ListingJobItem.objects.filter(pk__in=chunk, result=ListingJobItem.Result.PENDING).update(
                result=ListingJobItem.Result.SKIPPED, message=reason, updated_at=timezone.now()
            )
            if changed:
                ListingJob.objects.filter(pk=job_id).update(done=F("done") + changed, skipped=F("skipped") + changed)


def _threads(threads: int | None) -> int:
    configured: int = getattr(settings, "ALLEGRO_LISTING_THREADS", DEFAULT_THREADS)
    return max(1, int(threads or configured))


DONE, MORE, BUSY = "done", "more", "busy"


def listing_job_run(*, job_id: int, threads: int | None = None, time_budget: float | None = None) -> str:
    """Run (or resume) a mass listing. Returns "done" when the job is over, "more" when ``time_budget`` seconds ran
    out with items left, "busy" when another run of the job holds its lease (the task comes back later). Safe to run
    again: done items are left alone, and one run at a time works on a job (a redelivered task waits)."""
    job = ListingJob.objects.select_related("account", "account__app", "created_by").filter(pk=job_id).first()
    if job is None or job.finished_at is not None:
        return DONE
    if job.status == ListingJob.Status.CANCELLED:
        _finish(job.pk)
        return DONE
    try:
        with lease_hold(key=f"listing:{job.pk}") as lease:
            if lease.taken_over:
                ListingJob.objects.filter(pk=job.pk).update(taken_over_at=timezone.now())
                event_log(
                    kind=EventKind.OFFER,
                    action="listing_job_taken_over",
                    message=_(
                        "Mass listing #%(job)s was taken over after its previous run stopped without finishing (its "
                        "worker died); products already listed are left alone."
                    )
                    % {"job": job.pk},
                    account=job.account,
                )
            return _run(job, lease=lease, threads=threads, time_budget=time_budget)
    except LeaseBusy:
        return BUSY


def _run(job: ListingJob, *, lease: HeldLease, threads: int | None, time_budget: float | None) -> str:
    ListingJob.objects.filter(pk=job.pk, status=ListingJob.Status.PENDING).update(status=ListingJob.Status.RUNNING)
    if _cancelled(job.pk):  # cancelled between the read and the claim
        _finish(job.pk)
        return DONE
    job.status = ListingJob.Status.RUNNING
    deadline = time.monotonic() + time_budget if time_budget else None
    runner = _Runner(job, deadline=deadline)
    lease.on_lost = runner._stop.set
    with event_context(actor=job.created_by):
        _skip_filtered(runner)
        pending = list(
            ListingJobItem.objects.filter(job=job, result=ListingJobItem.Result.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for round_number in range(TRANSIENT_ROUNDS):
            last_round = round_number + 1 == TRANSIENT_ROUNDS
            if round_number:
                if not runner.deferred or runner.should_stop():
                    break
                pending, oldest = [i for i, _at in runner.deferred], min(at for _i, at in runner.deferred)
                runner.deferred = []
                while time.monotonic() < oldest + INTERRUPTED_GRACE and not runner.should_stop():
                    time.sleep(min(0.5, max(0.0, oldest + INTERRUPTED_GRACE - time.monotonic())))
            count = min(_threads(threads), max(1, len(pending)))
            if count == 1:
                for item_id in pending:
                    if runner.should_stop():
                        break
                    runner.process(item_id, last_round=last_round)
            else:
                _run_pool(runner, pending, count, last_round=last_round)
    if lease.lost:
        return BUSY  # another run took the job over: it finishes it
    if runner._stop.is_set() and not _cancelled(job.pk):
        if ListingJobItem.objects.filter(job=job, result=ListingJobItem.Result.PENDING).exists():
            return MORE
    _finish(job.pk)
    return DONE


def _run_pool(runner: _Runner, item_ids: list[int], count: int, *, last_round: bool) -> None:
    queue = iter(item_ids)
    queue_lock = threading.Lock()
    actor = runner.actor
    leases = leases_held()

    def worker() -> None:
        try:
            with event_context(actor=actor), leases_carry(leases):  # contextvars do not follow into pool threads
                while not runner.should_stop():
                    with queue_lock:
                        item_ids = list(itertools.islice(queue, ITEMS_PER_READ))
                    if not item_ids:
                        return
                    runner.process_many(item_ids, last_round=last_round)
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=count, thread_name_prefix=f"listing-{runner.job.pk}") as pool:
        futures = [pool.submit(worker) for _ in range(count)]
        for future in futures:
            future.result()
    close_old_connections()


def _cancelled(job_id: int) -> bool:
    return ListingJob.objects.filter(pk=job_id, status=ListingJob.Status.CANCELLED).exists()


def _finish(job_id: int) -> None:
    """Close the job: items never started by a cancelled job are marked skipped; the status becomes done
    (or stays cancelled) and the time is stamped once."""
    job = ListingJob.objects.select_related("account").get(pk=job_id)
    if job.status == ListingJob.Status.CANCELLED:
        ids = list(job.items.filter(result=ListingJobItem.Result.PENDING).values_list("pk", flat=True))
        _skip_many(job.pk, ids, _("Not listed: the job was cancelled."))
    updated = ListingJob.objects.filter(pk=job.pk, finished_at__isnull=True).update(
        status=(ListingJob.Status.CANCELLED if job.status == ListingJob.Status.CANCELLED else ListingJob.Status.DONE),
        finished_at=timezone.now(),
    )
    if updated:
        job.refresh_from_db()
        event_log(
            kind=EventKind.OFFER,
            action="mass listing finished",
            message=_("Mass listing #%(job)s: %(listed)s listed, %(skipped)s skipped, %(failed)s failed.")
            % {"job": job.pk, "listed": job.succeeded, "skipped": job.skipped, "failed": job.failed},
            account=job.account,
            success=not job.failed,
        )


def listing_job_fail(*, job_id: int, message: str) -> None:
    """The run itself broke (not one product): the job is marked failed so the page stops waiting."""
    ListingJob.objects.filter(pk=job_id, status__in=[ListingJob.Status.PENDING, ListingJob.Status.RUNNING]).update(
        status=ListingJob.Status.FAILED, finished_at=timezone.now()
    )
    job = ListingJob.objects.select_related("account").filter(pk=job_id).first()
    if job is not None:
        event_log(
            kind=EventKind.ERROR, action="mass listing failed", message=message, account=job.account, success=False
        )


# --- status for the progress page ------------------------------------------------------------------------


def listing_job_status(*, job: ListingJob) -> dict[str, Any]:
    """The small JSON the progress page polls."""
    job.refresh_from_db(fields=["status", "total", "done", "succeeded", "skipped", "failed", "finished_at"])
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "total": job.total,
        "done": job.done,
        "succeeded": job.succeeded,
        "skipped": job.skipped,
        "failed": job.failed,
        "percent": job.progress_percent,
        "finished": job.finished_at is not None,
    }
