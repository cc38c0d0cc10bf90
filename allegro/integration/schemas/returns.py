"""Typed customer returns, payment refunds and commission refund claims, parsed where the client's JSON arrives.

Allegro's answers are untidy: optional fields may be missing or ``null`` and new keys appear, so unknown keys
are ignored and a ``null`` counts as a missing key. Amounts come as decimal strings (a claim's commission as
a number); one that is not a number reads as zero. Field names are Allegro's own (camelCase).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _decimal(value: Any) -> Decimal:
    if value is None or value == "" or isinstance(value, bool):
        return Decimal("0.00")
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return Decimal("0.00")
    return number.quantize(Decimal("0.01")) if number.is_finite() else Decimal("0.00")


def _whole(value: Any) -> int:
    try:
        return max(0, int(Decimal(str(value))))
    except (InvalidOperation, TypeError, ValueError):
        return 0


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


Text = Annotated[str, BeforeValidator(_text)]
Amount = Annotated[Decimal, BeforeValidator(_decimal)]
Whole = Annotated[int, BeforeValidator(_whole)]
Moment = Annotated[datetime | None, BeforeValidator(_moment)]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


class Money(_Schema):
    amount: Amount = Decimal("0.00")
    currency: Text = "PLN"


# --- customer returns (GET /order/customer-returns) ----------------------------------------------------------


class ReturnReason(_Schema):
    type: Text = ""
    userComment: Text = ""


class ReturnItem(_Schema):
    offerId: Text = ""
    quantity: Whole = 0
    name: Text = ""
    price: Money = Field(default_factory=Money)
    reason: ReturnReason = Field(default_factory=ReturnReason)


class ReturnBuyer(_Schema):
    email: Text = ""
    login: Text = ""


class ReturnParcel(_Schema):
    waybill: Text = ""
    transportingWaybill: Text = ""
    carrierId: Text = ""
    transportingCarrierId: Text = ""

    def stored(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v}


class ReturnRejection(_Schema):
    code: Text = ""
    reason: Text = ""


class CustomerReturnDoc(_Schema):
    id: Annotated[str, Field(min_length=1, max_length=64)]
    orderId: Annotated[str, Field(min_length=1, max_length=64)]
    status: Text = ""
    referenceNumber: Text = ""
    createdAt: Moment = None
    buyer: ReturnBuyer = Field(default_factory=ReturnBuyer)
    items: list[ReturnItem] = Field(default_factory=list)
    parcels: list[ReturnParcel] = Field(default_factory=list)
    rejection: ReturnRejection | None = None


def parse_customer_return(raw: Any) -> CustomerReturnDoc | None:
    """The return, or None when it lacks its id or its order's id (nothing could be linked to it)."""
    try:
        return CustomerReturnDoc.model_validate(raw)
    except ValidationError:
        return None


# --- payment refunds (/payments/refunds) ---------------------------------------------------------------------


class RefundDetailsDoc(_Schema):
    id: Text = ""
    status: Text = ""
    totalValue: Money = Field(default_factory=Money)
    createdAt: Moment = None


def parse_refund(raw: Any) -> RefundDetailsDoc:
    try:
        return RefundDetailsDoc.model_validate(raw if isinstance(raw, dict) else {})
    except ValidationError:
        return RefundDetailsDoc()


# --- commission refund claims (/order/refund-claims) ---------------------------------------------------------


class ClaimLineItem(_Schema):
    id: Text = ""


class RefundClaimDoc(_Schema):
    id: Text = ""
    status: Text = ""
    quantity: Whole = 0
    commission: Money = Field(default_factory=Money)
    lineItem: ClaimLineItem = Field(default_factory=ClaimLineItem)


def parse_refund_claim(raw: Any) -> RefundClaimDoc:
    try:
        return RefundClaimDoc.model_validate(raw if isinstance(raw, dict) else {})
    except ValidationError:
        return RefundClaimDoc()
