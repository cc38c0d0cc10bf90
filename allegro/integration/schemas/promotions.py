"""Promotion packages, an offer's packages and the fee preview as Allegro sends them, read leniently: optional
parts may be missing or null, unknown keys are ignored, a value of the wrong type reads as None."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from allegro.integration.schemas.offers import Maybe


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class PromotionPackage(_Lenient):
    id: Maybe[str] = None
    name: Maybe[str] = None
    cycle_duration: Maybe[str] = Field(default=None, alias="cycleDuration")


class PromotionPackages(_Lenient):
    base_packages: list[PromotionPackage] = Field(default_factory=list, alias="basePackages")
    extra_packages: list[PromotionPackage] = Field(default_factory=list, alias="extraPackages")

    @field_validator("base_packages", "extra_packages", mode="before")
    @classmethod
    def _list(cls, value: Any) -> list:
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


class OfferPromoOption(_Lenient):
    id: Maybe[str] = None


class OfferPromoOptions(_Lenient):
    base_package: Maybe[OfferPromoOption] = Field(default=None, alias="basePackage")
    extra_packages: list[OfferPromoOption] = Field(default_factory=list, alias="extraPackages")

    @field_validator("extra_packages", mode="before")
    @classmethod
    def _list(cls, value: Any) -> list:
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []

    @property
    def package_ids(self) -> set[str]:
        ids = {p.id for p in self.extra_packages if p.id}
        if self.base_package is not None and self.base_package.id:
            ids.add(self.base_package.id)
        return ids


class FeeQuote(_Lenient):
    name: Maybe[str] = None
    type: Maybe[str] = None
    fee: Maybe[dict] = None
    cycle_duration: Maybe[str] = Field(default=None, alias="cycleDuration")

    @property
    def amount(self) -> Decimal | None:
        try:
            value = Decimal(str((self.fee or {}).get("amount")))
        except (InvalidOperation, ValueError):
            return None
        return value if value.is_finite() else None


class FeePreview(_Lenient):
    quotes: list[FeeQuote] = Field(default_factory=list)

    @field_validator("quotes", mode="before")
    @classmethod
    def _list(cls, value: Any) -> list:
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def parse_packages(data: Any) -> PromotionPackages:
    return PromotionPackages.model_validate(data if isinstance(data, dict) else {})


def parse_offer_promo_options(data: Any) -> OfferPromoOptions:
    return OfferPromoOptions.model_validate(data if isinstance(data, dict) else {})


def parse_fee_preview(data: Any) -> FeePreview:
    return FeePreview.model_validate(data if isinstance(data, dict) else {})
