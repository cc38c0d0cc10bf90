"""Registers the sync engine's steps (offers, prices, stock, renew, close, reconcile) into the registry of
``manage.py allegro_sync`` and "Synchronizuj aukcje" (allegro/services/sync_steps.py)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from allegro.accounts.models import ConnectionState
from allegro.sync.models import SyncRun
from allegro.sync.services.engine import STEPS, sync_account_run


def _registry_step(name: str):
    from allegro.sync.services.steps import StepOutcome

    def step(accounts, *, explicit: bool = False) -> StepOutcome:
        """One sync step for each connected account; ``explicit`` runs it even when the switch is off."""
        outcome = StepOutcome()
        for account in accounts:
            if account.state != ConnectionState.CONNECTED:
                continue
            run = sync_account_run(account=account, steps=[name], forced=explicit, trigger=SyncRun.Trigger.COMMAND)
            line = f"{account}: {run.summary}"
            if run.errors:
                line += " " + _("Errors: %(errors)s") % {"errors": "; ".join(run.errors[:5])}
            if run.status == SyncRun.Status.FAILED:
                outcome.ok = False
            outcome.lines.append(line)
        return outcome

    step.__name__ = f"sync_{name}_step"
    return step


def register() -> None:
    from allegro.sync.services.steps import register_sync_step

    for name in STEPS:
        register_sync_step(name, _registry_step(name))


register()
