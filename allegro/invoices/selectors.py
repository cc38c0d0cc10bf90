"""Reads of the invoices room: the buyer's invoice data from the checkout form, the seller's data, an
order's invoice and the invoices still to be delivered to Allegro."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone
from pydantic import ValidationError

from allegro.checkouts.models import AllegroCheckout
from allegro.integration.schemas.orders import Invoice
from allegro.invoices.models import InvoiceSeller, InvoiceState, OrderInvoice


@dataclass(frozen=True)
class BuyerInvoiceData:
    """Who the invoice is made out to, as the buyer gave it in the checkout form."""

    requested: bool
    company: str = ""
    nip: str = ""
    person: str = ""
    street: str = ""
    post_code: str = ""
    city: str = ""
    country_code: str = "PL"

    @property
    def name(self) -> str:
        return self.company or self.person

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "person": self.person if self.company else "",
            "nip": self.nip,
            "street": self.street,
            "post_code": self.post_code,
            "city": self.city,
            "country_code": self.country_code,
        }


def checkout_for_order(*, order_id: int) -> AllegroCheckout | None:
    """The order's Allegro purchase (the newest, if Allegro merged several into the order)."""
    return AllegroCheckout.objects.select_related("account__app").filter(order_id=order_id).order_by("-pk").first()


def buyer_invoice_data(*, checkout: AllegroCheckout) -> BuyerInvoiceData:
    """The checkout form's ``invoice`` part (which may be null or not requested). A buyer who asked for no
    invoice still gets one (a receipt-like invoice) made out to the name and address of the purchase."""
    payload = checkout.payload if isinstance(checkout.payload, dict) else {}
    try:
        invoice = Invoice.model_validate(payload.get("invoice") or {})
    except ValidationError:
        invoice = Invoice()
    buyer = payload.get("buyer") if isinstance(payload.get("buyer"), dict) else {}
    buyer_name = " ".join(filter(None, (str(buyer.get("firstName") or ""), str(buyer.get("lastName") or ""))))
    address = invoice.address
    if invoice.required and address is not None:
        company = address.company
        person = address.naturalPerson
        person_name = " ".join(filter(None, (person.firstName, person.lastName))) if person else ""
        return BuyerInvoiceData(
            requested=True,
            company=(company.name or "") if company else "",
            nip=company.nip if company else "",
            person=person_name or buyer_name,
            street=address.street or "",
            post_code=address.zipCode or "",
            city=address.city or "",
            country_code=address.countryCode or "PL",
        )
    home = buyer.get("address") if isinstance(buyer.get("address"), dict) else {}
    return BuyerInvoiceData(
        requested=False,
        company=str(buyer.get("companyName") or ""),
        person=buyer_name or str(buyer.get("login") or ""),
        street=str(home.get("street") or ""),
        post_code=str(home.get("postCode") or home.get("zipCode") or ""),
        city=str(home.get("city") or ""),
        country_code=str(home.get("countryCode") or "PL"),
    )


def invoice_seller_for(*, account_id: int) -> InvoiceSeller | None:
    return InvoiceSeller.objects.filter(account_id=account_id).first()


def invoice_for_order(*, order_id: int) -> OrderInvoice | None:
    return OrderInvoice.objects.select_related("checkout__account__app").filter(order_id=order_id).first()


def invoices_to_send(*, older_than: timedelta = timedelta(minutes=2)) -> QuerySet[OrderInvoice]:
    """Invoices not delivered yet whose own task should have delivered them by now (a worker died, Allegro
    was down for longer than the task's retries)."""
    return OrderInvoice.objects.filter(
        state__in=[InvoiceState.READY, InvoiceState.DECLARED], created_at__lt=timezone.now() - older_than
    ).order_by("pk")
