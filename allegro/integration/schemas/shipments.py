"""Typed payloads of Allegro's shipment management ("Wysyłam z Allegro"): delivery services, the create, cancel and
pickup commands with their statuses, shipment details and pickups.

Answers are parsed leniently like every other schema here (unknown keys ignored, ``null`` counts as missing);
requests are built from the same models and sent with ``body()`` (absent fields left out, as Allegro expects).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


def _text(value: Any) -> str:
    return "" if value is None else str(value)


Text = Annotated[str, BeforeValidator(_text)]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data

    def body(self) -> dict:
        """The JSON Allegro expects: field names as Allegro spells them, empty optional fields left out."""
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=False, by_alias=True)


# --- requests ---------------------------------------------------------------------------------------------


class Address(_Schema):
    """A sender's, receiver's or pickup address; ``point`` is the pickup point (e.g. a Paczkomat) of a receiver."""

    name: str | None = None
    company: str | None = None
    street: str
    postalCode: str
    city: str
    countryCode: str = "PL"
    email: str
    phone: str
    point: str | None = None


class Dimension(_Schema):
    value: float  # a JSON number (a Decimal would go out as a string)
    unit: Literal["CENTIMETER"] = "CENTIMETER"


class Weight(_Schema):
    value: float
    unit: Literal["KILOGRAMS"] = "KILOGRAMS"


class PackageRequest(_Schema):
    type: Literal["DOX", "PACKAGE", "PALLET", "OTHER"] = "PACKAGE"
    length: Dimension
    width: Dimension
    height: Dimension
    weight: Weight
    textOnLabel: str | None = None


class Money(_Schema):
    amount: str  # "123.45": Allegro's pattern \d+[.,]\d{1,2}
    currency: str = "PLN"


class CashOnDelivery(Money):
    ownerName: str | None = None
    iban: str | None = None


class ShipmentInput(_Schema):
    """The ``input`` of ``POST /shipment-management/shipments/create-commands``."""

    deliveryMethodId: str
    credentialsId: str | None = None
    sender: Address
    receiver: Address
    referenceNumber: str | None = None
    packages: list[PackageRequest]
    insurance: Money | None = None
    cashOnDelivery: CashOnDelivery | None = None
    labelFormat: Literal["PDF", "ZPL"] = "PDF"


# --- answers ----------------------------------------------------------------------------------------------


class DeliveryServiceId(_Schema):
    deliveryMethodId: Text = ""
    credentialsId: Text = ""


class DeliveryService(_Schema):
    """One of ``GET /shipment-management/delivery-services``: a delivery method the seller can send with."""

    id: DeliveryServiceId = Field(default_factory=DeliveryServiceId)
    name: Text = ""
    carrierId: Text = ""
    owner: Text = ""
    packageTypes: list[str] = Field(default_factory=list)
    cashOnDelivery: dict | None = None

    @property
    def has_cash_on_delivery(self) -> bool:
        return self.cashOnDelivery is not None


class CommandError(_Schema):
    code: Text = ""
    message: Text = ""
    userMessage: Text = ""
    path: Text = ""
    details: Text = ""

    @property
    def text(self) -> str:
        return self.userMessage or self.message or self.code


class CommandStatus(_Schema):
    """The status of a create, cancel or pickup command (``IN_PROGRESS`` until it ends)."""

    commandId: Text = ""
    status: Literal["IN_PROGRESS", "SUCCESS", "ERROR"] = "IN_PROGRESS"
    errors: list[CommandError] = Field(default_factory=list)
    shipmentId: Text = ""
    pickupId: Text = ""
    carrierPickupId: Text = ""

    @property
    def finished(self) -> bool:
        return self.status != "IN_PROGRESS"

    @property
    def error_text(self) -> str:
        return "; ".join(e.text for e in self.errors)


class TransportingInfo(_Schema):
    carrierId: Text = ""
    carrierWaybill: Text = ""


class PackageDetails(_Schema):
    waybill: Text = ""
    type: Text = ""
    transportingInfo: list[TransportingInfo] = Field(default_factory=list)


class ShipmentDetails(_Schema):
    """``GET /shipment-management/shipments/{id}``."""

    id: Text
    deliveryMethodId: Text = ""
    carrier: Text = ""
    packages: list[PackageDetails] = Field(default_factory=list)
    createdDate: Text = ""
    canceledDate: Text = ""
    pickupAvailable: bool = False

    @property
    def waybills(self) -> list[str]:
        return [p.waybill for p in self.packages if p.waybill]


class PickupTime(_Schema):
    date: Text
    minTime: Text = ""
    maxTime: Text = ""


class PickupProposal(_Schema):
    shipmentId: Text = ""
    pickupTimes: list[PickupTime] = Field(default_factory=list)


class PickupProposals(_Schema):
    proposals: list[PickupProposal] = Field(default_factory=list)


class Pickup(_Schema):
    """``GET /shipment-management/pickups/{id}``."""

    id: Text
    carrierPickupId: Text = ""
    carrier: Text = ""
    shipmentIds: list[str] = Field(default_factory=list)
    waybills: list[str] = Field(default_factory=list)
