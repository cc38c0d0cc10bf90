"""Typed checkout forms and order events, parsed at the edge.

Allegro's journal and checkout forms are untrusted input: a payload that is missing a field, has a
wrong type, an enum value we do not know, a NUL byte or an absurdly long string is rejected here as
a whole (``CheckoutFormInvalid`` with a readable reason), so the importer can quarantine it before
anything is written. Text is NFC-normalised: Polish letters sent decomposed
(NFD) are stored as the same letters a person would type.
"""

from __future__ import annotations

import json
import math
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

FORM_STATUSES = ("BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING", "CANCELLED")
EVENT_TYPES = (
    "BOUGHT",
    "FILLED_IN",
    "READY_FOR_PROCESSING",
    "BUYER_CANCELLED",
    "FULFILLMENT_STATUS_CHANGED",
    "BUYER_MODIFIED",
    "AUTO_CANCELLED",
)
PAYMENT_TYPES = ("CASH_ON_DELIVERY", "WIRE_TRANSFER", "ONLINE", "SPLIT_PAYMENT", "EXTENDED_TERM")
FULFILLMENT_STATUSES = (
    "NEW",
    "PROCESSING",
    "READY_FOR_SHIPMENT",
    "READY_FOR_PICKUP",
    "SENT",
    "PICKED_UP",
    "CANCELLED",
    "SUSPENDED",
    "RETURNED",
)
MAX_MONEY = Decimal("100000000")
MAX_PAYLOAD_CHARS = 1_000_000


class CheckoutFormInvalid(ValueError):
    """The payload cannot be imported; ``reason`` says why (for the quarantine list)."""

    def __init__(self, reason: str, *, checkout_form_id: str = "") -> None:
        self.reason = reason
        self.checkout_form_id = checkout_form_id
        super().__init__(reason)


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL byte")
    return unicodedata.normalize("NFC", value)


def _text(max_length: int):
    return Annotated[str, Field(max_length=max_length), AfterValidator(_clean_text)]


def _money(value: Any) -> Decimal:
    # Allegro sends amounts as decimal strings; a number is tolerated, anything else is not.
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("amount must be a decimal string")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("amount is not a number") from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_MONEY:
        raise ValueError("amount out of range")
    return amount.quantize(Decimal("0.01"))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


Id = _text(64)
Name = _text(200)
ShortText = _text(100)
Amount = Annotated[Decimal, BeforeValidator(_money)]
Moment = Annotated[datetime, AfterValidator(_aware)]


class _Model(BaseModel):
    # Allegro adds fields over time: unknown keys are ignored, known ones are checked strictly.
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


class Price(_Model):
    amount: Amount
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "PLN"


class BuyerAddress(_Model):
    street: Name | None = None
    city: ShortText | None = None
    postCode: _text(12) | None = None
    countryCode: _text(2) | None = None


class Buyer(_Model):
    id: Id = Field(min_length=1)
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$"), AfterValidator(_clean_text)]
    login: ShortText = Field(min_length=1)
    firstName: ShortText | None = None
    lastName: ShortText | None = None
    companyName: Name | None = None
    guest: bool = False
    phoneNumber: _text(40) | None = None
    address: BuyerAddress | None = None


class Payment(_Model):
    id: Id
    type: Literal[PAYMENT_TYPES]  # type: ignore[valid-type]
    provider: _text(40) | None = None
    finishedAt: Moment | None = None
    paidAmount: Price | None = None


class Fulfillment(_Model):
    status: Literal[FULFILLMENT_STATUSES] | None = None  # type: ignore[valid-type]


class DeliveryAddress(_Model):
    firstName: ShortText | None = None
    lastName: ShortText | None = None
    street: Name | None = None
    city: ShortText | None = None
    zipCode: _text(12) | None = None
    countryCode: _text(2) | None = None
    companyName: Name | None = None
    phoneNumber: _text(40) | None = None


class DeliveryMethodRef(_Model):
    id: Id | None = None
    name: Name | None = None


class PickupPoint(_Model):
    id: Id | None = None
    name: Name | None = None
    description: _text(1000) | None = None
    address: BuyerAddress | None = None

    @property
    def one_line(self) -> str:
        addr = self.address
        if addr is None:
            return ""
        return ", ".join(p for p in (addr.street, " ".join(filter(None, (addr.postCode, addr.city)))) if p)


class Delivery(_Model):
    address: DeliveryAddress | None = None
    method: DeliveryMethodRef | None = None
    pickupPoint: PickupPoint | None = None
    cost: Price | None = None


class CompanyId(_Model):
    type: _text(20)
    value: _text(40)


