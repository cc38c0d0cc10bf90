"""One "Wysyłam z Allegro" shipment: what the form proposes for an order, recording it, sending the create command,
reading the outcome, the label, cancelling, and what follows a created shipment (the tracking number on the
Allegro order, the shop order moved to "wysłane").

Crash safety: ``shipment_record`` commits the shipment with its command id before anything is sent;
``shipment_submit`` sends that id (again, after a timeout or a lost worker) and reads the command's status.
Allegro treats a repeated command id as the same command, so a retry never creates a second parcel. The
services decide and store; their callers enqueue the tasks (the tracking number's write-back among them).
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter

from allegro.accounts.models import AllegroAccount
from allegro.accounts.services.accounts import account_client
from allegro.checkouts.models import AllegroCheckout, AllegroShipment
from allegro.checkouts.services.writeback import checkout_for_order, order_add_tracking
from allegro.core.models import EventKind
from allegro.core.services.events import event_log
from allegro.integration.client import AllegroError
from allegro.integration.schemas.shipments import (
    Address,
    CashOnDelivery,
    CommandStatus,
    Dimension,
    PackageRequest,
    ShipmentInput,
    Weight,
)
from allegro.shipments.models import PackageTemplate, ShipmentMethodSetting, ShipmentSender, SwaShipment
from orders.models import Order, OrderStatus, PaymentType
from orders.services.orders import StatusTransitionNotAllowed, order_change_status

FALLBACK_PACKAGE = {"length_cm": 30, "width_cm": 20, "height_cm": 10, "weight_kg": Decimal("1.000")}
ACTIVE = (SwaShipment.Status.PENDING, SwaShipment.Status.CREATED, SwaShipment.Status.CANCELLING)


class ShipmentError(Exception):
    """The shipment cannot be created as asked; the message says why, in the staff member's words."""


class ShipmentPending(Exception):
    """Allegro is still working on the command: read its status again later (same command id)."""


def _poll_interval() -> float:
    return float(getattr(settings, "ALLEGRO_SHIPMENT_POLL_SECONDS", 1.0))


def _max_wait() -> float:
    return float(getattr(settings, "ALLEGRO_SHIPMENT_MAX_WAIT_SECONDS", 30.0))


@dataclass
class ShipmentDraft:
    """What the "Utwórz przesyłkę" form proposes for an order (and what the bulk creation uses as it is)."""

    account: AllegroAccount
    checkout: AllegroCheckout
    delivery_method_id: str
    delivery_method_name: str
    receiver: dict
    point: str
    cod_amount: Decimal | None
    package: dict = field(default_factory=dict)
    template_id: int | None = None

    @property
    def is_pickup_point(self) -> bool:
        return bool(self.point)


def _address_of_sender(sender: ShipmentSender) -> Address:
    return Address(
        name=sender.name,
        company=sender.company or None,
        street=sender.street,
        postalCode=sender.postal_code,
        city=sender.city,
        countryCode=sender.country_code,
        email=sender.email,
        phone=sender.phone,
    )


def sender_address(*, account: AllegroAccount) -> Address:
    sender = ShipmentSender.objects.filter(account=account).first()
    if sender is None:
        raise ShipmentError(
            _("Fill in the sender address of account %(account)s (Allegro shipments → sender addresses).")
            % {"account": account}
        )
    return _address_of_sender(sender)


def package_template_for(*, account: AllegroAccount, order: Order) -> PackageTemplate | None:
    """The order's delivery method's package when it belongs to this account, else the account's default."""
    setting = (
        ShipmentMethodSetting.objects.select_related("package_template")
        .filter(delivery_method_id=order.delivery_method_id)
        .first()
        if order.delivery_method_id
        else None
    )
    if setting and setting.package_template and setting.package_template.account_id == account.pk:
        return setting.package_template
    return PackageTemplate.objects.filter(account=account, is_default=True).first()


def _package_of(template: PackageTemplate | None) -> dict:
    if template is None:
        return dict(FALLBACK_PACKAGE)
    return {
        "length_cm": template.length_cm,
        "width_cm": template.width_cm,
        "height_cm": template.height_cm,
        "weight_kg": template.weight_kg,
    }


def method_uses_allegro(*, order: Order) -> bool:
    """Whether the order's shop delivery method sends with "Wysyłam z Allegro" (a method with no setting does)."""
    if not order.delivery_method_id:
        return True
    setting = ShipmentMethodSetting.objects.filter(delivery_method_id=order.delivery_method_id).first()
    return setting is None or setting.uses_allegro


