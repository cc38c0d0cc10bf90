"""Typed Allegro delivery methods and delivery price lists (shipping rates), parsed where the client's JSON arrives.

Like every Allegro answer they are untidy: optional fields may be missing or ``null`` and new keys appear, so
unknown keys are ignored and a ``null`` counts as a missing key. Amounts and weights come as decimal strings;
one that is not a number reads as missing (the constraint it belonged to is then not applied), so one odd
field does not make a whole delivery method unusable. Field names are Allegro's own (camelCase).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def _whole(value: Any) -> int | None:
    number = _decimal(value)
    return int(number) if number is not None and number == number.to_integral_value() else None


Text = Annotated[str, BeforeValidator(_text)]
Amount = Annotated[Decimal | None, BeforeValidator(_decimal)]
Whole = Annotated[int | None, BeforeValidator(_whole)]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


# --- delivery methods (GET /sale/delivery-methods) ---------------------------------------------------------


class RateBounds(_Schema):
    """``firstItemRate`` / ``nextItemRate`` constraints: the price Allegro allows for the method."""

    min: Amount = None
    max: Amount = None
    currency: Text = ""


class QuantityBounds(_Schema):
    min: Whole = None
    max: Whole = None


class WeightBounds(_Schema):
    supported: bool = False
    min: Amount = None
    max: Amount = None
    unit: Text = ""


class Duration(_Schema):
    from_: Text = Field("", alias="from")
    to: Text = ""


class ShippingTimeRules(_Schema):
    default: Duration | None = None
    customizable: bool = False


class ShippingRatesConstraints(_Schema):
    """What a delivery price list may say about the method; a missing ``allowed`` means allowed."""

    allowed: bool = True
    maxQuantityPerPackage: QuantityBounds = Field(default_factory=QuantityBounds)
    maxPackageWeight: WeightBounds = Field(default_factory=WeightBounds)
    firstItemRate: RateBounds = Field(default_factory=RateBounds)
    nextItemRate: RateBounds = Field(default_factory=RateBounds)
    shippingTime: ShippingTimeRules = Field(default_factory=ShippingTimeRules)


class DeliveryMethod(_Schema):
    id: Text = ""
    name: Text = ""
    paymentPolicy: Text = ""
    shippingRatesConstraints: ShippingRatesConstraints = Field(default_factory=ShippingRatesConstraints)


# --- delivery price lists (GET/POST/PUT /sale/shipping-rates) ----------------------------------------------


class Money(_Schema):
    amount: Amount = None
    currency: Text = ""


class Weight(_Schema):
    value: Amount = None
    unit: Text = ""


class MethodRef(_Schema):
    id: Text = ""


class ShippingRate(_Schema):
    """One row of a price list; ``nextItemRate`` is deprecated (``"0.00"`` for physical goods)."""

    deliveryMethod: MethodRef = Field(default_factory=MethodRef)
    maxQuantityPerPackage: Whole = None
    firstItemRate: Money = Field(default_factory=Money)
    nextItemRate: Money = Field(default_factory=Money)
    shippingTime: Duration | None = None
    maxPackageWeight: Weight | None = None


class ShippingRatesSet(_Schema):
    id: Text = ""
    name: Text = ""
    rates: list[ShippingRate] = Field(default_factory=list)
    lastModified: Text = ""
