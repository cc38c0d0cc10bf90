"""The dashboard (admin index): one row per Allegro account with what needs attention.

A fixed number of queries whatever the number of accounts, offers, orders or runs: everything is
aggregated per account in the database (the page must stay fast with 50,000 offers and a million
event-log rows).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, OuterRef, Subquery
from django.db.models.fields.json import KT
from django.utils import timezone

from allegro.accounts.models import AllegroAccount
from allegro.checkouts.models import CheckoutQuarantine
from allegro.offers.models import Offer, OfferStatus
from allegro.sync.models import SyncJob, SyncRun
from allegro.sync.services.jobs import sync_job_summary


@dataclass
class AccountDashboard:
    account: AllegroAccount
    offers: dict[str, int] = field(default_factory=dict)
    runs_24h: int = 0
    failed_runs_24h: int = 0
    open_quarantine: int = 0
    drift: int | None = None
    drift_run_id: int | None = None

    @property
    def cursor(self):
        return getattr(self.account, "order_cursor", None)

    @property
    def last_import_at(self):
        return self.cursor.last_import_at if self.cursor else None

    @property
    def import_lag_seconds(self) -> int | None:
        return self.cursor.lag_seconds if self.cursor else None

    @property
    def import_error(self) -> str:
        return self.cursor.last_error if self.cursor else ""

    @property
    def active(self) -> int:
        return self.offers.get(OfferStatus.ACTIVE, 0) + self.offers.get(OfferStatus.ACTIVATING, 0)

    @property
    def ended(self) -> int:
        return self.offers.get(OfferStatus.ENDED, 0)

    @property
    def errors(self) -> int:
        return self.offers.get(OfferStatus.ERROR, 0)


def dashboard_accounts() -> list[AccountDashboard]:
    """Five queries in all: accounts (with their order cursor and latest reconciliation), offer counts,
    sync runs of the last 24 hours, open quarantine."""
    latest_reconcile = SyncRun.objects.filter(account=OuterRef("pk"), dry_run=False, counts__has_key="drift").order_by(
        "-started_at", "-pk"
    )
    accounts = (
        AllegroAccount.objects.select_related("order_cursor")
        .annotate(
            drift_run_id=Subquery(latest_reconcile.values("pk")[:1]),
            drift=Subquery(latest_reconcile.annotate(drift_text=KT("counts__drift")).values("drift_text")[:1]),
        )
        .order_by("name", "pk")
    )
    rows = {account.pk: AccountDashboard(account=account) for account in accounts}
    for row in rows.values():
        row.drift = row.account.drift if row.account.drift is None else int(row.account.drift)
        row.drift_run_id = row.account.drift_run_id
    if not rows:
        return []
    for item in Offer.objects.order_by().values("account_id", "status").annotate(n=Count("id")):
        rows[item["account_id"]].offers[item["status"]] = item["n"]
    since = timezone.now() - timedelta(hours=24)
    runs = SyncRun.objects.filter(started_at__gte=since, dry_run=False).order_by()
    for item in runs.values("account_id", "status").annotate(n=Count("id")):
        row = rows.get(item["account_id"])
        if row is None:
            continue
        row.runs_24h += item["n"]
        if item["status"] == SyncRun.Status.FAILED:
            row.failed_runs_24h += item["n"]
    for item in (
        CheckoutQuarantine.objects.filter(resolved_at__isnull=True)
        .order_by()
        .values("account_id")
        .annotate(n=Count("id"))
    ):
        rows[item["account_id"]].open_quarantine = item["n"]
    return list(rows.values())


@dataclass
class LastSync:
    """The latest "Synchronizuj aukcje" job, shown beside the button with its summary."""

    job: SyncJob
    summary: str

    @property
    def running(self) -> bool:
        return self.job.finished_at is None


def dashboard_last_sync() -> LastSync | None:
    """One query: the newest job that was not a preview."""
    job = SyncJob.objects.filter(dry_run=False).order_by("-created_at", "-pk").first()
    if job is None:
        return None
    return LastSync(job=job, summary=sync_job_summary(counts=job.counts) if job.finished_at else "")
