"""Celery tasks of the order import: thin, ids in, the service does the work.

Imports are idempotent (uniqueness keys, revision checks) and locked per account, so they may run
twice: ``acks_late`` + ``reject_on_worker_lost`` are safe on them.
"""

from celery import shared_task

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.integration.client import AllegroRateLimited, AllegroRetryLater

RETRY = {
    "autoretry_for": (AllegroRetryLater, AllegroRateLimited),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(ignore_result=True)
def orders_import_all() -> int:
    """Beat (every 30 s): one import task per account with "import orders" switched on."""
    ids = list(
        AllegroAccount.objects.filter(state=ConnectionState.CONNECTED, sync_import_orders=True).values_list(
            "pk", flat=True
        )
    )
    for account_id in ids:
        orders_import.delay(account_id)
    return len(ids)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def orders_import(account_id: int) -> None:
    """Import new orders of one account (skips quietly when another import of it is running)."""
    from allegro.checkouts.services.order_import import order_import_account

    account = AllegroAccount.objects.filter(pk=account_id, state=ConnectionState.CONNECTED).first()
    if account is None:
        return  # deleted or waiting for re-authorisation: nothing to retry
    order_import_account(account=account)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True, **RETRY)
def order_push_fulfillment(order_id: int, status: str) -> None:
    """Send the shop status of an Allegro order back as its fulfillment status (a PUT: idempotent)."""
    from allegro.checkouts.services.writeback import order_push_fulfillment as push
    from orders.models import Order

    order = Order.objects.filter(pk=order_id).first()
    if order is not None:
        push(order=order, status=status)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True, **RETRY)
def shipment_send(shipment_id: int) -> None:
    """Send a tracking number to Allegro (a repeat finds its own waybill instead of adding it twice)."""
    from allegro.checkouts.models import AllegroShipment
    from allegro.checkouts.services.writeback import shipment_send as send

    shipment = AllegroShipment.objects.select_related("checkout__account__app").filter(pk=shipment_id).first()
    if shipment is not None:
        send(shipment=shipment)
