"""Courier pickups: the dates Allegro proposes for some shipments, and ordering the pickup for one of them.

The pickup's command id is committed before the command is sent, so repeating the order (after a timeout) sends
the same command and Allegro does not book the courier twice.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from allegro.accounts.models import AllegroAccount
from allegro.accounts.services.accounts import account_client
from allegro.core.models import EventKind
from allegro.core.services.events import event_log
from allegro.integration.schemas.shipments import PickupTime
from allegro.shipments.models import ShipmentPickup, SwaShipment
from allegro.shipments.services.shipments import (
    ShipmentError,
    ShipmentPending,
    _max_wait,
    _poll_interval,
    sender_address,
)


def _pickable(shipments: list[SwaShipment]) -> list[SwaShipment]:
    ready = [s for s in shipments if s.status == SwaShipment.Status.CREATED and s.allegro_id]
    if not ready:
        raise ShipmentError(_("There is no created shipment to be picked up."))
    return ready


def pickup_proposals(*, account: AllegroAccount, shipments: list[SwaShipment]) -> list[PickupTime]:
    """The pickup times Allegro proposes for every one of the shipments (the dates common to all of them)."""
    ready = _pickable(shipments)
    proposals = account_client(account=account).get_pickup_proposals(
        [s.allegro_id for s in ready], address=sender_address(account=account)
    )
    common: dict[str, PickupTime] | None = None
    for proposal in proposals:
        times = {t.date[:10]: t for t in proposal.pickupTimes}
        common = times if common is None else {d: t for d, t in common.items() if d in times}
    shared = common or {}
    return [shared[d] for d in sorted(shared)]


def pickup_order(
    *, account: AllegroAccount, shipments: list[SwaShipment], pickup_time: PickupTime, actor=None
) -> ShipmentPickup:
    """Order the courier for ``pickup_time``; raises ``ShipmentError`` with Allegro's reason when it refuses."""
    ready = _pickable(shipments)
    pickup = ShipmentPickup.objects.create(
        account=account,
        pickup_date=dt.date.fromisoformat(pickup_time.date[:10]),
        min_time=pickup_time.minTime[:5],
        max_time=pickup_time.maxTime[:5],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    return pickup_send(pickup=pickup, shipments=ready, actor=actor)


def pickup_send(*, pickup: ShipmentPickup, shipments: list[SwaShipment], actor=None) -> ShipmentPickup:
    client = account_client(account=pickup.account)
    command_id = str(pickup.command_id)
    time = PickupTime(date=pickup.pickup_date.isoformat(), minTime=pickup.min_time, maxTime=pickup.max_time)
    client.create_pickup_command(
        command_id,
        shipment_ids=[s.allegro_id for s in shipments],
        pickup_time=time,
        address=sender_address(account=pickup.account),
    )
    status = client.wait_for_command(
        client.get_pickup_command, command_id, interval=_poll_interval(), max_wait=_max_wait()
    )
    if not status.finished:
        raise ShipmentPending(command_id)
    if status.status == "ERROR":
        reason = status.error_text or _("Allegro refused the pickup.")
        ShipmentPickup.objects.filter(pk=pickup.pk).update(
            status=ShipmentPickup.Status.FAILED, last_error=reason[:2000]
        )
        raise ShipmentError(reason)
    ShipmentPickup.objects.filter(pk=pickup.pk).update(
        status=ShipmentPickup.Status.ORDERED,
        allegro_id=status.pickupId[:64],
        carrier_pickup_id=status.carrierPickupId[:64],
        last_error="",
    )
    SwaShipment.objects.filter(pk__in=[s.pk for s in shipments]).update(pickup=pickup)
    pickup.refresh_from_db()
    event_log(
        kind=EventKind.ORDER,
        action="swa_pickup_ordered",
        message=ngettext(
            "Courier pickup %(number)s ordered for %(date)s (%(count)d shipment).",
            "Courier pickup %(number)s ordered for %(date)s (%(count)d shipments).",
            len(shipments),
        )
        % {"number": pickup.carrier_pickup_id, "date": pickup.pickup_date, "count": len(shipments)},
        account=pickup.account,
        actor=actor,
    )
    return pickup
