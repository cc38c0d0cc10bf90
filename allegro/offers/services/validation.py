"""The local pre-publish validator of an offer: everything we can check without asking Allegro.

``offer_problems`` (in ``allegro.offers.services.offers``) runs these checks before any call; the only Allegro call it may
make is fetching a category's parameter definitions when they are not cached yet. Each problem has a stable
``code`` (``missing_ean``, ``missing_parameter:<name>``, ``unmapped_category``, ``no_images``...) so a triage of
many products can group them, the form ``field`` it belongs to, and a Polish message naming that field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from allegro.categories.services.category_forms import (
    category_values_validate,
    parameter_autofill_kind,
    parameter_is_required,
)
from allegro.descriptions.services.descriptions import description_validate
from allegro.offers.models import NO_PRODUCT
from shop.validators import gtin_is_valid

if TYPE_CHECKING:
    from allegro.accounts.models import AllegroAccount
    from allegro.integration.schemas.categories import CategoryParameter
    from allegro.offers.models import Offer


TITLE_MAX = 75
# Allegro refuses a name shorter than 12 characters or of fewer than 3 words.
TITLE_MIN, TITLE_MIN_WORDS = 12, 3
GALLERY_MAX = 16
SAFETY_INFORMATION_MAX = 5000
BUY_NOW_DURATIONS = {"", "PT72H", "PT120H", "PT168H", "PT240H", "PT480H", "PT720H"}
AUCTION_DURATIONS = {"PT24H", "PT72H", "PT120H", "PT168H", "PT240H"}
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class OfferProblem:
    """One reason an offer cannot be published. ``code`` is stable (triage groups by it); ``field`` is the listing
    form's field name; ``param_id`` names the category parameter for ``missing_parameter:*``/``invalid_parameter:*``."""

    code: str
    field: str
    message: str
    param_id: str = ""


def producer_is_allegro_id(*, value: str) -> bool:
    """A responsible producer reference is an Allegro id (a UUID) or else the producer's internal name."""
    return bool(_UUID_RE.match(value or ""))


def _price_problems(offer: Offer, field: str, value: Decimal | None, label: str, *, required: bool) -> list:
    if value is None:
        if required:
            return [OfferProblem("missing_price", field, _("%(field)s: enter the price.") % {"field": label})]
        return []
    value = Decimal(value)
    if value <= 0:
        return [OfferProblem("invalid_price", field, _("%(field)s must be greater than zero.") % {"field": label})]
    if value != value.quantize(Decimal("0.01")):
        return [
            OfferProblem(
                "invalid_price", field, _("%(field)s: at most 2 digits after the decimal point.") % {"field": label}
            )
        ]
    return []


