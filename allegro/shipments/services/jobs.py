"""Shipments for many orders at once: the job and its items, the run (one order after another), the merged labels
and the pickup protocol at the end, retrying the failed orders, and the small JSON the progress page polls.

A run is idempotent: a finished item is left alone, an item's order keeps its one active shipment (a database
constraint) and that shipment's command id, so a run repeated by a lost worker or a second copy of the task sends
the same commands again and Allegro answers with the shipments it already made.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from allegro.accounts.models import AllegroAccount
from allegro.accounts.services.accounts import account_client
from allegro.checkouts.models import AllegroShipment
from allegro.core.models import EventKind
from allegro.core.services.events import event_log
from allegro.core.services.leases import lease_hold
from allegro.integration.client import AllegroError, AllegroRateLimited, AllegroRetryLater
from allegro.shipments.models import PackageTemplate, ShipmentJob, ShipmentJobItem, SwaShipment
from allegro.shipments.services.shipments import (
    ShipmentError,
    ShipmentPending,
    labels_merge,
    shipment_draft,
    shipment_label,
    shipment_record,
    shipment_submit,
)
from orders.models import Order


class JobError(Exception):
    pass


def shipment_job_start(
    *, account: AllegroAccount, order_ids: list[int], actor=None, template: PackageTemplate | None = None, retry_of=None
) -> ShipmentJob:
    """Record the job and one item per order (in the order of the list); the caller enqueues the run."""
    ids = list(dict.fromkeys(int(i) for i in order_ids))
    if not ids:
        raise JobError(_("Select at least one order."))
    with transaction.atomic():
        job = ShipmentJob.objects.create(
            account=account,
            package_template=template,
            retry_of=retry_of,
            total=len(ids),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        ShipmentJobItem.objects.bulk_create([ShipmentJobItem(job=job, order_id=i) for i in ids])
    return job


def _finish_item(item: ShipmentJobItem, *, result: str, message: str = "", shipment: SwaShipment | None = None) -> None:
    with transaction.atomic():
        updated = ShipmentJobItem.objects.filter(pk=item.pk, result=ShipmentJobItem.Result.PENDING).update(
            result=result, message=message[:2000], shipment=shipment
        )
        if updated:
            counter = "succeeded" if result == ShipmentJobItem.Result.CREATED else "failed"
            ShipmentJob.objects.filter(pk=item.job_id).update(done=F("done") + 1, **{counter: F(counter) + 1})


def _run_item(job: ShipmentJob, item: ShipmentJobItem, actor) -> list[AllegroShipment]:
    """One order: its shipment recorded (or found), sent and settled. Returns the tracking numbers to write back."""
    order = Order.objects.select_related("customer").get(pk=item.order_id)
    try:
        draft = shipment_draft(order=order, template=job.package_template)
        if draft.account.pk != job.account_id:
            raise ShipmentError(_("Order %(number)s belongs to another Allegro account.") % {"number": order.number})
        shipment = shipment_record(order=order, draft=draft, actor=actor)
        result = shipment_submit(shipment=shipment, actor=actor)
    except ShipmentError as exc:
        _finish_item(item, result=ShipmentJobItem.Result.FAILED, message=str(exc))
        return []
    except (AllegroRetryLater, AllegroRateLimited, ShipmentPending) as exc:
        # The command id is stored: "Ponów nieudane" (or the next run) sends the same one and learns the outcome.
        message = _("Allegro did not confirm the shipment in time; retry to check it (nothing is created twice).")
        if isinstance(exc, AllegroError):
            message = f"{message} ({'; '.join(exc.user_messages)})"
        _finish_item(item, result=ShipmentJobItem.Result.FAILED, message=message)
        return []
    except AllegroError as exc:
        _finish_item(item, result=ShipmentJobItem.Result.FAILED, message="; ".join(exc.user_messages))
        return []
    shipment = result.shipment
    if shipment.status == SwaShipment.Status.CREATED:
        _finish_item(
            item, result=ShipmentJobItem.Result.CREATED, message=", ".join(shipment.waybills), shipment=shipment
        )
    else:
        _finish_item(item, result=ShipmentJobItem.Result.FAILED, message=shipment.last_error, shipment=shipment)
    return [result.tracking] if result.tracking else []


def shipment_job_run(*, job_id: int) -> list[int]:
    """Run (or resume) the job; at the end merge the labels of every created shipment into one PDF and fetch the
    pickup protocol. Returns the ids of the tracking numbers whose write-back the caller enqueues."""
    job = ShipmentJob.objects.select_related("account", "package_template", "created_by").get(pk=job_id)
    if job.finished_at is not None:
        return []
    tracking: list[int] = []
    # One run works on a job at a time (raises LeaseBusy for the caller to come back later); a run that lost its
    # lease stops before its next item, and the one that took over carries on where it stopped.
    with lease_hold(key=f"shipments:{job.pk}") as lease:
        ShipmentJob.objects.filter(pk=job.pk).update(status=ShipmentJob.Status.RUNNING)
        for item in job.items.filter(result=ShipmentJobItem.Result.PENDING).order_by("pk"):
            lease.check()
            tracking.extend(t.pk for t in _run_item(job, item, job.created_by))
        lease.check()
        _job_documents(job)
    job.refresh_from_db()
    event_log(
        kind=EventKind.ORDER,
        action="swa_job_finished",
        message=ngettext(
            "Allegro shipments job #%(job)s: %(ok)d of %(total)d order shipped, %(failed)d failed.",
            "Allegro shipments job #%(job)s: %(ok)d of %(total)d orders shipped, %(failed)d failed.",
            job.total,
        )
        % {"job": job.pk, "ok": job.succeeded, "total": job.total, "failed": job.failed},
        account=job.account,
        success=job.failed == 0,
        actor=job.created_by,
    )
    return tracking


def _job_documents(job: ShipmentJob) -> None:
    shipments = [
        i.shipment
        for i in job.items.select_related("shipment__account")
        .filter(result=ShipmentJobItem.Result.CREATED)
        .order_by("pk")
        if i.shipment is not None
    ]
    labels = protocol = None
    message = ""
    try:
        if shipments:
            labels = labels_merge(pdfs=[shipment_label(shipment=s) for s in shipments])
            protocol = (
                account_client(account=job.account).get_shipment_protocol([s.allegro_id for s in shipments]) or None
            )
    except (AllegroError, ShipmentError) as exc:
        message = _("Labels could not be fetched: %(reason)s") % {
            "reason": "; ".join(exc.user_messages) if isinstance(exc, AllegroError) else str(exc)
        }
    ShipmentJob.objects.filter(pk=job.pk).update(
        labels_pdf=labels,
        protocol_pdf=protocol,
        message=message,
        status=ShipmentJob.Status.DONE,
        finished_at=timezone.now(),
    )


def shipment_job_fail(*, job_id: int, message: str) -> None:
    ShipmentJob.objects.filter(pk=job_id, finished_at__isnull=True).update(
        status=ShipmentJob.Status.FAILED, message=message[:2000], finished_at=timezone.now()
    )


def shipment_job_retry_failed(*, job: ShipmentJob, actor=None) -> ShipmentJob:
    """A new job of the failed orders. An order whose shipment Allegro did not confirm keeps its command id, so
    the retry learns what became of it instead of creating another parcel."""
    ids = list(job.items.filter(result=ShipmentJobItem.Result.FAILED).order_by("pk").values_list("order_id", flat=True))
    if not ids:
        raise JobError(_("No failed orders to retry."))
    return shipment_job_start(
        account=job.account, order_ids=ids, actor=actor, template=job.package_template, retry_of=job
    )


def shipment_job_status(*, job: ShipmentJob) -> dict[str, Any]:
    """The small JSON the progress page polls."""
    job.refresh_from_db(fields=["status", "total", "done", "succeeded", "failed", "finished_at"])
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "total": job.total,
        "done": job.done,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "percent": job.progress_percent,
        "finished": job.finished_at is not None,
    }
