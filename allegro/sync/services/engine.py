"""The synchronisation engine: what an offer needs to match the shop (prices, stock, closing sold-out offers,
renewing ended ones), the context of one account's run, sending the changes, and ``sync_account_run``, which runs
steps for one account under its lock and records a SyncRun. The steps themselves and the entry points
("Synchronizuj aukcje", ``manage.py allegro_sync``, the tasks) are in ``allegro.sync.services.steps``.

Every writer respects the account's switches ("Parametry synchronizacji") unless the staff member asks for a
step explicitly (``only=``). One sync per account at a time (a lease, ``sync:<account id>``, renewed while the run works); each run leaves a SyncRun.

Which switch allows what:
- ``sync_prices``: the offer price follows the shop price (markup %, then the account's rounding).
- ``sync_stock``: the offer quantity follows the shop stock (untracked stock: the account's default quantity).
- ``sync_close_sold_out``: offers of products with stock 0, hidden or deleted are ended (reason kept).
- reactivation when stock returns (offers with "Wystaw ponownie po zakończeniu"): ``sync_renew_ended`` OR
  ``sync_close_sold_out`` — an owner who lets the panel close sold-out offers expects them back.
- ``sync_renew_ended``: the periodic renewal of every ended offer with "Wystaw ponownie".
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.accounts.models import AllegroAccount
from allegro.core.models import EventKind
from allegro.core.services.events import event_context, event_log
from allegro.core.services.leases import LeaseBusy, LeaseLost, lease_hold
from allegro.integration.client import AllegroClient, AllegroError, AllegroReauthRequired, ApiResponse
from allegro.offers.models import Offer, OfferFormat, OfferStatus
from allegro.sync.models import AccountPriceRule, PriceRounding, SyncRun
from allegro.sync.services.commands import Change, Outcome, Stop, commands_execute, commands_plan
from allegro.sync.services.queue import LIVE_STATUSES

CENT = Decimal("0.01")


# --- targets ------------------------------------------------------------------------------------------------


def offer_target_price(*, account: AllegroAccount, shop_price: Decimal, rounding: str = PriceRounding.NONE) -> Decimal:
    """The offer price for a shop price: markup in % (ROUND_HALF_UP to the grosz), then the rounding rule."""
    markup = account.price_markup_percent or Decimal("0")
    value = (Decimal(shop_price) * (Decimal("100") + markup) / Decimal("100")).quantize(CENT, rounding=ROUND_HALF_UP)
    if rounding == PriceRounding.WHOLE:
        value = max(Decimal("1"), value.quantize(Decimal("1"), rounding=ROUND_HALF_UP)).quantize(CENT)
    elif rounding == PriceRounding.ENDS_99:
        # the nearest price ending in ,99: 10,20 → 9,99; 10,60 → 10,99 (never below 0,99)
        value = max(Decimal("1"), value.quantize(Decimal("1"), rounding=ROUND_HALF_UP)) - CENT
    return value


def account_price_rounding(*, account: AllegroAccount) -> str:
    rule = AccountPriceRule.objects.filter(account=account).values_list("rounding", flat=True).first()
    return rule or PriceRounding.NONE


def product_end_reason(*, product) -> str:
    """Why an offer of this product may not sell: deleted, hidden or sold out ("" when it may)."""
    if product is None:
        return _("product deleted from the shop")
    if not product.visible:
        return _("product hidden in the shop")
    if product.stock is not None and product.stock <= 0:
        return _("sold out in the shop")
    return ""


def offer_target_quantity(*, account: AllegroAccount, product) -> int:
    return int(product.stock) if product.stock is not None else int(account.default_quantity or 1)


def account_sync_parts(*, account: AllegroAccount) -> set[str]:
    parts = set()
    if account.sync_prices:
        parts.add("prices")
    if account.sync_stock:
        parts.add("stock")
    if account.sync_close_sold_out:
        parts.add("close")
    if account.sync_renew_ended or account.sync_close_sold_out:
        parts.add("activate")
    return parts


ALL_PARTS = frozenset({"prices", "stock", "close", "activate"})


def offer_change(*, offer: Offer, account: AllegroAccount, parts: set[str], rounding: str) -> Change | None:
    """What this offer needs to match the shop under ``parts``; None when nothing."""
    product = offer.product
    reason = product_end_reason(product=product)
    buy_now = offer.format == OfferFormat.BUY_NOW
    current_price = offer.confirmed_price if offer.confirmed_price is not None else offer.price
    current_quantity = offer.confirmed_quantity if offer.confirmed_quantity is not None else offer.quantity
    change = Change(offer=offer)
    if offer.status in LIVE_STATUSES:
        if reason and "close" in parts:
            change.end = reason
            return change
        if product is None:
            return None
        if buy_now and "prices" in parts:
            target = offer_target_price(account=account, shop_price=product.price, rounding=rounding)
            if target != current_price:
                change.price = target
        if buy_now and "stock" in parts:
            target_q = offer_target_quantity(account=account, product=product)
            if target_q > 0 and target_q != current_quantity:
                change.quantity = target_q
    elif offer.status == OfferStatus.ENDED and offer.renew_after_end and "activate" in parts:
        if reason or product is None:
            return None  # renewal never relists a hidden, deleted or sold-out product
        if buy_now:
            target_q = offer_target_quantity(account=account, product=product)
            if target_q != current_quantity or not current_quantity:
                change.quantity = max(1, target_q)
            if "prices" in parts:
                target = offer_target_price(account=account, shop_price=product.price, rounding=rounding)
                if target != current_price:
                    change.price = target
        change.activate = True
        change.why = _("stock is back in the shop")
    return None if change.empty else change


# --- context ------------------------------------------------------------------------------------------------


@dataclass
class SyncContext:
    account: AllegroAccount
    run: SyncRun
    opened_client: AllegroClient | None  # opened by sync_run under the account's lease, before the first step
    dry_run: bool
    forced: bool
    counts: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    outcome: Outcome = field(default_factory=Outcome)
    rounding: str = PriceRounding.NONE
    previewed: set[int] = field(default_factory=set)  # offers a preview has already counted

    @property
    def client(self) -> AllegroClient:
        if self.opened_client is None:
            raise RuntimeError("the steps of a synchronisation run inside sync_run, which opens the client")
        return self.opened_client

    def parts(self, wanted: set[str] | frozenset[str] = ALL_PARTS) -> set[str]:
        return set(wanted) if self.forced else set(wanted) & account_sync_parts(account=self.account)


def sync_client(*, account: AllegroAccount, counter: Counter) -> AllegroClient:
    """The account's client with a counting hook instead of one event-log row per call: a sync sends hundreds
    of commands, and logs one summary per run plus one row per refused offer."""
    from allegro.accounts.services.accounts import account_client

    client = account_client(account=account)

    def on_call(response: ApiResponse | None, error: AllegroError | None) -> None:
        counter["calls"] += 1
        method = response.method if response is not None else (error.method if error else "")
        if method and method != "GET":
            counter["write_calls"] += 1
        if error is not None:
            counter["failed_calls"] += 1

    client.on_call = on_call
    return client


def changes_send(*, ctx: SyncContext, changes: list[Change], label: str) -> None:
    """Send the changes (or, in a preview, count what would be sent)."""
    changes = [c for c in changes if c is not None and not c.empty]
    if ctx.dry_run:
        # Nothing is sent in a preview, so a later step plans the same change again: count each offer once.
        changes = [c for c in changes if c.offer.pk not in ctx.previewed]
        ctx.previewed.update(c.offer.pk for c in changes)
    ends = sum(1 for c in changes if c.end)
    prices = sum(1 for c in changes if c.price is not None)
    quantities = sum(1 for c in changes if c.quantity is not None)
    activations = sum(1 for c in changes if c.activate)
    if ctx.dry_run:
        phase1, phase2 = commands_plan(changes=changes)
        ctx.counts.update(
            {
                "would_end": ends,
                "would_change_price": prices,
                "would_change_quantity": quantities,
                "would_activate": activations,
                "would_send_commands": len(phase1) + len(phase2),
            }
        )
        sample = ctx.run.details.setdefault("preview", [])
        for c in changes[: max(0, 200 - len(sample))]:
            sample.append(
                {
                    "offer": c.offer.allegro_id,
                    "title": c.offer.title,
                    "end": c.end,
                    "price": str(c.price) if c.price is not None else None,
                    "quantity": c.quantity,
                    "activate": c.activate,
                }
            )
        return
    if not changes:
        return
    outcome = commands_execute(client=ctx.client, account=ctx.account, run=ctx.run, changes=changes)
    ctx.outcome.merge(outcome)
    ctx.counts.update({f"{kind}_ok": n for kind, n in outcome.succeeded.items()})
    ctx.counts.update({f"{kind}_failed": n for kind, n in outcome.failed.items()})
    if outcome.failed:
        ctx.errors.extend(f"{oid}: {message}" for oid, _kind, message in outcome.failures[:50])
    event_log(
        kind=EventKind.SYNC,
        action=f"sync {label}"[:60],
        message=_(
            "%(label)s: %(ended)d ended, %(prices)d prices and %(quantities)d quantities changed, %(activated)d "
            "activated, %(failed)d refused, in %(commands)d commands."
        )
        % {
            "label": label,
            "ended": outcome.succeeded.get("end", 0),
            "prices": outcome.succeeded.get("price", 0),
            "quantities": outcome.succeeded.get("quantity", 0),
            "activated": outcome.succeeded.get("activate", 0),
            "failed": sum(outcome.failed.values()),
            "commands": len(outcome.commands),
        },
        account=ctx.account,
        success=not outcome.failed,
        request_summary={"commands": outcome.commands[:50], "bulk_offers": outcome.succeeded.get("bulk", 0)},
    )


def sync_account_run(
    *,
    account: AllegroAccount,
    steps: dict[str, Callable[[SyncContext], None]],
    forced: bool = False,
    actor=None,
    dry_run: bool = False,
    trigger: str = SyncRun.Trigger.MANUAL,
) -> SyncRun:
    """Run ``steps`` (name → function, in order; the names are recorded on the SyncRun) for one account under
    its lock and record the SyncRun (raises Stop for retry by tasks)."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    run = SyncRun.objects.create(account=account, steps=list(steps), trigger=trigger, dry_run=dry_run, actor=actor)
    counter: Counter = Counter()
    started = time.monotonic()
    ctx = SyncContext(account=account, run=run, opened_client=None, dry_run=dry_run, forced=forced)
    stop: Stop | None = None
    try:
        with event_context(actor=actor, rule="" if actor else f"sync:{trigger}"):
            with lease_hold(key=f"sync:{account.pk}") as lease:
                if lease.taken_over:
                    _runs_interrupted(account=account, successor=run)
                    run.taken_over = True
                ctx.opened_client = sync_client(account=account, counter=counter)
                ctx.rounding = account_price_rounding(account=account)
                for step in steps.values():
                    lease.check()
                    step(ctx)
        run.status = SyncRun.Status.FAILED if ctx.outcome.failed and not ctx.outcome.succeeded else SyncRun.Status.DONE
    except LeaseBusy:
        run.status = SyncRun.Status.SKIPPED
        ctx.errors.append(_("Another synchronisation of this account is running; try again in a moment."))
    except LeaseLost:
        run.status = SyncRun.Status.INTERRUPTED
        ctx.errors.append(
            _(
                "This run lost the account's lease (it could not renew it in time) and stopped before sending more; "
                "the next run takes over the queued changes."
            )
        )
    except AllegroReauthRequired as exc:
        run.status = SyncRun.Status.FAILED
        ctx.errors.append(str(exc))
    except Stop as exc:
        run.status = SyncRun.Status.FAILED
        ctx.errors.append(_("Allegro asked to wait (%(error)s); the stored commands will be resent.") % {"error": exc})
        stop = exc
    except AllegroError as exc:
        run.status = SyncRun.Status.FAILED
        ctx.errors.append("; ".join(exc.user_messages))
    run.counts = dict(ctx.counts)
    run.errors = ctx.errors[:200]
    run.api_calls = counter["calls"]
    run.counts.update({"write_calls": counter["write_calls"], "seconds": round(time.monotonic() - started, 2)})
    run.summary = sync_run_summary(run=run, lines=ctx.lines)
    run.finished_at = timezone.now()
    run.save()
    if counter["calls"] and counter["calls"] > counter["failed_calls"]:
        AllegroAccount.objects.filter(pk=account.pk).update(last_success_at=timezone.now())
    if stop is not None and trigger != SyncRun.Trigger.MANUAL:
        raise stop
    return run