def offer_selling_problems(*, offer: Offer) -> list[OfferProblem]:
    """Title, price, quantity, format and duration rules."""
    problems: list[OfferProblem] = []
    title = (offer.title or "").strip()
    if not title:
        problems.append(OfferProblem("missing_title", "title", _("Title: enter the offer's title.")))
    elif len(offer.title) > TITLE_MAX:
        problems.append(
            OfferProblem(
                "title_too_long",
                "title",
                _("Title: at most %(max)s characters (it has %(length)s).")
                % {"max": TITLE_MAX, "length": len(offer.title)},
            )
        )
    elif len(title) < TITLE_MIN or len(title.split()) < TITLE_MIN_WORDS:
        problems.append(
            OfferProblem(
                "title_too_short",
                "title",
                _("Title: at least %(min)s characters and %(words)s words (it has %(length)s characters).")
                % {"min": TITLE_MIN, "words": TITLE_MIN_WORDS, "length": len(title)},
            )
        )
    stock = offer.product.stock if offer.product_id and offer.product is not None else None
    if offer.format == "AUCTION":
        problems += _price_problems(offer, "starting_price", offer.starting_price, _("Starting price"), required=True)
        problems += _price_problems(offer, "minimal_price", offer.minimal_price, _("Minimal price"), required=False)
        if offer.price:
            problems += _price_problems(offer, "price", offer.price, _("Buy Now price"), required=False)
        if (
            offer.minimal_price is not None
            and offer.starting_price is not None
            and offer.minimal_price < offer.starting_price
        ):
            problems.append(
                OfferProblem(
                    "auction_minimal_price",
                    "minimal_price",
                    _("Minimal price: it cannot be lower than the starting price."),
                )
            )
        if offer.quantity != 1:
            problems.append(
                OfferProblem("auction_quantity", "quantity", _("Quantity: an auction sells exactly 1 item."))
            )
        if offer.duration not in AUCTION_DURATIONS:
            problems.append(
                OfferProblem("auction_duration", "duration", _("Duration: an auction lasts 1, 3, 5, 7 or 10 days."))
            )
    else:
        problems += _price_problems(offer, "price", offer.price, _("Price"), required=True)
        if offer.duration not in BUY_NOW_DURATIONS:
            problems.append(
                OfferProblem(
                    "invalid_duration",
                    "duration",
                    _("Duration: Buy Now offers last 3, 5, 7, 10, 20, 30 days or until sold out."),
                )
            )
    if offer.quantity is None or offer.quantity < 1:
        code = "no_stock" if stock == 0 else "invalid_quantity"
        problems.append(OfferProblem(code, "quantity", _("Quantity: at least 1 item is needed to list the offer.")))
    elif stock is not None and offer.quantity > stock:
        problems.append(
            OfferProblem(
                "quantity_above_stock",
                "quantity",
                _("Quantity: only %(stock)s items are in stock.") % {"stock": stock},
            )
        )
    return problems


def offer_parameter_problems(
    *, offer: Offer, definitions: list[CategoryParameter] | None, linked: bool
) -> list[OfferProblem]:
    """Required parameters present and values valid for the category's cached definitions.

    With a catalogue product linked by EAN, Allegro takes the product-level parameters from the catalogue, so only
    the offer-level ones are required (the emulator and Allegro behave the same way).
    """
    if definitions is None:
        return [
            OfferProblem(
                "parameters_unavailable",
                "category_id",
                _("Category: its parameters could not be fetched from Allegro; try again later."),
            )
        ]
    problems: list[OfferProblem] = []
    values = [*(offer.parameters or []), *(offer.product_parameters or [])]
    given = {str(v.get("id")) for v in values if v.get("valuesIds") or v.get("values") or v.get("rangeValue")}
    names = {d.id: d.label for d in definitions}
    for definition in definitions:
        param_id = definition.id
        if param_id in given or not parameter_is_required(definition=definition, values=values):
            continue
        if linked and definition.options.describesProduct:
            continue
        name = names[param_id]
        message = _("Parameter “%(name)s” is required.") % {"name": name}
        if parameter_autofill_kind(definition=definition) == "brand":
            message = _("Parameter “%(name)s” is required: %(hint)s") % {
                "name": name,
                "hint": _("fill in the product's brand."),
            }
        problems.append(OfferProblem(f"missing_parameter:{name}", "parameters", message, param_id))
    errors = category_values_validate(definitions=definitions, values=values, require=False)
    for param_id, messages in errors.items():
        name = names.get(param_id, param_id)
        for message in messages:
            problems.append(OfferProblem(f"invalid_parameter:{name}", "parameters", f"{name}: {message}", param_id))
    return problems


