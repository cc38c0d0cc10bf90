"""Celery tasks of "Wysyłam z Allegro": thin, ids in, the services do the work.

Both are idempotent (a shipment's command id is stored before it is sent, a job's finished items are left alone),
so ``acks_late`` + ``reject_on_worker_lost`` are safe: a task repeated after a lost worker sends the same command
ids and Allegro answers with the shipments it already made.
"""

from celery import shared_task

from allegro.integration.client import AllegroRateLimited, AllegroRetryLater

RETRY = {
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


def _send_tracking(tracking_ids: list[int]) -> None:
    """The tracking numbers go onto the Allegro orders by the order import's own write-back task."""
    from allegro.checkouts.tasks import shipment_send

    for tracking_id in tracking_ids:
        shipment_send.delay_on_commit(tracking_id)


@shared_task(
    bind=True,
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(AllegroRetryLater, AllegroRateLimited),
    **RETRY,
)
def swa_shipment_create(self, shipment_id: int) -> None:
    """Create one recorded shipment on Allegro (or learn what became of its command)."""
    from allegro.shipments.models import SwaShipment
    from allegro.shipments.services.shipments import ShipmentPending, shipment_submit

    shipment = SwaShipment.objects.select_related("account__app", "order").filter(pk=shipment_id).first()
    if shipment is None:
        return
    try:
        result = shipment_submit(shipment=shipment, actor=shipment.created_by)
    except ShipmentPending as exc:
        raise self.retry(exc=exc, countdown=5) from None
    if result.tracking is not None:
        _send_tracking([result.tracking.pk])


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def swa_job_run(job_id: int) -> None:
    """Run (or resume) a bulk shipments job."""
    from allegro.core.services.leases import LeaseBusy, LeaseLost
    from allegro.shipments.services.jobs import shipment_job_fail, shipment_job_run

    try:
        tracking = shipment_job_run(job_id=job_id)
    except (LeaseBusy, LeaseLost):
        # Another run holds the job (or took it over): look again once its lease could have lapsed.
        swa_job_run.apply_async((job_id,), countdown=90)
        return
    except Exception as exc:
        shipment_job_fail(job_id=job_id, message=f"{type(exc).__name__}: {exc}")
        raise
    _send_tracking(tracking)


@shared_task(ignore_result=True)
def swa_pending_sweep() -> int:
    """Beat (every 5 min): send again the command of every shipment Allegro has not answered for a while (the same
    command id, so nothing is created twice)."""
    from allegro.shipments.services.shipments import shipments_unsettled

    ids = shipments_unsettled()
    for shipment_id in ids:
        swa_shipment_create.delay(shipment_id)
    return len(ids)
