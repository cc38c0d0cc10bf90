"""The steps of a synchronisation, in one registry, and the entry points that run them.

``SYNC_STEPS`` (name → step, in the order a full run takes them) is the one list of steps: the choices of
``manage.py allegro_sync --only``, the checkboxes of "Synchronizuj aukcje" and what the job and the tasks run
all come from it. Every step runs for one account at a time, inside that account's SyncRun and under its lock
(``sync_account_run``). The first one, ``orders``, imports the account's new orders (the order import keeps its
own lease besides); it is not one of the "Parametry synchronizacji": those switches say what runs by itself on
beat's schedule, while a synchronisation asked for by a staff member always imports the orders.

Entry points: ``sync_run`` — one SyncRun per account; the "Synchronizuj aukcje" job (``allegro.sync.services.jobs``)
runs the same steps account by account with a progress page; ``sync_flush`` and ``sync_scheduled`` — what the
debounced flush and beat's tasks run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.checkouts.services.order_import import order_import_account
from allegro.offers.models import Offer
from allegro.offers.services.promotions import promotion_commands_resume
from allegro.sync.models import OfferSyncQueue, SyncRun
from allegro.sync.services.commands import commands_resume
from allegro.sync.services.engine import SyncContext, changes_send, offer_change, sync_account_run
from allegro.sync.services.offer_events import offer_events_poll
from allegro.sync.services.queue import LIVE_STATUSES
from allegro.sync.services.reconcile import offers_reconcile
from allegro.sync.services.renew import offers_renew_ended

AccountStep = Callable[[SyncContext], None]


@dataclass(frozen=True)
class SyncStep:
    """One registered step: what it does for one account, and whether a preview runs it (a preview changes
    nothing on either side; importing orders changes the shop, so the preview leaves it out)."""

    for_account: AccountStep
    previews: bool = True


# --- the offer steps ----------------------------------------------------------------------------------------


def flush_queue(ctx: SyncContext) -> None:
    """Bring the queued (dirty) offers of the account in line with the shop."""
    in_flight: set[str] = set()
    if not ctx.dry_run:
        in_flight = commands_resume(client=ctx.client, account=ctx.account, outcome=ctx.outcome)
    started = timezone.now()
    queued = (
        Offer.objects.filter(sync_queue__account=ctx.account, sync_queue__queued_at__lte=started)
        .select_related("product")
        .order_by("pk")
    )
    parts = ctx.parts()
    changes = []
    offers = list(queued)
    ctx.counts["queued"] += len(offers)
    for offer in offers:
        if offer.allegro_id in in_flight:
            continue
        change = offer_change(offer=offer, account=ctx.account, parts=parts, rounding=ctx.rounding)
        if change is not None:
            changes.append(change)
    changes_send(ctx=ctx, changes=changes, label=_("changes from the shop"))
    if not ctx.dry_run:
        # Rows re-queued after ``started`` stay for the next flush; offers in unfinished commands stay too.
        leftover = OfferSyncQueue.objects.filter(account=ctx.account, queued_at__lte=started)
        if in_flight:
            leftover = leftover.exclude(offer__allegro_id__in=list(in_flight))
        leftover.delete()


def step_events(ctx: SyncContext) -> None:
    """Read the account's offer-event journal (changes made on Allegro's side)."""
    offer_events_poll(ctx=ctx)


def step_offers(ctx: SyncContext) -> None:
    """Finish open commands, flush the dirty queue, then read the offer-event journal."""
    flush_queue(ctx)
    step_events(ctx)


def _live_offers(account: AllegroAccount):
    return Offer.objects.filter(account=account, status__in=LIVE_STATUSES).exclude(allegro_id__isnull=True)


def _step_part(ctx: SyncContext, part: str, label: str) -> None:
    parts = ctx.parts({part})
    if not parts:
        ctx.lines.append(_("%(step)s: switched off for this account.") % {"step": label})
        return
    changes = [
        offer_change(offer=o, account=ctx.account, parts=parts, rounding=ctx.rounding)
        for o in _live_offers(ctx.account).select_related("product")
    ]
    changes_send(ctx=ctx, changes=[c for c in changes if c is not None], label=label)


def step_promotions(ctx: SyncContext) -> None:
    """Resend the promotion commands a listing or a staff member stored and did not see answered (same UUID, same
    body: Allegro buys nothing twice). New paid options are never bought here: their cost is shown first."""
    if ctx.dry_run:
        return
    commands = promotion_commands_resume(account=ctx.account, client=ctx.client)
    if commands:
        ctx.counts["promotion_commands"] += len(commands)
        ctx.lines.append(_("promotion options: %(n)d stored commands finished.") % {"n": len(commands)})


def step_prices(ctx: SyncContext) -> None:
    _step_part(ctx, "prices", _("prices"))


def step_stock(ctx: SyncContext) -> None:
    _step_part(ctx, "stock", _("quantities"))


def step_close(ctx: SyncContext) -> None:
    _step_part(ctx, "close", _("closing sold-out offers"))


def step_renew(ctx: SyncContext) -> None:
    if not (ctx.forced or ctx.account.sync_renew_ended):
        ctx.lines.append(_("renewal: switched off for this account."))
        return
    offers_renew_ended(ctx=ctx)


def step_reconcile(ctx: SyncContext) -> None:
    offers_reconcile(ctx=ctx)


# --- the order import ---------------------------------------------------------------------------------------


def step_orders(ctx: SyncContext) -> None:
    """Import the account's new orders ("Aukcje z ofertami kupna zostaną pobrane do panelu sklepu jako nowe
    zamówienia"), then sweep the recent checkout forms for what the journal may have missed."""
    if ctx.dry_run:
        ctx.lines.append(_("orders: a preview does not import them."))
        return
    result = order_import_account(account=ctx.account, sweep=True)
    ctx.counts["orders_created"] += result.created
    ctx.counts["orders_updated"] += result.updated
    ctx.counts["orders_cancelled"] += result.cancelled
    ctx.counts["orders_quarantined"] += result.quarantined
    if result.busy:
        ctx.lines.append(_("orders: another import of this account was running; it imports them."))
    ctx.errors.extend(_("orders: %(error)s") % {"error": error} for error in result.errors[:20])
    ctx.lines.append(_("Orders: %(summary)s.") % {"summary": result.summary()})


