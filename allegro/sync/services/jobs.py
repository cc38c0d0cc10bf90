"""The "Synchronizuj aukcje" job: one click imports the orders and synchronises the offers of every account
("jednoczesne pobieranie zamówień i synchronizacje aukcji jednym kliknięciem z wielu kont").

``sync_job_start`` records the job and one row per account; its caller (the dashboard's button, the
"Synchronizuj aukcje" page, "Importuj zamówienia teraz") enqueues ``sync_job_run`` on commit and shows the
progress page; ``manage.py allegro_sync`` runs the same job in its own process. The run takes the accounts one
after the other: each is one ``sync_account_run`` of the registered steps (so one SyncRun under the account's
lease), and its row says which step it is at, so the progress page can follow every account.

The run is safe to repeat (Celery delivers at least once): an account row that finished is not run again, the
steps themselves are idempotent (stored command ids, uniqueness keys of the order import), and the totals are
summed from the rows, never incremented.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.core.services.leases import LeaseBusy, LeaseLost, lease_hold
from allegro.sync.models import SyncJob, SyncJobAccount, SyncRun
from allegro.sync.services.commands import Stop
from allegro.sync.services.engine import SyncContext, sync_account_run
from allegro.sync.services.steps import SYNC_STEPS, account_steps

# The figures the summary names, summed over the accounts.
SUMMARY_COUNTS = ("orders_created", "offers_updated", "offers_ended", "offers_renewed", "refused")


def sync_job_start(
    *,
    accounts: Iterable[AllegroAccount] | None = None,
    steps: Iterable[str] | None = None,
    forced: bool = True,
    dry_run: bool = False,
    actor=None,
    trigger: str = SyncRun.Trigger.MANUAL,
) -> SyncJob:
    """Record a job over ``accounts`` (default: every connected account) running ``steps`` (default: every
    registered step). ``forced`` runs the named steps even where the account's switch is off (a staff member
    asked for them). The caller enqueues ``sync_job_run`` after commit."""
    names = [name for name in SYNC_STEPS if steps is None or name in set(steps)]
    if accounts is None:
        accounts = AllegroAccount.objects.filter(state=ConnectionState.CONNECTED).order_by("name", "pk")
    actor = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        job = SyncJob.objects.create(steps=names, forced=forced, dry_run=dry_run, trigger=trigger, actor=actor)
        SyncJobAccount.objects.bulk_create([SyncJobAccount(job=job, account=account) for account in accounts])
    return job


def _tracked(item: SyncJobAccount, steps: dict) -> dict:
    """The steps, each first telling the account's row that it has begun (what the progress page shows)."""

    def wrap(name, step):
        def run(ctx: SyncContext) -> None:
            SyncJobAccount.objects.filter(pk=item.pk).update(step=name, updated_at=timezone.now())
            step(ctx)
            SyncJobAccount.objects.filter(pk=item.pk).update(steps_done=F("steps_done") + 1)

        return run

    return {name: wrap(name, step) for name, step in steps.items()}


def run_figures(counts: dict[str, Any]) -> dict[str, int]:
    """What one account's SyncRun did, in the summary's terms (a price and a quantity change of one offer sent
    together count once, as a "bulk" change)."""
    return {
        "orders_created": int(counts.get("orders_created", 0)),
        "offers_updated": sum(int(counts.get(k, 0)) for k in ("price_ok", "quantity_ok", "bulk_ok")),
        "offers_ended": int(counts.get("end_ok", 0)),
        "offers_renewed": int(counts.get("activate_ok", 0)) + int(counts.get("recreated", 0)),
        "refused": sum(int(v) for k, v in counts.items() if k.endswith("_failed")),
    }


_RUN_TO_ITEM: dict[str, str] = {
    SyncRun.Status.DONE: SyncJobAccount.Status.DONE,
    SyncRun.Status.SKIPPED: SyncJobAccount.Status.SKIPPED,
}


def sync_job_run(*, job: SyncJob) -> SyncJob:
    """Run the job's accounts that have not finished yet, one after another, then total the job.

    One copy of the task works on a job at a time (the job's lease; each account's run holds the account's own
    lease besides): a redelivered copy finds it held and leaves, or takes over once a dead worker's lease lapsed
    and goes on from the first account that has not finished."""
    try:
        with lease_hold(key=f"syncjob:{job.pk}") as lease:
            _run_accounts(job, lease)
    except (LeaseBusy, LeaseLost):
        return job  # another copy of the task has the job
    return sync_job_finish(job=job)


