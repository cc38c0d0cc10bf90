"""Beat schedules the integration needs, stored in django-celery-beat (editable in the admin).

Created after migrations; an existing schedule is never overwritten, so the owner's edits stay.
"""

from django.utils.translation import gettext_lazy as _

SCHEDULES = [
    # (name, task, every seconds, description)
    (
        "allegro: heartbeat",
        "allegro.core.tasks.worker_heartbeat",
        20,
        _("Proves that Celery worker and beat are running."),
    ),
    (
        "allegro: refresh tokens",
        "allegro.accounts.tasks.accounts_refresh_tokens",
        900,
        _("Refreshes Allegro tokens before they expire."),
    ),
    # One cheap journal call per account: every 5 s brings a purchase into the shop within ~10 s.
    ("allegro: import orders", "allegro.checkouts.tasks.orders_import_all", 5, _("Imports new Allegro orders.")),
    (
        "allegro: import messages",
        "allegro.messages.tasks.messages_import_all",
        60,
        _("Imports buyers' new messages from Allegro's Message Center."),
    ),
    (
        "allegro: prune event log",
        "allegro.core.tasks.event_log_prune_old",
        86400,
        _("Deletes event log entries older than 90 days."),
    ),  # noqa: E501
    (
        "allegro: sync queued offers",
        "allegro.sync.tasks.sync_flush_task",
        30,
        _("Safety net: sends queued price and stock changes to Allegro."),
    ),  # noqa: E501
    (
        "allegro: offer events",
        "allegro.sync.tasks.sync_offer_events_task",
        60,
        _("Reads Allegro offer events (changes made outside the panel)."),
    ),  # noqa: E501
    (
        "allegro: reconcile offers",
        "allegro.sync.tasks.sync_reconcile_task",
        3600,
        _("Compares every offer with the shop and fixes drift."),
    ),  # noqa: E501
    (
        "allegro: resume mass listings",
        "allegro.listing.tasks.listing_jobs_resume",
        60,
        _("Resumes mass listings whose worker stopped in the middle."),
    ),
    (
        "allegro: import returns",
        "allegro.returns.tasks.returns_import_all",
        300,
        _("Imports Allegro customer returns and their statuses."),
    ),
    (
        "allegro: commission refund claims",
        "allegro.returns.tasks.refund_claims_auto_all",
        3600,
        _("Files commission refund claims for unpaid purchases (automatic rule) and reads their statuses."),
    ),
    (
        "allegro: renew ended offers",
        "allegro.sync.tasks.sync_renew_task",
        300,
        _("Relists ended offers marked “Wystaw ponownie”."),
    ),  # noqa: E501
    (
        "allegro: auction bids",
        "allegro.offers.tasks.offer_auctions_refresh_all",
        300,
        _("Reads the current price and bidders of running auctions."),
    ),
    (
        "allegro: delivery price lists",
        "allegro.shipping.tasks.shipping_rates_import_all",
        3600,
        _("Fetches the delivery price lists kept on Allegro."),
    ),
    (
        "allegro: settle pending shipments",
        "allegro.shipments.tasks.swa_pending_sweep",
        300,
        _("Asks Allegro again about shipments it has not confirmed (Wysyłam z Allegro)."),
    ),
    (
        "allegro: send pending invoices",
        "allegro.invoices.tasks.invoices_send_pending",
        300,
        _("Safety net: sends invoices that have not reached their Allegro orders yet."),
    ),
]


# Task names before the app was split into rooms: a database made then still names them, and a
# schedule naming a task no worker knows would silently stop (orders not imported, offers not synced).
RENAMED_TASKS = {
    "allegro.tasks.worker_heartbeat": "allegro.core.tasks.worker_heartbeat",
    "allegro.tasks.accounts_refresh_tokens": "allegro.accounts.tasks.accounts_refresh_tokens",
    "allegro.tasks.event_log_prune_old": "allegro.core.tasks.event_log_prune_old",
    "allegro.tasks_orders.orders_import_all": "allegro.checkouts.tasks.orders_import_all",
    "allegro.tasks_sync.sync_flush_task": "allegro.sync.tasks.sync_flush_task",
    "allegro.tasks_sync.sync_offer_events_task": "allegro.sync.tasks.sync_offer_events_task",
    "allegro.tasks_sync.sync_reconcile_task": "allegro.sync.tasks.sync_reconcile_task",
    "allegro.tasks_sync.sync_renew_task": "allegro.sync.tasks.sync_renew_task",
}


# Intervals shipped before: a schedule still at its old default was never edited by the owner and moves to
# the new one; an edited one stays as the owner set it.
FORMER_DEFAULTS = {"allegro: import orders": 30, "allegro: heartbeat": 60}


def schedules_install(**kwargs) -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    for old, new in RENAMED_TASKS.items():
        PeriodicTask.objects.filter(task=old).update(task=new)
    shipped = {name: seconds for name, _task, seconds, _description in SCHEDULES}
    for name, former in FORMER_DEFAULTS.items():
        interval, _created = IntervalSchedule.objects.get_or_create(
            every=shipped[name], period=IntervalSchedule.SECONDS
        )
        PeriodicTask.objects.filter(
            name=name, interval__every=former, interval__period=IntervalSchedule.SECONDS
        ).update(interval=interval)
    for name, task, seconds, description in SCHEDULES:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        interval, _created = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.create(name=name, task=task, interval=interval, description=str(description))
