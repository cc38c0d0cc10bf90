"""Writing order changes back to Allegro: the fulfillment status when staff move an
Allegro order along the shop's pipeline, and tracking numbers as shipments.

Both run in Celery tasks enqueued after commit with ids only, by the caller (the receiver of the
status signal, the tracking-number page): a service decides, it never enqueues. The fulfillment PUT carries the
checkout form's revision; a 409 (stale revision) re-reads the form and retries once. A shipment is
stored before the call, and a 409 on retry is checked against Allegro's list of shipments, so a
waybill is never added twice.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.accounts.services.accounts import account_client
from allegro.checkouts.models import AllegroCheckout, AllegroShipment
from allegro.core.models import EventKind
from allegro.core.services.events import event_log
from allegro.integration.client import AllegroConflict
from orders.models import Order, OrderStatus

# Shop status -> Allegro fulfillment status (RETURNED cannot be set by a seller; DELIVERED has no twin).
FULFILLMENT_FOR_STATUS = {
    OrderStatus.PROCESSING: "PROCESSING",
    OrderStatus.READY_TO_SHIP: "READY_FOR_SHIPMENT",
    OrderStatus.SENT: "SENT",
    OrderStatus.CANCELLED: "CANCELLED",
}
OTHER_CARRIER = "OTHER"


def checkout_for_order(*, order_id: int) -> AllegroCheckout | None:
    return AllegroCheckout.objects.select_related("account__app").filter(order_id=order_id).order_by("-pk").first()


def order_status_needs_writeback(*, order_id: int, to_status: str, origin: str = "") -> bool:
    """Whether a shop status change must be sent to Allegro: the order came from Allegro, the status has an
    Allegro twin, and the change did not come from Allegro itself (the import's own echo)."""
    if origin == "allegro" or to_status not in FULFILLMENT_FOR_STATUS:
        return False
    return AllegroCheckout.objects.filter(order_id=order_id).exists()


def order_push_fulfillment(*, order: Order, status: str) -> bool:
    """Send the fulfillment status matching the shop ``status``. False when there is nothing to send."""
    target = FULFILLMENT_FOR_STATUS.get(status)
    checkout = checkout_for_order(order_id=order.pk)
    if target is None or checkout is None or checkout.fulfillment_status == target:
        return False
    client = account_client(account=checkout.account)
    try:
        client.set_fulfillment_status(checkout.checkout_form_id, status=target, revision=checkout.revision or None)
    except AllegroConflict:
        # Stale revision: the buyer or Allegro changed the form since we read it. Read it again and
        # retry once. The new revision is not stored: the importer must still see what changed.
        fresh = client.get_checkout_form(checkout.checkout_form_id)
        revision = fresh.get("revision") if isinstance(fresh, dict) else None
        client.set_fulfillment_status(checkout.checkout_form_id, status=target, revision=revision)
    AllegroCheckout.objects.filter(pk=checkout.pk).update(fulfillment_status=target)
    event_log(
        kind=EventKind.ORDER,
        action="fulfillment_sent",
        message=_("Allegro status of order %(number)s set to %(status)s.") % {"number": order.number, "status": target},
        account=checkout.account,
        order_id=order.pk,
    )
    return True


def order_add_tracking(
    *, order: Order, carrier_id: str, waybill: str, carrier_name: str = "", actor=None
) -> AllegroShipment:
    """ "Dodaj numer przesyłki": keep the number on the order and record the shipment; the caller enqueues
    ``shipment_send`` for it after commit."""
    checkout = checkout_for_order(order_id=order.pk)
    if checkout is None:
        raise ValueError(_("This order did not come from Allegro."))
    waybill = waybill.strip()
    with transaction.atomic():
        Order.objects.filter(pk=order.pk).update(tracking_number=waybill[:64])
        order.tracking_number = waybill[:64]
        try:
            with transaction.atomic():
                shipment = AllegroShipment.objects.create(
                    checkout=checkout,
                    carrier_id=carrier_id,
                    carrier_name=carrier_name[:30] if carrier_id == OTHER_CARRIER else "",
                    waybill=waybill[:64],
                )
        except IntegrityError:
            shipment = AllegroShipment.objects.get(checkout=checkout, waybill=waybill[:64])
        event_log(
            kind=EventKind.ORDER,
            action="tracking_added",
            message=_("Tracking number %(waybill)s (%(carrier)s) added to order %(number)s.")
            % {"waybill": waybill, "carrier": carrier_id, "number": order.number},
            account=checkout.account,
            order_id=order.pk,
            actor=actor,
        )
    return shipment


def shipment_send(*, shipment: AllegroShipment) -> None:
    """POST the shipment to Allegro once; a 409 after an earlier attempt means it is already there."""
    if shipment.sent_at is not None:
        return
    checkout = shipment.checkout
    client = account_client(account=checkout.account)
    body = {"carrierId": shipment.carrier_id, "waybill": shipment.waybill, "lineItems": []}
    if shipment.carrier_id == OTHER_CARRIER:
        body["carrierName"] = shipment.carrier_name or "—"
    try:
        data = client.add_shipment(checkout.checkout_form_id, body=body)
    except AllegroConflict as exc:
        existing = [s for s in client.get_shipments(checkout.checkout_form_id) if s.get("waybill") == shipment.waybill]
        if not existing:
            AllegroShipment.objects.filter(pk=shipment.pk).update(last_error="; ".join(exc.user_messages)[:2000])
            raise
        data = existing[0]
    AllegroShipment.objects.filter(pk=shipment.pk).update(
        allegro_id=str(data.get("id") or "")[:64], sent_at=timezone.now(), last_error=""
    )


def carriers_for(*, account) -> list[tuple[str, str]]:
    """Allegro's carriers (GET /order/carriers) as choices."""
    return [
        (str(c.get("id")), str(c.get("name") or c.get("id"))) for c in account_client(account=account).get_carriers()
    ]