def _runs_interrupted(*, account: AllegroAccount, successor: SyncRun) -> None:
    """The lease was taken from a holder that stopped renewing it: its unfinished runs died with their worker."""
    note = _("Interrupted: the worker running it stopped (run #%(run)s took over).") % {"run": successor.pk}
    for dead in SyncRun.objects.filter(
        account=account, status=SyncRun.Status.RUNNING, finished_at__isnull=True
    ).exclude(pk=successor.pk):
        dead.status = SyncRun.Status.INTERRUPTED
        dead.finished_at = timezone.now()
        dead.errors = [*dead.errors, note]
        dead.save(update_fields=["status", "finished_at", "errors"])


def sync_run_summary(*, run: SyncRun, lines: list[str]) -> str:
    c = run.counts
    if run.dry_run:
        text = _(
            "Preview: this would end %(end)d offers, change %(price)d prices and %(quantity)d quantities and "
            "activate %(activate)d offers (%(commands)d commands)."
        ) % {
            "end": c.get("would_end", 0),
            "price": c.get("would_change_price", 0),
            "quantity": c.get("would_change_quantity", 0),
            "activate": c.get("would_activate", 0),
            "commands": c.get("would_send_commands", 0),
        }
    else:
        text = _(
            "Ended %(end)d, prices %(price)d, quantities %(quantity)d, price and quantity together %(bulk)d, "
            "activated %(activate)d; refused %(failed)d."
        ) % {
            "end": c.get("end_ok", 0),
            "price": c.get("price_ok", 0),
            "quantity": c.get("quantity_ok", 0),
            "bulk": c.get("bulk_ok", 0),
            "activate": c.get("activate_ok", 0),
            "failed": sum(v for k, v in c.items() if k.endswith("_failed")),
        }
    extra = [line for line in lines if line]
    if "drift" in c:
        extra.append(_("Reconciliation: %(n)d offers differ from the shop.") % {"n": c["drift"]})
    return " ".join([text, *extra])
