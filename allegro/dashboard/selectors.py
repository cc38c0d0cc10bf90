"""The dashboard (admin index): one row per Allegro account with what needs attention.

A fixed number of queries whatever the number of accounts, offers, orders or runs: everything is
aggregated per account in the database (the page must stay fast with 50,000 offers and a million
event-log rows).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Subquery, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import TruncDate
from django.utils import timezone

from allegro.accounts.models import AllegroAccount
from allegro.checkouts.models import AllegroCheckout, CheckoutQuarantine
from allegro.messages.selectors import messages_unread_by_account
from allegro.offers.models import Offer, OfferStatus
from allegro.returns.selectors import returns_waiting_per_account
from allegro.sync.models import SyncJob, SyncRun
from allegro.sync.services.jobs import sync_job_summary
from orders.models import Order, OrderStatus

CHART_DAYS = 30


@dataclass
class AccountDaily:
    """One account's last ``CHART_DAYS`` days, oldest first, one entry per day (days without data are zero)."""

    days: list[date]
    orders: list[int]
    sales: list[Decimal]
    runs_done: list[int]
    runs_failed: list[int]

    @classmethod
    def empty(cls, days: list[date]) -> "AccountDaily":
        n = len(days)
        return cls(days=days, orders=[0] * n, sales=[Decimal("0.00")] * n, runs_done=[0] * n, runs_failed=[0] * n)


@dataclass
class AccountDashboard:
    account: AllegroAccount
    offers: dict[str, int] = field(default_factory=dict)
    daily: AccountDaily | None = None
    runs_24h: int = 0
    failed_runs_24h: int = 0
    open_quarantine: int = 0
    returns_waiting: int = 0
    drift: int | None = None
    drift_run_id: int | None = None
    messages: dict = field(default_factory=dict)  # unread, waiting, oldest_waiting (the messages room's counts)

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
    """Six queries in all: accounts (with their order cursor and latest reconciliation), offer counts,
    sync runs of the last 24 hours, open quarantine, buyers' messages, returns waiting for a decision."""
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
    for account_id, counts in messages_unread_by_account().items():
        if account_id in rows:
            rows[account_id].messages = counts
    for account_id, waiting in returns_waiting_per_account().items():
        if account_id in rows:
            rows[account_id].returns_waiting = waiting
    return list(rows.values())


def chart_days(*, today: date | None = None, days: int = CHART_DAYS) -> list[date]:
    """The last ``days`` calendar days in the panel's time zone, today included, oldest first."""
    today = today or timezone.localdate()
    return [today - timedelta(days=days - 1 - i) for i in range(days)]


def dashboard_daily(*, rows: list[AccountDashboard], today: date | None = None) -> None:
    """Fill each row's ``daily``: Allegro orders and their value per day (cancelled orders left out) and sync
    runs per day (finished and failed, previews left out). Two queries whatever the number of accounts and days:
    the database groups by account and day."""
    days = chart_days(today=today)
    if not rows:
        return
    by_account = {row.account.pk: row for row in rows}
    for row in rows:
        row.daily = AccountDaily.empty(days)
    index = {day: i for i, day in enumerate(days)}
    start = timezone.make_aware(datetime.combine(days[0], time.min))
    zone = timezone.get_current_timezone()
    first_checkout = AllegroCheckout.objects.filter(order=OuterRef("pk")).order_by("pk").values("account_id")[:1]
    orders = (
        # Exists, not a join: an order of several merged checkouts is still one row (counted and summed once).
        Order.objects.filter(placed_at__gte=start)
        .filter(Exists(AllegroCheckout.objects.filter(order=OuterRef("pk"))))
        .exclude(status=OrderStatus.CANCELLED)
        .annotate(account_id=Subquery(first_checkout), day=TruncDate("placed_at", tzinfo=zone))
        .order_by()
        .values("account_id", "day")
        .annotate(n=Count("pk"), value=Sum("total"))
    )
    for item in orders:
        row, i = by_account.get(item["account_id"]), index.get(item["day"])
        if row is not None and i is not None:
            row.daily.orders[i] += item["n"]
            row.daily.sales[i] += item["value"] or Decimal("0.00")
    runs = (
        SyncRun.objects.filter(started_at__gte=start, dry_run=False)
        .annotate(day=TruncDate("started_at", tzinfo=zone))
        .order_by()
        .values("account_id", "day", "status")
        .annotate(n=Count("pk"))
    )
    for item in runs:
        row, i = by_account.get(item["account_id"]), index.get(item["day"])
        if row is None or i is None:
            continue
        if item["status"] == SyncRun.Status.FAILED:
            row.daily.runs_failed[i] += item["n"]
        elif item["status"] == SyncRun.Status.DONE:
            row.daily.runs_done[i] += item["n"]


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