def shipment_draft(*, order: Order, template: PackageTemplate | None = None) -> ShipmentDraft:
    """The form's proposal: the buyer's delivery method on Allegro as the service, the pickup point for a locker
    or the delivery address for a courier, cash on delivery when the order is paid on delivery, and the package of
    the shop delivery method (or the account's default package)."""
    checkout = checkout_for_order(order_id=order.pk)
    if checkout is None:
        raise ShipmentError(_("Order %(number)s did not come from Allegro.") % {"number": order.number})
    if not method_uses_allegro(order=order):
        raise ShipmentError(
            _("The delivery method %(method)s of order %(number)s does not ship with Allegro.")
            % {"method": order.delivery_method, "number": order.number}
        )
    payload = checkout.payload or {}
    delivery = payload.get("delivery") or {}
    method = delivery.get("method") or {}
    if not method.get("id"):
        raise ShipmentError(_("Order %(number)s has no Allegro delivery method.") % {"number": order.number})
    email = (payload.get("buyer") or {}).get("email") or (order.customer.email if order.customer is not None else "")
    receiver = {
        "name": order.delivery_name or "",
        "company": order.delivery_company or "",
        "street": order.delivery_street or "",
        "postal_code": order.delivery_post_code or "",
        "city": order.delivery_city or "",
        "country_code": order.delivery_country_code or "PL",
        "phone": order.delivery_phone or "",
        "email": email,
    }
    cod = order.total if order.payment_type == PaymentType.CASH_ON_DELIVERY else None
    template = template or package_template_for(account=checkout.account, order=order)
    return ShipmentDraft(
        account=checkout.account,
        checkout=checkout,
        delivery_method_id=str(method["id"]),
        delivery_method_name=str(method.get("name") or order.delivery_method_name or ""),
        receiver=receiver,
        point=order.pickup_point_id or "",
        cod_amount=cod,
        package=_package_of(template),
        template_id=template.pk if template else None,
    )


def shipment_input(*, draft: ShipmentDraft, order: Order) -> ShipmentInput:
    r = draft.receiver
    package = draft.package
    receiver = Address(
        name=r["name"] or None,
        company=r["company"] or None,
        street=r["street"],
        postalCode=r["postal_code"],
        city=r["city"],
        countryCode=r["country_code"] or "PL",
        email=r["email"],
        phone=r["phone"],
        point=draft.point or None,
    )
    cod = None
    if draft.cod_amount is not None:
        cod = CashOnDelivery(amount=f"{draft.cod_amount:.2f}", currency=order.currency or "PLN")
    return ShipmentInput(
        deliveryMethodId=draft.delivery_method_id,
        sender=sender_address(account=draft.account),
        receiver=receiver,
        referenceNumber=order.number,
        packages=[
            PackageRequest(
                length=Dimension(value=float(package["length_cm"])),
                width=Dimension(value=float(package["width_cm"])),
                height=Dimension(value=float(package["height_cm"])),
                weight=Weight(value=float(package["weight_kg"])),
                textOnLabel=order.number,
            )
        ],
        cashOnDelivery=cod,
    )


def shipment_active(*, order: Order) -> SwaShipment | None:
    return SwaShipment.objects.filter(order=order, status__in=ACTIVE).order_by("-pk").first()