# --- the registry -------------------------------------------------------------------------------------------

SYNC_STEPS: dict[str, SyncStep] = {
    "orders": SyncStep(for_account=step_orders, previews=False),
    "offers": SyncStep(for_account=step_offers),
    "promotions": SyncStep(for_account=step_promotions, previews=False),
    "prices": SyncStep(for_account=step_prices),
    "stock": SyncStep(for_account=step_stock),
    "close": SyncStep(for_account=step_close),
    "renew": SyncStep(for_account=step_renew),
    "reconcile": SyncStep(for_account=step_reconcile),
}
# What ``sync_run`` runs when no step is named (each account's switches decide).
FULL_RUN = ("offers", "reconcile", "renew")


def account_steps(names, *, dry_run: bool = False) -> dict[str, AccountStep]:
    """The registered steps of ``names`` in the registry's order (a preview leaves out what it may not run)."""
    wanted = set(names)
    return {
        name: step.for_account for name, step in SYNC_STEPS.items() if name in wanted and (step.previews or not dry_run)
    }


# --- entry points -------------------------------------------------------------------------------------------


def accounts_to_sync(*, account: AllegroAccount | None = None):
    qs = AllegroAccount.objects.select_related("app").filter(state=ConnectionState.CONNECTED)
    return qs.filter(pk=account.pk) if account is not None else qs


def sync_run(
    *,
    account: AllegroAccount | None = None,
    only: set[str] | None = None,
    actor=None,
    dry_run: bool = False,
    trigger: str = SyncRun.Trigger.MANUAL,
) -> list[SyncRun]:
    """Run a synchronisation of one account or all connected accounts; one SyncRun per account.

    ``only`` names steps explicitly (they run even when the account's switch is off); without it the full
    run (offer changes and events, reconciliation, renewal) does what each account's switches allow.
    ``dry_run`` sends nothing and records what would be done ("this would end 37 offers")."""
    steps = account_steps(only if only else FULL_RUN, dry_run=dry_run)
    forced = bool(only)
    return [
        sync_account_run(account=a, steps=steps, forced=forced, actor=actor, dry_run=dry_run, trigger=trigger)
        for a in accounts_to_sync(account=account)
    ]


def sync_flush(*, account: AllegroAccount | None = None) -> list[SyncRun]:
    """Flush the dirty queue of every account that has queued offers (what the debounced task runs)."""
    accounts = AllegroAccount.objects.filter(
        pk__in=OfferSyncQueue.objects.values("account_id"), state=ConnectionState.CONNECTED
    ).select_related("app")
    if account is not None:
        accounts = accounts.filter(pk=account.pk)
    runs = []
    for a in accounts:
        runs.append(sync_account_run(account=a, steps={"offers_flush": flush_queue}, trigger=SyncRun.Trigger.CHANGE))
    return runs


def sync_scheduled(*, step: str) -> list[SyncRun]:
    """Beat entry points: the step for every connected account whose switches ask for it."""
    wanted = {
        "events": Q(sync_prices=True) | Q(sync_stock=True) | Q(sync_close_sold_out=True) | Q(sync_renew_ended=True),
        "reconcile": Q(sync_prices=True) | Q(sync_stock=True) | Q(sync_close_sold_out=True),
        "renew": Q(sync_renew_ended=True),
    }[step]
    plans: dict[str, dict[str, AccountStep]] = {
        "events": {"events": step_events},
        "reconcile": account_steps(["reconcile"]),
        "renew": account_steps(["renew"]),
    }
    steps = plans[step]
    runs = []
    for a in accounts_to_sync().filter(wanted):
        runs.append(sync_account_run(account=a, steps=steps, trigger=SyncRun.Trigger.SCHEDULE))
    return runs
