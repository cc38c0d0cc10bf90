"""Typed offers as Allegro sends them back, parsed at the edge: one offer (``GET /sale/product-offers/{id}``,
the body of a 201/202 ``POST /sale/product-offers``), the seller's offer listing (``GET /sale/offers``) and the
offer-event journal (``GET /sale/offer-events``).

The panel reads only a few parts of these (the id, the title, ``external.id``, the publication status, the
price, the stock and the validation errors of a draft), and Allegro is untidy with them: optional parts are
missing or null, new keys appear, and the emulator and the sandbox differ in details. So nothing here rejects
a payload: unknown keys are ignored, and a value that is missing, null or not of its type (a price that is not
a number, a ``publication`` that is not an object) reads as None. Ids are strings even when sent as numbers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WrapValidator

T = TypeVar("T")


def _or_none(value: Any, handler) -> Any:
    try:
        return handler(value)
    except ValidationError:
        return None


def _id(value: Any) -> Any:
    # Allegro's ids are strings; a number is read as its digits, anything else is no id.
    if isinstance(value, bool) or value in (None, ""):
        return None
    return str(value) if isinstance(value, str | int) else None


# An optional value: missing, null or not of its type reads as None.
Maybe = Annotated[T | None, WrapValidator(_or_none)]
AllegroId = Annotated[str | None, BeforeValidator(_id)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Money(_Model):
    amount: Maybe[Decimal] = None
    currency: Maybe[str] = None


class SellingMode(_Model):
    format: Maybe[str] = None
    price: Maybe[Money] = None
    starting_price: Maybe[Money] = Field(None, alias="startingPrice")
    minimal_price: Maybe[Money] = Field(None, alias="minimalPrice")


class SaleInfo(_Model):
    """An auction's standing in ``GET /sale/offers``: the highest bid so far and how many bid."""

    current_price: Maybe[Money] = Field(None, alias="currentPrice")
    bidders_count: Maybe[int] = Field(None, alias="biddersCount")


class Stock(_Model):
    available: Maybe[int] = None
    sold: Maybe[int] = None


class Publication(_Model):
    """``status``: INACTIVE (a draft), ACTIVATING, ACTIVE or ENDED; ``ended_by`` only in offer events."""

    status: Maybe[str] = None
    ended_by: Maybe[str] = Field(None, alias="endedBy")


class External(_Model):
    id: Maybe[str] = None


class ValidationIssue(_Model):
    code: Maybe[str] = None
    message: Maybe[str] = None
    user_message: Maybe[str] = Field(None, alias="userMessage")
    path: Maybe[str] = None


class Validation(_Model):
    """Why Allegro keeps an offer as a draft (INACTIVE) after accepting it."""

    errors: Maybe[list[Maybe[ValidationIssue]]] = None


class AllegroOffer(_Model):
    """An offer as Allegro shows it; the properties read the nested parts without None checks."""

    id: AllegroId = None
    name: Maybe[str] = None
    selling_mode: Maybe[SellingMode] = Field(None, alias="sellingMode")
    sale_info: Maybe[SaleInfo] = Field(None, alias="saleInfo")
    stock: Maybe[Stock] = None
    publication: Maybe[Publication] = None
    external: Maybe[External] = None
    validation: Maybe[Validation] = None

    @property
    def status(self) -> str:
        """The publication status ("" when Allegro did not say)."""
        return (self.publication.status if self.publication else None) or ""

    @property
    def price(self) -> Decimal | None:
        """The Buy Now price (an auction's Buy Now price when it has one)."""
        mode = self.selling_mode
        return mode.price.amount if mode and mode.price else None

    @property
    def current_bid(self) -> Decimal | None:
        """An auction's current price (its starting price until someone bids)."""
        info = self.sale_info
        return info.current_price.amount if info and info.current_price else None

    @property
    def bidders_count(self) -> int:
        return (self.sale_info.bidders_count if self.sale_info else None) or 0

    @property
    def available(self) -> int | None:
        return self.stock.available if self.stock else None

    @property
    def external_id(self) -> str:
        return (self.external.id if self.external else None) or ""

    @property
    def validation_errors(self) -> list[ValidationIssue]:
        errors = self.validation.errors if self.validation else None
        return [error for error in errors or [] if error is not None]


def _offer_or_empty(value: Any, handler) -> Any:
    # An item of a listing that is not an offer still counts for paging: it reads as an offer without an id.
    try:
        return handler(value)
    except ValidationError:
        return AllegroOffer()


class OfferPage(_Model):
    """One page of ``GET /sale/offers``."""

    offers: Maybe[list[Annotated[AllegroOffer, WrapValidator(_offer_or_empty)]]] = None
    count: Maybe[int] = None
    total_count: Maybe[int] = Field(None, alias="totalCount")

    @property
    def items(self) -> list[AllegroOffer]:
        return list(self.offers or [])


class EventOffer(_Model):
    id: AllegroId = None
    publication: Maybe[Publication] = None


class OfferEvent(_Model):
    """One entry of ``GET /sale/offer-events``: events carry ids only (read the values with ``GET /sale/offers``)."""

    id: AllegroId = None
    type: Maybe[str] = None
    offer: Maybe[EventOffer] = None

    @property
    def offer_id(self) -> str:
        return (self.offer.id if self.offer else None) or ""

    @property
    def ended_by(self) -> str:
        publication = self.offer.publication if self.offer else None
        return (publication.ended_by if publication else None) or ""


def _object(raw: Any) -> dict:
    return raw if isinstance(raw, dict) else {}


def parse_offer(raw: Any) -> AllegroOffer:
    """One offer (a product-offer body or a listing item); anything that is not an object is an empty offer."""
    return AllegroOffer.model_validate(_object(raw))


def parse_offer_page(raw: Any) -> OfferPage:
    """A page of the seller's offer listing; anything that is not an object is an empty page."""
    return OfferPage.model_validate(_object(raw))


def parse_offer_events(raw: Any) -> list[OfferEvent]:
    """The entries of the offer-event journal, in Allegro's order (an entry that is not an object has no ids)."""
    return [OfferEvent.model_validate(_object(item)) for item in raw or []]