def shipment_record(*, order: Order, draft: ShipmentDraft, actor=None) -> SwaShipment:
    """Store the shipment and its command id (committed before anything goes to Allegro). An order that already
    has a shipment being created or created gets that one back: the retry of a timeout re-sends its id."""
    existing = shipment_active(order=order)
    if existing is not None:
        return existing
    body = shipment_input(draft=draft, order=order).body()
    try:
        with transaction.atomic():
            shipment = SwaShipment.objects.create(
                account=draft.account,
                order=order,
                delivery_method_id=draft.delivery_method_id,
                delivery_method_name=draft.delivery_method_name[:200],
                request=body,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:  # another worker recorded it a moment ago
        recorded = shipment_active(order=order)
        if recorded is None:
            raise
        return recorded
    return shipment


@dataclass
class SubmitResult:
    shipment: SwaShipment
    tracking: AllegroShipment | None = None  # the caller enqueues its write-back (shipment_send) after commit


def _command_status(*, client, shipment: SwaShipment) -> CommandStatus:
    # The stored request, not one built again: a retry sends exactly what the first attempt sent.
    client.create_shipment_command(str(shipment.command_id), ShipmentInput.model_validate(shipment.request))
    return client.wait_for_command(
        client.get_shipment_command, str(shipment.command_id), interval=_poll_interval(), max_wait=_max_wait()
    )


def shipment_submit(*, shipment: SwaShipment, actor=None) -> SubmitResult:
    """Send the shipment's create command (the same command id every time) and settle the outcome.

    Raises ``AllegroRetryLater``/``AllegroRateLimited`` (the caller retries) or ``ShipmentPending`` when Allegro
    is still working; ends the shipment FAILED with Allegro's reasons when the command ends in ERROR."""
    if shipment.status != SwaShipment.Status.PENDING:
        return SubmitResult(shipment=shipment)
    client = account_client(account=shipment.account)
    try:
        status = _command_status(client=client, shipment=shipment)
    except AllegroError as exc:
        SwaShipment.objects.filter(pk=shipment.pk).update(last_error="; ".join(exc.user_messages)[:2000])
        if exc.status is not None and 400 <= exc.status < 500 and exc.status not in (401, 429):
            return SubmitResult(shipment=_fail(shipment, "; ".join(exc.user_messages), actor=actor))
        raise
    if not status.finished:
        raise ShipmentPending(str(shipment.command_id))
    if status.status == "ERROR":
        return SubmitResult(
            shipment=_fail(shipment, status.error_text or _("Allegro refused the shipment."), actor=actor)
        )
    details = client.get_swa_shipment(status.shipmentId)
    with transaction.atomic():
        # Conditional: of two runs that both learnt the outcome (a redelivered task, the sweep), one settles it.
        settled = SwaShipment.objects.filter(pk=shipment.pk, status=SwaShipment.Status.PENDING).update(
            status=SwaShipment.Status.CREATED,
            allegro_id=status.shipmentId[:200],
            carrier_id=details.carrier[:32],
            waybills=details.waybills,
            last_error="",
        )
        shipment.refresh_from_db()
        tracking = _after_created(shipment=shipment, actor=actor) if settled else None
    return SubmitResult(shipment=shipment, tracking=tracking)


def shipments_unsettled(*, older_than_seconds: int = 120) -> list[int]:
    """Shipments still waiting for Allegro's answer a while after they were recorded (their task gave up or its
    worker died): the sweep sends their command ids again."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        SwaShipment.objects.filter(status=SwaShipment.Status.PENDING, updated_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )


def _fail(shipment: SwaShipment, reason: str, *, actor=None) -> SwaShipment:
    SwaShipment.objects.filter(pk=shipment.pk).update(status=SwaShipment.Status.FAILED, last_error=reason[:2000])
    shipment.refresh_from_db()
    event_log(
        kind=EventKind.ORDER,
        action="swa_shipment_failed",
        message=_("Allegro shipment of order %(number)s was not created: %(reason)s")
        % {"number": shipment.order.number, "reason": reason},
        account=shipment.account,
        order_id=shipment.order_id,
        success=False,
        actor=actor,
    )
    return shipment


def _after_created(*, shipment: SwaShipment, actor=None) -> AllegroShipment | None:
    """The tracking number onto the Allegro order and the shop order to "wysłane" (through "w realizacji" when the
    pipeline needs it). Runs in the transaction that marks the shipment created."""
    order = Order.objects.get(pk=shipment.order_id)
    tracking = None
    if shipment.waybill:
        tracking = order_add_tracking(
            order=order,
            carrier_id=shipment.carrier_id or "OTHER",
            carrier_name=shipment.carrier_id or "Allegro",
            waybill=shipment.waybill,
            actor=actor,
        )
        SwaShipment.objects.filter(pk=shipment.pk).update(tracking_added=True)
    try:
        if not order.can_change_to(OrderStatus.SENT) and order.can_change_to(OrderStatus.PROCESSING):
            order = order_change_status(
                order=order, status=OrderStatus.PROCESSING, actor=actor, note="Wysyłam z Allegro"
            )
        order_change_status(order=order, status=OrderStatus.SENT, actor=actor, note="Wysyłam z Allegro")
    except StatusTransitionNotAllowed:
        pass  # cancelled or already further along: the shipment stays, staff see it on the order page
    event_log(
        kind=EventKind.ORDER,
        action="swa_shipment_created",
        message=_("Allegro shipment %(waybill)s (%(carrier)s) created for order %(number)s.")
        % {"waybill": shipment.waybill, "carrier": shipment.carrier_id, "number": order.number},
        account=shipment.account,
        order_id=order.pk,
        actor=actor,
    )
    return tracking


def shipment_label(*, shipment: SwaShipment) -> bytes:
    """The shipment's label PDF: fetched from Allegro once, then kept."""
    if shipment.label_pdf:
        return bytes(shipment.label_pdf)
    if shipment.status != SwaShipment.Status.CREATED or not shipment.allegro_id:
        raise ShipmentError(_("The shipment has no label: it is not created."))
    pdf = account_client(account=shipment.account).get_shipment_labels([shipment.allegro_id])
    if not pdf:
        raise ShipmentError(_("Allegro has no label for this shipment."))
    SwaShipment.objects.filter(pk=shipment.pk).update(label_pdf=pdf)
    return pdf


def labels_merge(*, pdfs: list[bytes]) -> bytes:
    """One PDF of every label, in the given order (pages kept as Allegro made them)."""
    writer = PdfWriter()
    for pdf in pdfs:
        for page in PdfReader(io.BytesIO(pdf)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def shipment_cancel(*, shipment: SwaShipment, actor=None) -> SwaShipment:
    """Cancel a created shipment before the courier takes it. The cancel command's id is committed first, so a
    repeat sends the same command. Raises ``ShipmentError`` with Allegro's reason when it refuses."""
    if shipment.status not in (SwaShipment.Status.CREATED, SwaShipment.Status.CANCELLING):
        raise ShipmentError(_("Only a created shipment can be cancelled."))
    if shipment.cancel_command_id is None or shipment.status == SwaShipment.Status.CREATED:
        SwaShipment.objects.filter(pk=shipment.pk).update(
            status=SwaShipment.Status.CANCELLING, cancel_command_id=uuid.uuid4()
        )
        shipment.refresh_from_db()
    client = account_client(account=shipment.account)
    command_id = str(shipment.cancel_command_id)
    client.cancel_shipment_command(command_id, shipment_id=shipment.allegro_id)
    status = client.wait_for_command(
        client.get_cancel_command, command_id, interval=_poll_interval(), max_wait=_max_wait()
    )
    if not status.finished:
        raise ShipmentPending(command_id)
    if status.status == "ERROR":
        reason = status.error_text or _("Allegro refused to cancel the shipment.")
        SwaShipment.objects.filter(pk=shipment.pk).update(status=SwaShipment.Status.CREATED, last_error=reason[:2000])
        shipment.refresh_from_db()
        event_log(
            kind=EventKind.ORDER,
            action="swa_shipment_cancel_refused",
            message=_("Allegro shipment %(waybill)s of order %(number)s was not cancelled: %(reason)s")
            % {"waybill": shipment.waybill, "number": shipment.order.number, "reason": reason},
            account=shipment.account,
            order_id=shipment.order_id,
            success=False,
            actor=actor,
        )
        raise ShipmentError(reason)
    SwaShipment.objects.filter(pk=shipment.pk).update(status=SwaShipment.Status.CANCELLED, last_error="")
    shipment.refresh_from_db()
    event_log(
        kind=EventKind.ORDER,
        action="swa_shipment_cancelled",
        message=_("Allegro shipment %(waybill)s of order %(number)s cancelled.")
        % {"waybill": shipment.waybill, "number": shipment.order.number},
        account=shipment.account,
        order_id=shipment.order_id,
        actor=actor,
    )
    return shipment


def shipment_draft_apply(*, draft: ShipmentDraft, data: dict, services: dict[str, str]) -> ShipmentDraft:
    """The draft as the staff member corrected it in the form (service, recipient, package, cash on delivery)."""
    draft.delivery_method_id = data["delivery_method_id"]
    draft.delivery_method_name = services.get(data["delivery_method_id"], draft.delivery_method_name)
    draft.point = data.get("point") or ""
    draft.receiver = {
        **draft.receiver,
        **{k: data.get(k) or "" for k in ("name", "company", "street", "postal_code", "city", "phone", "email")},
    }
    draft.package = {k: data[k] for k in ("length_cm", "width_cm", "height_cm", "weight_kg")}
    draft.cod_amount = data.get("cod_amount") if data.get("cash_on_delivery") else None
    return draft


def delivery_services(*, account: AllegroAccount) -> dict[str, str]:
    """Allegro's delivery services of the account, by delivery method id (for the form's list)."""
    return {
        s.id.deliveryMethodId: s.name
        for s in account_client(account=account).get_delivery_services()
        if s.id.deliveryMethodId
    }
