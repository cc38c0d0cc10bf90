"""Celery tasks of the invoices room: ids in, one service call.

Delivering an invoice is idempotent (its number and the stored declaration id make a repeat find what the
first attempt did), so ``acks_late`` + ``reject_on_worker_lost`` are safe."""

from celery import shared_task

from allegro.integration.client import AllegroRateLimited, AllegroRetryLater

RETRY = {
    "autoretry_for": (AllegroRetryLater, AllegroRateLimited),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True, **RETRY)
def order_invoice_send(invoice_id: int) -> None:
    """Deliver one invoice to its Allegro order."""
    from allegro.invoices.models import OrderInvoice
    from allegro.invoices.services.invoices import order_invoice_send as send

    invoice = OrderInvoice.objects.select_related("checkout__account__app", "order").filter(pk=invoice_id).first()
    if invoice is not None:
        send(invoice=invoice)


@shared_task(ignore_result=True)
def invoices_send_pending() -> int:
    """Beat (every 5 min): a task for each invoice that should have reached Allegro by now and has not."""
    from allegro.invoices.selectors import invoices_to_send

    ids = list(invoices_to_send().values_list("pk", flat=True)[:200])
    for invoice_id in ids:
        order_invoice_send.delay(invoice_id)
    return len(ids)
