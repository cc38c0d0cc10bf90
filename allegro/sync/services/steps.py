"""The steps of a synchronisation, in one registry, and the entry points that run them.

``SYNC_STEPS`` (name → step, in the order a full run takes them) is the one list of steps: the choices of
``manage.py allegro_sync --only``, the checkboxes of "Synchronizuj aukcje" (its offer steps) and what the
tasks run all come from it. Two kinds of step:

- an offer step (``for_account``) runs for one account at a time, inside that account's SyncRun and under its
  lock (``sync_account_run``);
- the order import (``for_accounts``) runs over the accounts by itself: it keeps its own lease per account and
  writes no SyncRun.

Entry points: ``sync_run`` — one SyncRun per account ("Synchronizuj aukcje" and its preview, through a task);
``sync_command_run`` — named steps over the chosen accounts, one outcome per step (``manage.py allegro_sync``);
``sync_flush`` and ``sync_scheduled`` — what the debounced flush and beat's tasks run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.checkouts.services.order_import import orders_import_all_accounts
from allegro.offers.models import Offer
from allegro.sync.models import OfferSyncQueue, SyncRun
from allegro.sync.services.commands import commands_resume
from allegro.sync.services.engine import SyncContext, changes_send, offer_change, sync_account_run
from allegro.sync.services.offer_events import offer_events_poll
from allegro.sync.services.queue import LIVE_STATUSES
from allegro.sync.services.reconcile import offers_reconcile
from allegro.sync.services.renew import offers_renew_ended


@dataclass
class StepOutcome:
    """What one step of ``manage.py allegro_sync`` reports: whether it went well, and a line per account."""

    ok: bool = True
    lines: list[str] = field(default_factory=list)


AccountStep = Callable[[SyncContext], None]


@dataclass(frozen=True)
class SyncStep:
    """One registered step: exactly one of ``for_account`` (an offer step) and ``for_accounts`` (the order
    import, ``(accounts, *, explicit) -> StepOutcome``) is set."""

    for_account: AccountStep | None = None
    for_accounts: Callable[..., StepOutcome] | None = None


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


def step_orders(accounts, *, explicit: bool = False) -> StepOutcome:
    """Import orders of the given accounts. ``explicit`` (the staff member named the step) imports even when
    the account's "import orders" switch is off."""
    outcome = StepOutcome()
    results = orders_import_all_accounts(accounts=accounts, only_enabled=not explicit)
    names = {a.pk: str(a) for a in AllegroAccount.objects.filter(pk__in=list(results))}
    for account_id, result in results.items():
        if result.errors:
            outcome.ok = False
            outcome.lines.append(f"{names[account_id]}: " + _("failed: %(error)s") % {"error": result.errors[0]})
        else:
            outcome.lines.append(f"{names[account_id]}: {result.summary()}")
    if not results:
        outcome.lines.append(_("No connected account with “import orders” switched on."))
    return outcome


# --- the registry -------------------------------------------------------------------------------------------

SYNC_STEPS: dict[str, SyncStep] = {
    "orders": SyncStep(for_accounts=step_orders),
    "offers": SyncStep(for_account=step_offers),
    "prices": SyncStep(for_account=step_prices),
    "stock": SyncStep(for_account=step_stock),
    "close": SyncStep(for_account=step_close),
    "renew": SyncStep(for_account=step_renew),
    "reconcile": SyncStep(for_account=step_reconcile),
}
# The steps "Synchronizuj aukcje" offers, and what it runs when none is chosen (each account's switches decide).
OFFER_STEPS = tuple(name for name, step in SYNC_STEPS.items() if step.for_account is not None)
FULL_RUN = ("offers", "reconcile", "renew")


def _account_steps(names) -> dict[str, AccountStep]:
    return {name: SYNC_STEPS[name].for_account for name in names}


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

    ``only`` names offer steps explicitly (they run even when the account's switch is off); without it the full
    run (offer changes and events, reconciliation, renewal) does what each account's switches allow.
    ``dry_run`` sends nothing and records what would be done ("this would end 37 offers")."""
    steps = _account_steps([s for s in OFFER_STEPS if s in only] if only else FULL_RUN)
    forced = bool(only)
    return [
        sync_account_run(account=a, steps=steps, forced=forced, actor=actor, dry_run=dry_run, trigger=trigger)
        for a in accounts_to_sync(account=account)
    ]


def _offer_step_outcome(name: str, accounts, *, explicit: bool) -> StepOutcome:
    """One offer step for each connected account; ``explicit`` runs it even when the switch is off."""
    outcome = StepOutcome()
    for account in accounts:
        if account.state != ConnectionState.CONNECTED:
            continue
        run = sync_account_run(
            account=account, steps=_account_steps([name]), forced=explicit, trigger=SyncRun.Trigger.COMMAND
        )
        line = f"{account}: {run.summary}"
        if run.errors:
            line += " " + _("Errors: %(errors)s") % {"errors": "; ".join(run.errors[:5])}
        if run.status == SyncRun.Status.FAILED:
            outcome.ok = False
        outcome.lines.append(line)
    return outcome


def sync_command_run(*, accounts=None, only: str | None = None, explicit: bool = False) -> dict[str, StepOutcome]:
    """Run one step (``only``) or every step of ``SYNC_STEPS`` for ``accounts`` (default: all accounts), one
    outcome per step: what ``manage.py allegro_sync`` prints."""
    accounts = accounts if accounts is not None else AllegroAccount.objects.all()
    outcomes = {}
    for name in [only] if only else list(SYNC_STEPS):
        step = SYNC_STEPS[name]
        if step.for_accounts is not None:
            outcomes[name] = step.for_accounts(accounts, explicit=explicit)
        else:
            outcomes[name] = _offer_step_outcome(name, accounts, explicit=explicit)
    return outcomes


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
    steps = {
        "events": {"events": step_events},
        "reconcile": _account_steps(["reconcile"]),
        "renew": _account_steps(["renew"]),
    }[step]
    runs = []
    for a in accounts_to_sync().filter(wanted):
        runs.append(sync_account_run(account=a, steps=steps, trigger=SyncRun.Trigger.SCHEDULE))
    return runs
