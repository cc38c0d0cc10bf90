"""The steps of "Synchronizuj aukcje" and ``manage.py allegro_sync --only <step>``, in order.

Each step is registered with a name and a function ``(accounts, *, explicit) -> StepOutcome``; the
sync issue adds offers, prices, stock, renew, close and reconcile here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from allegro.accounts.models import AllegroAccount

ALL_STEP_NAMES = ("orders", "offers", "prices", "stock", "renew", "close", "reconcile")


@dataclass
class StepOutcome:
    ok: bool = True
    lines: list[str] = field(default_factory=list)


SyncStep = Callable[..., StepOutcome]
SYNC_STEPS: dict[str, SyncStep] = {}


def register_sync_step(name: str, func: SyncStep) -> None:
    SYNC_STEPS[name] = func


def sync_orders_step(accounts, *, explicit: bool = False) -> StepOutcome:
    """Import orders of the given accounts. ``explicit`` (one account named by the staff member)
    imports even when the account's "import orders" switch is off."""
    from allegro.checkouts.services.order_import import orders_import_all_accounts

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


register_sync_step("orders", sync_orders_step)


def sync_run(*, accounts=None, only: str | None = None, explicit: bool = False) -> dict[str, StepOutcome]:
    """Run one step (``only``) or every registered step for ``accounts`` (default: all accounts).
    What "Synchronizuj aukcje" calls for all accounts."""
    accounts = accounts if accounts is not None else AllegroAccount.objects.all()
    names = [only] if only else list(SYNC_STEPS)
    outcomes = {}
    for name in names:
        step = SYNC_STEPS.get(name)
        if step is None:
            outcomes[name] = StepOutcome(ok=False, lines=[_("“%(step)s” is not available yet.") % {"step": name}])
            continue
        outcomes[name] = step(accounts, explicit=explicit)
    return outcomes