def offer_catalogue_problems(*, offer: Offer, definitions: list[CategoryParameter] | None) -> list[OfferProblem]:
    """The EAN link to Allegro's catalogue: a wrong EAN is always a problem; a missing one when the product-level
    required parameters are incomplete (then Allegro would need a full product proposal)."""
    product = offer.product
    ean = (getattr(product, "ean", "") or "").strip()
    if offer.catalogue_product_id == NO_PRODUCT:
        return []
    if offer.catalogue_product_id:
        if not gtin_is_valid(offer.catalogue_product_id) and not producer_is_allegro_id(
            value=offer.catalogue_product_id
        ):
            return [OfferProblem("invalid_ean", "catalogue_product_id", _("Catalogue product: the EAN is not valid."))]
        return []
    if ean and not gtin_is_valid(ean):
        return [OfferProblem("invalid_ean", "catalogue_product_id", _("EAN: the product's EAN is not valid."))]
    given = {str(v.get("id")) for v in offer.product_parameters or []}
    values = [*(offer.parameters or []), *(offer.product_parameters or [])]
    incomplete = any(
        d.options.describesProduct and d.id not in given and parameter_is_required(definition=d, values=values)
        for d in definitions or []
    )
    if incomplete:
        return [
            OfferProblem(
                "missing_ean",
                "catalogue_product_id",
                _("EAN: the product has no EAN, so Allegro needs all its product parameters."),
            )
        ]
    return []


def offer_media_problems(*, offer: Offer, description: dict | None, description_error: str = "") -> list[OfferProblem]:
    """Images (1–16) and the description's grammar and limits, checked against the gallery."""
    problems: list[OfferProblem] = []
    images = list(offer.images or [])
    if not images:
        problems.append(OfferProblem("no_images", "images", _("Images: choose at least one image.")))
    elif len(images) > GALLERY_MAX:
        problems.append(
            OfferProblem(
                "too_many_images",
                "images",
                _("Images: at most %(max)s (chosen %(count)s).") % {"max": GALLERY_MAX, "count": len(images)},
            )
        )
    if description_error:
        problems.append(OfferProblem("invalid_description", "description", description_error))
    elif description is not None:
        for message in description_validate(description, gallery=images):
            problems.append(
                OfferProblem("invalid_description", "description", _("Description: %(error)s") % {"error": message})
            )
    return problems


def offer_gpsr_problems(*, offer: Offer) -> list[OfferProblem]:
    """GPSR (in force since 13 December 2024) unless the product was placed on the market before."""
    if offer.marketed_before_gpsr:
        return []
    problems = []
    if not (offer.responsible_producer_id or "").strip():
        problems.append(
            OfferProblem(
                "missing_responsible_producer",
                "responsible_producer_id",
                _("Responsible producer (GPSR): choose or create the producer."),
            )
        )
    info = (offer.safety_information or "").strip()
    if not info:
        problems.append(
            OfferProblem(
                "missing_safety_information",
                "safety_information",
                _("Safety information (GPSR): enter the product's safety information."),
            )
        )
    elif len(info) > SAFETY_INFORMATION_MAX:
        problems.append(
            OfferProblem(
                "safety_information_too_long",
                "safety_information",
                _("Safety information (GPSR): at most %(max)s characters.") % {"max": SAFETY_INFORMATION_MAX},
            )
        )
    return problems


def offer_account_problems(*, offer: Offer, account: AllegroAccount) -> list[OfferProblem]:
    """What the account must have before Allegro accepts any offer."""
    problems = []
    if not account.is_connected:
        problems.append(
            OfferProblem(
                "account_not_connected",
                "account",
                _("Account: %(account)s is not connected to Allegro; authorise it first.") % {"account": account},
            )
        )
    if not (offer.implied_warranty_id or account.implied_warranty_id):
        problems.append(
            OfferProblem(
                "missing_implied_warranty",
                "implied_warranty_id",
                _("Complaints: choose the complaint terms (implied warranty) in the account settings."),
            )
        )
    if not (offer.return_policy_id or account.return_policy_id):
        problems.append(
            OfferProblem(
                "missing_return_policy",
                "return_policy_id",
                _("Returns: choose the return policy in the account settings."),
            )
        )
    if not (offer.shipping_rates_id or account.shipping_rates_id):
        problems.append(
            OfferProblem(
                "missing_shipping_rates",
                "shipping_rates_id",
                _("Delivery price list: choose a delivery price list."),
            )
        )
    return problems