class InvoiceCompany(_Model):
    name: Name | None = None
    ids: list[CompanyId] = Field(default_factory=list, max_length=10)
    taxId: _text(40) | None = None

    @property
    def nip(self) -> str:
        for item in self.ids:
            if item.type == "PL_NIP":
                return item.value
        return self.ids[0].value if self.ids else (self.taxId or "")


class NaturalPerson(_Model):
    firstName: ShortText | None = None
    lastName: ShortText | None = None


class InvoiceAddress(_Model):
    street: Name | None = None
    city: ShortText | None = None
    zipCode: _text(12) | None = None
    countryCode: _text(2) | None = None
    company: InvoiceCompany | None = None
    naturalPerson: NaturalPerson | None = None


class Invoice(_Model):
    required: bool = False
    address: InvoiceAddress | None = None


class OfferExternal(_Model):
    id: _text(100) | None = None


class LineOffer(_Model):
    id: Id = Field(min_length=1)
    name: _text(1000)
    external: OfferExternal | None = None


class LineItem(_Model):
    id: Id = Field(min_length=1)
    offer: LineOffer
    quantity: int = Field(ge=1, le=100_000, strict=True)
    price: Price
    originalPrice: Price | None = None
    boughtAt: Moment | None = None


class Summary(_Model):
    totalToPay: Price


class CheckoutForm(_Model):
    id: Id = Field(min_length=1)
    status: Literal[FORM_STATUSES]  # type: ignore[valid-type]
    revision: Id | None = None
    updatedAt: Moment | None = None
    messageToSeller: _text(10_000) | None = None
    buyer: Buyer
    payment: Payment | None = None
    fulfillment: Fulfillment | None = None
    delivery: Delivery | None = None
    invoice: Invoice | None = None
    lineItems: list[LineItem] = Field(min_length=1, max_length=1000)
    summary: Summary | None = None

    @property
    def bought_at(self) -> datetime | None:
        moments = [li.boughtAt for li in self.lineItems if li.boughtAt]
        return min(moments) if moments else None


class EventCheckoutRef(_Model):
    id: Id = Field(min_length=1)
    revision: Id | None = None


class EventOrder(_Model):
    checkoutForm: EventCheckoutRef


class OrderEvent(_Model):
    id: Annotated[str, Field(pattern=r"^\d{1,32}$")]
    type: _text(40)
    occurredAt: Moment | None = None
    order: EventOrder


def _reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False, include_input=False)[:8]:
        where = ".".join(str(p) for p in err["loc"]) or "(form)"
        parts.append(f"{where}: {err['msg']}")
    more = exc.error_count() - len(parts)
    if more > 0:
        parts.append(f"… +{more}")
    return "; ".join(parts)[:2000]


def form_id_of(raw: Any) -> str:
    """The checkout form id of a raw payload as far as it can be told (for the quarantine row)."""
    value = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(value, str) and value:
        return sanitize(value)[:100]
    return ""


def parse_checkout_form(raw: Any, *, expected_id: str = "") -> CheckoutForm:
    """A checked ``CheckoutForm``, or CheckoutFormInvalid naming every problem (first eight)."""
    form_id = form_id_of(raw) or expected_id
    if not isinstance(raw, dict):
        raise CheckoutFormInvalid("the checkout form is not a JSON object", checkout_form_id=form_id)
    try:
        form = CheckoutForm.model_validate(raw)
    except ValidationError as exc:
        raise CheckoutFormInvalid(_reason(exc), checkout_form_id=form_id) from None
    if expected_id and form.id != expected_id:
        raise CheckoutFormInvalid(
            f"id: Allegro answered form {form.id} for {expected_id}", checkout_form_id=expected_id
        )
    seen = set()
    for item in form.lineItems:
        if item.id in seen:
            raise CheckoutFormInvalid(f"lineItems: line item {item.id} appears twice", checkout_form_id=form.id)
        seen.add(item.id)
    return form


def parse_order_event(raw: Any) -> OrderEvent | None:
    """A journal item, or None when it is unusable (it only tells us which form to fetch)."""
    try:
        return OrderEvent.model_validate(raw)
    except ValidationError:
        return None


def sanitize(value: Any) -> Any:
    """JSON safe to store in any database: NUL bytes (PostgreSQL refuses them) become U+FFFD."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {sanitize(str(k)): sanitize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [sanitize(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):  # NaN and infinities are not JSON
        return str(value)
    return value


def payload_for_storage(raw: Any) -> Any:
    """The payload as it can be stored: sanitised, and cut down when it is absurdly large."""
    clean = sanitize(raw)
    try:
        text = json.dumps(clean, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return {"_unserialisable": repr(raw)[:10_000]}
    if len(text) > MAX_PAYLOAD_CHARS:
        return {"_truncated": text[:100_000]}
    return clean