def _run_accounts(job: SyncJob, lease) -> None:
    SyncJob.objects.filter(pk=job.pk, status=SyncJob.Status.PENDING).update(status=SyncJob.Status.RUNNING)
    for item in job.accounts.select_related("account__app").exclude(
        status__in=[SyncJobAccount.Status.DONE, SyncJobAccount.Status.FAILED, SyncJobAccount.Status.SKIPPED]
    ):
        lease.check()
        SyncJobAccount.objects.filter(pk=item.pk).update(status=SyncJobAccount.Status.RUNNING, steps_done=0)
        if item.account.state != ConnectionState.CONNECTED:
            item.status = SyncJobAccount.Status.SKIPPED
            item.errors = [_("The account is not connected (authorise it again).")]
            item.save(update_fields=["status", "errors", "updated_at"])
            continue
        steps = account_steps(job.steps, dry_run=job.dry_run)
        try:
            run = sync_account_run(
                account=item.account,
                steps=_tracked(item, steps),
                forced=job.forced,
                actor=job.actor,
                dry_run=job.dry_run,
                trigger=job.trigger,
            )
        except Stop:
            # Allegro asked to wait: the run is recorded (failed, its commands stored for resending); the job
            # goes on with the next account instead of leaving this one "running" for ever.
            recorded = SyncRun.objects.filter(account=item.account).order_by("-started_at", "-pk").first()
            if recorded is None:  # sync_account_run records its run before any step: never the case
                raise
            run = recorded
        item.refresh_from_db(fields=["steps_done"])
        item.run = run
        item.status = _RUN_TO_ITEM.get(run.status, SyncJobAccount.Status.FAILED)
        item.counts = {**run.counts, **run_figures(run.counts)}
        item.summary = run.summary
        item.errors = run.errors[:50]
        item.step = ""
        item.save(update_fields=["run", "status", "counts", "summary", "errors", "step", "updated_at"])


def sync_job_finish(*, job: SyncJob) -> SyncJob:
    """Total the accounts' figures on the job and mark it finished (with errors when an account failed)."""
    items = list(job.accounts.all())
    totals: Counter = Counter()
    for item in items:
        totals.update({name: int(item.counts.get(name, 0)) for name in SUMMARY_COUNTS})
    failed = any(i.status in (SyncJobAccount.Status.FAILED, SyncJobAccount.Status.SKIPPED) for i in items)
    job.counts = dict(totals)
    job.status = SyncJob.Status.FAILED if failed else SyncJob.Status.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["counts", "status", "finished_at"])
    return job


def sync_job_summary(*, counts: dict[str, Any], dry_run: bool = False) -> str:
    """ "3 nowe zamówienia, 12 ofert zaktualizowanych, 2 zakończone" (each figure with its Polish plural)."""
    if dry_run:
        return _("Preview: nothing was changed; see each account's run for what would change.")
    c = {name: int(counts.get(name, 0)) for name in SUMMARY_COUNTS}
    parts = [
        ngettext("%(n)d new order", "%(n)d new orders", c["orders_created"]) % {"n": c["orders_created"]},
        ngettext("%(n)d offer updated", "%(n)d offers updated", c["offers_updated"]) % {"n": c["offers_updated"]},
        ngettext("%(n)d ended", "%(n)d ended", c["offers_ended"]) % {"n": c["offers_ended"]},
    ]
    if c["offers_renewed"]:
        parts.append(ngettext("%(n)d renewed", "%(n)d renewed", c["offers_renewed"]) % {"n": c["offers_renewed"]})
    if c["refused"]:
        parts.append(ngettext("%(n)d refused", "%(n)d refused", c["refused"]) % {"n": c["refused"]})
    return ", ".join(parts)


def sync_job_status(*, job: SyncJob) -> dict[str, Any]:
    """The small JSON the progress page polls: the job and each account's step and figures."""
    job.refresh_from_db(fields=["status", "counts", "finished_at"])
    total_steps = max(1, len(account_steps(job.steps, dry_run=job.dry_run)))
    accounts = []
    for item in job.accounts.select_related("account").order_by("pk"):
        finished = item.status not in (SyncJobAccount.Status.PENDING, SyncJobAccount.Status.RUNNING)
        accounts.append(
            {
                "id": item.pk,
                "account": str(item.account),
                "status": item.status,
                "status_label": str(item.get_status_display()),
                "step": item.step,
                "step_label": str(STEP_LABELS.get(item.step, "")) if item.step else "",
                "percent": 100 if finished else min(99, round(100 * item.steps_done / total_steps)),
                "summary": sync_job_summary(counts=item.counts, dry_run=job.dry_run) if finished else "",
                "errors": item.errors[:5],
            }
        )
    done = sum(1 for a in accounts if a["percent"] == 100)
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "finished": job.finished_at is not None,
        "summary": sync_job_summary(counts=job.counts, dry_run=job.dry_run) if job.finished_at else "",
        "accounts": accounts,
        "done": done,
        "total": len(accounts),
    }


# The steps as the panel names them.
STEP_LABELS = {
    "orders": gettext_lazy("import orders"),
    "offers": gettext_lazy("changes from the shop and offer events"),
    "promotions": gettext_lazy("promotion options (stored commands)"),
    "prices": gettext_lazy("prices"),
    "stock": gettext_lazy("quantities"),
    "close": gettext_lazy("end sold-out and hidden"),
    "renew": gettext_lazy("renew ended offers"),
    "reconcile": gettext_lazy("reconciliation (compare every offer)"),
}
