"""Listing products on Allegro: prepare an offer, check it locally, triage a selection, publish, end.

Publishing must never create a second offer: ``POST /sale/product-offers`` has no idempotency key, so the Offer row is
saved as the recorded intent (status "activating" and the request payload) before anything is sent, and a retry of
an Offer that may already have been posted looks the offer up by ``external.id`` (the product's SKU) and adopts it
instead of posting a second one.
"""

from __future__ import annotations

import copy
import mimetypes
import re
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from allegro.accounts.models import AllegroAccount
from allegro.accounts.services.accounts import account_client
from allegro.categories.models import AllegroCategory, CategoryForm, ProductParameters
from allegro.categories.selectors import allegro_category_id_get
from allegro.categories.services.categories import category_source_key
from allegro.categories.services.category_forms import (
    category_definitions_get,
    category_form_values_filter,
    product_parameters_build,
    product_parameters_split,
)
from allegro.categories.services.product_parameters import product_parameters_values
from allegro.core.models import EventKind
from allegro.core.services.events import event_context, event_log
from allegro.descriptions.models import DescriptionTemplate
from allegro.descriptions.selectors import description_template_get
from allegro.descriptions.services.descriptions import UnknownPlaceholders
from allegro.descriptions.services.offers import (
    DescriptionImagesMissing,
    description_image_ref_make,
    description_image_ref_parse,
    description_offer_build,
    description_product_body_get,
)
from allegro.integration.client import (
    AllegroClient,
    AllegroError,
    AllegroRateLimited,
    AllegroRetryLater,
    AllegroValidationError,
    ApiResponse,
)
from allegro.integration.schemas.categories import CategoryParameter
from allegro.integration.schemas.offers import AllegroOffer, parse_offer, parse_offer_page
from allegro.integration.schemas.products import CatalogueProduct
from allegro.offers.models import NO_PRODUCT, Offer, OfferFormat, OfferStatus
from allegro.offers.services.promotions import offer_promotions_pending, promotions_send
from allegro.offers.services.validation import (
    GALLERY_MAX,
    TITLE_MAX,
    OfferProblem,
    offer_account_problems,
    offer_catalogue_problems,
    offer_gpsr_problems,
    offer_media_problems,
    offer_parameter_problems,
    offer_selling_problems,
    producer_is_allegro_id,
)
from allegro.shipping.selectors import shipping_rate_set_get
from shop.models import Product, ProductImage
from shop.validators import gtin_is_valid

if TYPE_CHECKING:
    from collections.abc import Iterable


CENT = Decimal("0.01")
# Offer fields "Wystaw podobną aukcję" copies from another offer.
COPY_FIELDS = (
    "format",
    "title",
    "category_id",
    "price",
    "starting_price",
    "minimal_price",
    "quantity",
    "duration",
    "renew_after_end",
    "parameters",
    "product_parameters",
    "catalogue_product_id",
    "description",
    "shipping_rates_id",
    "warranty_id",
    "implied_warranty_id",
    "return_policy_id",
    "responsible_producer_id",
    "safety_information",
    "marketed_before_gpsr",
    "template_id",
)
# ``overrides`` may set these Offer fields directly (form values); plus "price_change_percent" and "template".
OVERRIDABLE = frozenset(
    {
        "format",
        "title",
        "category_id",
        "price",
        "starting_price",
        "minimal_price",
        "quantity",
        "duration",
        "renew_after_end",
        "parameters",
        "product_parameters",
        "catalogue_product_id",
        "description",
        "images",
        "shipping_rates_id",
        "warranty_id",
        "implied_warranty_id",
        "return_policy_id",
        "responsible_producer_id",
        "safety_information",
        "marketed_before_gpsr",
        "external_id",
    }
)
# Allegro's error paths → the listing form's fields (most specific first).
FIELD_BY_PATH = (
    ("name", "title"),
    ("category", "category_id"),
    ("sellingMode.startingPrice", "starting_price"),
    ("sellingMode.minimalPrice", "minimal_price"),
    ("sellingMode.price", "price"),
    ("sellingMode.format", "format"),
    ("sellingMode", "price"),
    ("stock", "quantity"),
    ("publication.duration", "duration"),
    ("publication.republish", "renew_after_end"),
    ("publication", "duration"),
    ("productSet[0].responsibleProducer", "responsible_producer_id"),
    ("productSet[0].responsiblePerson", "responsible_producer_id"),
    ("productSet[0].safetyInformation", "safety_information"),
    ("productSet[0].marketedBeforeGPSRObligation", "marketed_before_gpsr"),
    ("productSet[0].product.parameters", "parameters"),
    ("productSet[0].product", "catalogue_product_id"),
    ("productSet", "catalogue_product_id"),
    ("parameters", "parameters"),
    ("description", "description"),
    ("images", "images"),
    ("delivery.shippingRates", "shipping_rates_id"),
    ("delivery", "shipping_rates_id"),
    ("afterSalesServices.impliedWarranty", "implied_warranty_id"),
    ("afterSalesServices.returnPolicy", "return_policy_id"),
    ("afterSalesServices.warranty", "warranty_id"),
    ("external", "external_id"),
)
_PRODUCT_SET_INDEX = re.compile(r"^productSet\[\d+\]")
STATUS_FROM_ALLEGRO = {
    "ACTIVE": OfferStatus.ACTIVE,
    "ACTIVATING": OfferStatus.ACTIVATING,
    "INACTIVE": OfferStatus.DRAFT,
    "ENDED": OfferStatus.ENDED,
}


# --- small helpers -------------------------------------------------------------------------------


def offer_title_from_name(*, name: str, limit: int = TITLE_MAX) -> str:
    """The product name as an offer title: whitespace collapsed, cut to ``limit`` characters at a word boundary."""
    text = " ".join((name or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[: limit + 1] else ""
    return (cut or text[:limit]).rstrip(" ,;:-–")[:limit]


def price_markup_apply(*, price: Decimal, percent: Decimal | int | str | None) -> Decimal:
    """``price`` raised (or lowered) by ``percent`` %, rounded half up to grosze."""
    percent = Decimal(str(percent or 0))
    return (Decimal(price) * (Decimal(100) + percent) / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def _money(amount: Decimal) -> dict:
    return {"amount": f"{Decimal(amount).quantize(CENT)}", "currency": "PLN"}


def _who(actor) -> str:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor.get_full_name() or actor.get_username()
    return _("the system")


def _gpsr_defaults(account: AllegroAccount) -> dict:
    """The account's product-safety defaults (Ustawienia konta → Bezpieczeństwo produktu)."""
    return {
        "producer": account.gpsr_producer,
        "safety_information": account.gpsr_safety_information,
        "marketed_before": account.gpsr_marketed_before,
    }


# --- per-selection lookups (triage caches per category instead of per product) ---------------------


CATALOGUE_CACHE_SECONDS = 300
BODY_CACHE_SIZE = 256  # products whose description is kept between their check and their listing


class OfferLookups:
    """Lookups shared by the products of one selection: category mapping, parameter definitions, category-form
    values, templates and delivery price lists are resolved once per category."""

    def __init__(self, account: AllegroAccount) -> None:
        self.account = account
        self.app = account.app
        self._allegro_category: dict[int, str | None] = {}
        self._definitions: dict[str, list[CategoryParameter] | None] = {}
        self._leaf: dict[str, bool | None] = {}
        self._form: dict[str, dict[str, dict]] = {}
        self._template: dict[int, DescriptionTemplate | None] = {}
        self._shipping: dict[int, str] = {}
        self._catalogue: dict[str, list[CatalogueProduct] | None] = {}
        self._body: dict[tuple, dict] = {}
        self._not_cached: set[str] = set()  # EANs not asked for (ask_catalogue off) and absent from the cache
        self._client: AllegroClient | None = None
        # False in a mass listing: an EAN is looked up only when the answer changes what is sent (its product
        # parameters are incomplete). The rest go to Allegro with the product's data, which links the offer to
        # the catalogue's product when there is one and proposes a new product otherwise: one call, not two.
        self.ask_catalogue = True
        self.shipping_overrides: dict[int, str] | None = None  # {product pk: Allegro id}, set by the triage
        # {(product pk, Allegro category id): the product's own parameter values}, read in bulk by the triage.
        self.own_parameters: dict[tuple[int, str], list[dict]] | None = None

    def catalogue(self, ean: str, *, ask: bool | None = None) -> list[CatalogueProduct] | None:
        """The products of Allegro's catalogue with this EAN (None: the catalogue could not be asked, or was not:
        ``ask`` False, or ``ask_catalogue`` off, answers only what an earlier lookup left in the cache)."""
        ask = self.ask_catalogue if ask is None else ask
        if ean not in self._catalogue:
            # Kept a few minutes in the shared cache: a triage and the job that follows it ask once per EAN.
            if not ask and ean in self._not_cached:
                return None
            key = f"allegro:catalogue:{self.app.pk}:{ean}"
            found = cache.get(key)
            if found is None and not ask:
                self._not_cached.add(ean)  # the next checks of this EAN do not read the cache again
                return None
            if found is None:
                try:
                    if self._client is None:  # one client for the selection
                        self._client = account_client(account=self.account)
                    found = self._client.search_products(phrase=ean, mode="GTIN")
                    cache.set(key, found, CATALOGUE_CACHE_SECONDS)
                except AllegroError:
                    found = None
            self._catalogue[ean] = found
        return self._catalogue[ean]

    def allegro_category(self, product: Product) -> str:
        key = product.category_id
        if key not in self._allegro_category:
            self._allegro_category[key] = allegro_category_id_get(category=product.category, app=self.app)
        return self._allegro_category[key] or ""

    def definitions(self, allegro_id: str) -> list[CategoryParameter] | None:
        if allegro_id not in self._definitions:
            try:
                self._definitions[allegro_id] = category_definitions_get(allegro_category_id=allegro_id, app=self.app)
            except AllegroError:
                self._definitions[allegro_id] = None
        return self._definitions[allegro_id]

    def is_leaf(self, allegro_id: str) -> bool | None:
        if allegro_id not in self._leaf:
            self._leaf[allegro_id] = (
                AllegroCategory.objects.filter(source=category_source_key(app=self.app), allegro_id=allegro_id)
                .values_list("leaf", flat=True)
                .first()
            )
        return self._leaf[allegro_id]

    def _form_values(self, allegro_id: str, definitions: list[CategoryParameter]) -> dict[str, dict]:
        if allegro_id not in self._form:
            form = CategoryForm.objects.filter(allegro_category_id=allegro_id).only("values").first()
            self._form[allegro_id] = (
                category_form_values_filter(definitions=definitions, values=form.values) if form is not None else {}
            )
        return self._form[allegro_id]

    def product_parameters(self, product: Product, allegro_id: str) -> list[dict]:
        """``category_product_parameters_build`` with the category's definitions and form read once per selection."""
        definitions = self.definitions(allegro_id) or []
        if self.own_parameters is not None:
            own = self.own_parameters.get((product.pk, allegro_id), [])
        else:
            own = product_parameters_values(product=product, allegro_category_id=allegro_id) if product.pk else []
        return product_parameters_build(
            definitions=definitions,
            form_values=self._form_values(allegro_id, definitions),
            product=product,
            own_values=own,
        )

    def template(self, product: Product) -> DescriptionTemplate | None:
        key = product.category_id
        if key not in self._template:
            self._template[key] = description_template_get(product=product, account=self.account)
        return self._template[key]

    def product_body(self, product: Product) -> dict:
        """The product's own Allegro description (``description_product_body_get``), read and parsed once while
        the product's offer is checked and then listed. Only the latest products are kept."""
        key = (product.pk, product.updated_at)
        body = self._body.get(key)
        if body is None:
            if len(self._body) >= BODY_CACHE_SIZE:
                self._body.clear()
            body = self._body[key] = description_product_body_get(product=product)
        return copy.deepcopy(body)  # composing fills the copy in; the kept one stays as read

    def shipping_rates_id(self, product: Product) -> str:
        if self.shipping_overrides is not None:
            if product.pk in self.shipping_overrides:
                return self.shipping_overrides[product.pk]
            key = product.category_id
            if key not in self._shipping:
                rate_set = shipping_rate_set_get(product=product, account=self.account)
                self._shipping[key] = (rate_set.allegro_id if rate_set else "") or ""
            return self._shipping[key]
        rate_set = shipping_rate_set_get(product=product, account=self.account)
        return (rate_set.allegro_id if rate_set else "") or self.account.shipping_rates_id or ""


# --- prepare ---------------------------------------------------------------------------------------


def offer_prepare(
    *,
    product: Product,
    account: AllegroAccount,
    overrides: dict | None = None,
    copy_from: Offer | None = None,
    lookups: OfferLookups | None = None,
) -> Offer:
    """An UNSAVED Offer of ``product`` on ``account``, prefilled from the product and the account's defaults.

    Title = the product name cut to 75 characters at a word boundary; category from the mapping; parameters from
    the category form plus the product's brand/EAN (split into offer- and product-level); the catalogue product
    linked by a valid EAN (``productSet[].product.id`` with idType GTIN); Buy Now at the shop price plus the
    account's markup; quantity = stock when tracked, else the account's default; the account's duration,
    after-sales conditions and (per product/category/account) delivery price list; the product's images in order
    (as ``product-image:<pk>`` until uploaded); GPSR defaults kept on the account. The description is composed at
    publish time (``description`` holds only an edited override).

    ``overrides`` applies form values: any of OVERRIDABLE fields, ``price_change_percent`` (applied to the price
    last) and ``template`` (a DescriptionTemplate or its pk). ``copy_from`` copies another offer's content
    ("Wystaw podobną aukcję"); images too when it is an offer of the same product. ``lookups`` (an
    OfferLookups of the same account) shares per-category lookups across the products of one selection.
    """
    return _prepare(product=product, account=account, overrides=overrides, copy_from=copy_from, lookups=lookups)


def _prepare(*, product, account, overrides, copy_from, lookups: OfferLookups | None) -> Offer:
    lookups = lookups or OfferLookups(account)
    overrides = dict(overrides or {})
    unknown = set(overrides) - OVERRIDABLE - {"price_change_percent", "template"}
    if unknown:
        raise ValueError(f"unknown offer overrides: {sorted(unknown)}")
    offer = Offer(
        account=account,
        product=product,
        external_id=(product.sku or "")[:100],
        format=OfferFormat.BUY_NOW,
        status=OfferStatus.DRAFT,
    )
    images = [description_image_ref_make(pk=image.pk) for image in product.images.all()][:GALLERY_MAX]
    if copy_from is not None:
        for name in COPY_FIELDS:
            setattr(offer, name, copy.deepcopy(getattr(copy_from, name)))
        if copy_from.product_id == product.pk:
            # A published offer holds Allegro's URLs: read them back as the product's images, so the form shows
            # them chosen and in order; the uploads are reused (image_urls), not sent again.
            by_url = {url: pk for pk, url in (copy_from.image_urls or {}).items()}
            offer.images = [
                description_image_ref_make(pk=int(by_url[ref])) if ref in by_url else ref
                for ref in copy_from.images or []
            ]
            offer.image_urls = dict(copy_from.image_urls or {})
        else:
            offer.images = images
            offer.title = offer_title_from_name(name=product.name)
        if not offer.category_id:
            offer.category_id = lookups.allegro_category(product)
    else:
        offer.title = offer_title_from_name(name=product.name)
        offer.category_id = lookups.allegro_category(product)
        if offer.category_id:
            product_level, offer_level = product_parameters_split(
                parameters=lookups.product_parameters(product, offer.category_id)
            )
            offer.parameters, offer.product_parameters = offer_level, product_level
        ean = (product.ean or "").strip()
        offer.catalogue_product_id = ean if ean and gtin_is_valid(ean) else ""
        offer.price = price_markup_apply(price=product.price, percent=account.price_markup_percent)
        offer.quantity = product.stock if product.stock is not None else account.default_quantity
        offer.duration = account.default_duration or ""
        offer.images = images
        offer.description = {}
        offer.shipping_rates_id = lookups.shipping_rates_id(product)
        offer.warranty_id = account.warranty_id
        offer.implied_warranty_id = account.implied_warranty_id
        offer.return_policy_id = account.return_policy_id
        gpsr = _gpsr_defaults(account)
        offer.responsible_producer_id = str(gpsr.get("producer") or "")[:64]
        offer.safety_information = str(gpsr.get("safety_information") or "")
        offer.marketed_before_gpsr = bool(gpsr.get("marketed_before"))
        offer.renew_after_end = False
    percent = overrides.pop("price_change_percent", None)
    template = overrides.pop("template", "unset")
    for name, value in overrides.items():
        setattr(offer, name, value)
    if template != "unset":
        offer.template_id = template.pk if isinstance(template, DescriptionTemplate) else (template or None)
    if percent not in (None, ""):
        offer.price = price_markup_apply(price=offer.price, percent=percent)
        if offer.starting_price is not None:
            offer.starting_price = price_markup_apply(price=offer.starting_price, percent=percent)
    if offer.price is None:
        offer.price = Decimal("0.00")
    return offer


def offer_copy_onto(*, existing: Offer, prepared: Offer) -> Offer:
    """``existing`` (a refused attempt's row) with the content of ``prepared``, so a corrected listing reuses
    the row instead of adding one per try."""
    for name in (*COPY_FIELDS, "images", "image_urls", "external_id"):
        setattr(existing, name, getattr(prepared, name))
    return existing


# --- local validation ------------------------------------------------------------------------------


def _preview_url(pk: int) -> str:
    # Stands in for an image not uploaded yet: shaped like an Allegro URL so the description checks apply.
    return f"https://a.allegroimg.com/original/podglad-{pk}.jpg"


def _compose(offer: Offer, lookups: OfferLookups, image_urls: dict[int, str]) -> tuple[dict, list[str]]:
    """(Allegro description, gallery) of an offer with product images resolved through ``image_urls``.

    Description images are added to the gallery, as Allegro requires. Raises DescriptionImagesMissing
    for product images without a URL and UnknownPlaceholders for a template that cannot be rendered.
    """
    product = offer.product
    if product is None:  # composed only while listing, and an offer is listed from its product
        raise ValueError(f"offer {offer.pk} has no product to compose a description from")
    template = offer.template if offer.template_id else lookups.template(product)
    override = offer.description if (offer.description or {}).get("sections") else None
    description = description_offer_build(
        product=product,
        account=offer.account,
        template=template,
        override=override or lookups.product_body(product),
        image_urls=image_urls,
        template_resolved=True,
    )
    gallery: list[str] = []
    missing: list[int] = []
    for entry in offer.images or []:
        pk = description_image_ref_parse(url=entry)
        if pk is None:
            gallery.append(entry)
        elif image_urls.get(pk):
            gallery.append(image_urls[pk])
        else:
            missing.append(pk)
    if missing:
        raise DescriptionImagesMissing(missing)
    for section in description.get("sections", []):
        for item in section.get("items", []):
            if item.get("type") == "IMAGE" and item.get("url") and item["url"] not in gallery:
                gallery.append(item["url"])
    return description, gallery


def _stored_image_urls(offer: Offer) -> dict[int, str]:
    return {int(k): v for k, v in (offer.image_urls or {}).items() if v}


def offer_problems(*, offer: Offer, lookups: OfferLookups | None = None) -> list[OfferProblem]:
    """Every reason ``offer`` cannot be published, found locally before any call to Allegro.

    Checks the category (mapped, a leaf), required parameters and dictionary values (category_values_validate on
    the cached definitions: the only Allegro call is fetching them when cold), the catalogue EAN, title, prices,
    quantity against stock, auction rules, the description's grammar and limits with the gallery, images (1–16),
    GPSR fields (unless placed on the market before 13 Dec 2024) and the account's prerequisites (connected,
    complaint terms, return policy, delivery price list). Empty list = ready to publish. ``lookups``: as in
    ``offer_prepare``.
    """
    return _problems(offer, lookups or OfferLookups(offer.account))


def _problems(offer: Offer, lookups: OfferLookups) -> list[OfferProblem]:
    problems: list[OfferProblem] = []
    product = offer.product if offer.product_id else None
    if product is None:
        return [OfferProblem("no_product", "product", _("Product: the offer has no shop product."))]
    definitions = None
    if not offer.category_id:
        problems.append(
            OfferProblem(
                "unmapped_category",
                "category_id",
                _("Category: the shop category “%(category)s” is not mapped to an Allegro category.")
                % {"category": product.category.name},
            )
        )
    else:
        if lookups.is_leaf(offer.category_id) is False:
            problems.append(
                OfferProblem(
                    "category_not_leaf",
                    "category_id",
                    _("Category: choose a lowest-level Allegro category."),
                )
            )
        else:
            definitions = lookups.definitions(offer.category_id)
            problems += _parameter_problems(offer, definitions, lookups)
    problems += offer_catalogue_problems(offer=offer, definitions=definitions)
    problems += _catalogue_match_problems(offer, lookups)
    problems += offer_selling_problems(offer=offer)
    image_urls = {pk: _preview_url(pk) for pk in (image.pk for image in product.images.all())}
    for entry in offer.images or []:
        pk = description_image_ref_parse(url=entry)
        if pk is not None:
            image_urls.setdefault(pk, _preview_url(pk))
    image_urls.update(_stored_image_urls(offer))
    description, description_error, gallery = None, "", list(offer.images or [])
    try:
        description, gallery = _compose(offer, lookups, image_urls)
    except UnknownPlaceholders as exc:
        description_error = _("Description: the template cannot be filled in: %(error)s") % {"error": exc}
    except DescriptionImagesMissing:
        description_error = _("Description: it shows an image the product no longer has.")
    checked = copy.copy(offer)
    checked.images = gallery
    problems += offer_media_problems(offer=checked, description=description, description_error=description_error)
    problems += offer_gpsr_problems(offer=offer)
    problems += offer_account_problems(offer=offer, account=offer.account)
    return problems


# --- triage ----------------------------------------------------------------------------------------


@dataclass
class TriageItem:
    product: Product
    problems: list[OfferProblem]
    fix_url: str = ""
    fix_label: str = ""


@dataclass
class TriageGroup:
    """Products sharing one problem code, e.g. all products "bez EAN"."""

    code: str
    label: str
    items: list[TriageItem] = field(default_factory=list)

    @property
    def products(self) -> list[Product]:
        return [item.product for item in self.items]

    @property
    def count(self) -> int:
        return len(self.items)


@dataclass
class Triage:
    """The result of checking a selection: prepared offers, their problems, and problem groups with fix links."""

    account: AllegroAccount
    offers: dict[int, Offer] = field(default_factory=dict)
    problems: dict[int, list[OfferProblem]] = field(default_factory=dict)
    groups: list[TriageGroup] = field(default_factory=list)
    unknown_ean: list[Product] = field(default_factory=list)  # listed with a new product proposal

    @property
    def unknown_ean_label(self) -> str:
        count = len(self.unknown_ean)
        return ngettext(
            "%(count)s product: EAN unknown in Allegro's catalogue (a new product is proposed with its parameters)",
            "%(count)s products: EAN unknown in Allegro's catalogue (new products are proposed with their parameters)",
            count,
        ) % {"count": count}

    @property
    def total(self) -> int:
        return len(self.offers)

    @property
    def ready(self) -> list[Offer]:
        return [offer for pk, offer in self.offers.items() if not self.problems.get(pk)]

    @property
    def blocked_count(self) -> int:
        return sum(1 for problems in self.problems.values() if problems)

    @property
    def summary(self) -> str:
        """ "120 produktów nie może zostać wystawionych: 80 bez EAN, 40 bez parametru Marka" (empty when all ready)."""
        blocked = self.blocked_count
        if not blocked:
            return ""
        head = ngettext("%(count)s product cannot be listed", "%(count)s products cannot be listed", blocked) % {
            "count": blocked
        }
        parts = ", ".join(f"{group.count} {group.label}" for group in self.groups)
        return f"{head}: {parts}"


def _group_label(code: str, problem: OfferProblem) -> str:
    name = code.split(":", 1)[1] if ":" in code else ""
    labels = {
        "missing_ean": _("without EAN"),
        "ean_ambiguous": _("with an EAN of several products in Allegro's catalogue"),
        "invalid_ean": _("with a wrong EAN"),
        "unmapped_category": _("in a category not mapped to Allegro"),
        "category_not_leaf": _("mapped to a non-leaf Allegro category"),
        "no_images": _("without images"),
        "too_many_images": _("with more than 16 images"),
        "no_stock": _("out of stock"),
        "missing_responsible_producer": _("without a responsible producer (GPSR)"),
        "missing_safety_information": _("without safety information (GPSR)"),
        "missing_title": _("without a title"),
        "title_too_short": _("with a title too short for Allegro (under 12 characters or 3 words)"),
        "invalid_price": _("with a wrong price"),
        "missing_price": _("without a price"),
    }
    if code.startswith("missing_parameter:"):
        return _("without the parameter %(name)s") % {"name": name}
    if code.startswith("invalid_parameter:"):
        return _("with a wrong value of the parameter %(name)s") % {"name": name}
    return labels.get(code) or _("with the problem: %(message)s") % {"message": problem.message}


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _fix_link(offer: Offer, problem: OfferProblem) -> tuple[str, str]:
    product_id = offer.product_id
    if problem.code in ("unmapped_category", "category_not_leaf"):
        return _url("admin:allegro_categorymapping_changelist"), _("map the category")
    if problem.field == "parameters" and offer.category_id and problem.param_id:
        if problem.code.startswith("missing_parameter:") and problem.message.endswith(
            _("fill in the product's brand.")
        ):
            return _url("admin:shop_product_change", product_id), _("edit the product")
        return _url("admin:allegro_categoryform_edit", offer.category_id), _("fill in the category form")
    if problem.field in ("account", "implied_warranty_id", "return_policy_id", "shipping_rates_id"):
        return _url("admin:allegro_allegroaccount_change", offer.account_id), _("account settings")
    if problem.field in ("responsible_producer_id", "safety_information", "description", "duration") or (
        problem.code == "ean_ambiguous"
    ):
        url = _url("admin:allegro_offer_list_product", product_id)
        return (f"{url}?account={offer.account_id}" if url else ""), _("open the listing form")
    return _url("admin:shop_product_change", product_id), _("edit the product")


def offers_triage(
    *, products: Iterable[Product], account: AllegroAccount, overrides: dict[str, Any] | None = None
) -> Triage:
    """Prepare and check an offer for every product of a selection and group the problems by code.
    ``overrides`` are the ones a mass listing applies to every product (price change, duration, …).

    Constant number of queries per category, not per product: products are read with their category, images and
    stored Allegro description in bulk, and category mappings, parameter definitions, category forms, templates
    and delivery price lists are looked up once per category.
    """
    from allegro.shipping.models import ProductShippingRates

    ids = [p.pk if isinstance(p, Product) else int(p) for p in products]
    rows = list(
        Product.objects.filter(pk__in=ids)
        .select_related("category", "allegro_description")
        .prefetch_related("images")
        .order_by("name", "pk")
    )
    lookups = OfferLookups(account)
    lookups.own_parameters = {
        (row["product_id"], row["allegro_category_id"]): row["values"]
        for row in ProductParameters.objects.filter(product_id__in=ids).values(
            "product_id", "allegro_category_id", "values"
        )
    }
    lookups.shipping_overrides = dict(
        ProductShippingRates.objects.filter(account=account, product_id__in=ids).values_list(
            "product_id", "rate_set__allegro_id"
        )
    )
    triage = Triage(account=account)
    groups: dict[str, TriageGroup] = {}
    for product in rows:
        offer = _prepare(product=product, account=account, overrides=overrides, copy_from=None, lookups=lookups)
        problems = _problems(offer, lookups)
        triage.offers[product.pk] = offer
        triage.problems[product.pk] = problems
        if offer_catalogue_match(offer=offer, lookups=lookups).state == CatalogueMatch.UNKNOWN:
            triage.unknown_ean.append(product)
        seen: set[str] = set()
        for problem in problems:
            if problem.code in seen:
                continue
            seen.add(problem.code)
            group = groups.get(problem.code)
            if group is None:
                group = groups[problem.code] = TriageGroup(code=problem.code, label=_group_label(problem.code, problem))
            url, label = _fix_link(offer, problem)
            group.items.append(TriageItem(product=product, problems=problems, fix_url=url, fix_label=label))
    triage.groups = sorted(groups.values(), key=lambda g: (-g.count, g.label))
    return triage


# --- Allegro's catalogue -------------------------------------------------------------------------------


def _parameter_problems(
    offer: Offer, definitions: list[CategoryParameter] | None, lookups: OfferLookups
) -> list[OfferProblem]:
    """The offer's parameter problems. When the lookups do not ask the catalogue of every EAN, it is asked only
    for an offer missing required product parameters: its answer decides whether they are needed."""
    if lookups.ask_catalogue:
        return offer_parameter_problems(offer=offer, definitions=definitions, linked=_catalogue_linked(offer, lookups))
    unlinked = offer_parameter_problems(offer=offer, definitions=definitions, linked=False)
    linked = offer_parameter_problems(offer=offer, definitions=definitions, linked=True)
    if len(linked) == len(unlinked):  # a link only drops missing product parameters: here it changes nothing
        return unlinked
    return linked if _catalogue_linked(offer, lookups, ask=True) else unlinked


def _catalogue_linked(offer: Offer, lookups: OfferLookups, *, ask: bool | None = None) -> bool:
    """Whether Allegro's catalogue supplies the product parameters: a chosen product, or an EAN it knows once."""
    ref = offer.catalogue_product_id
    if not ref or ref == NO_PRODUCT:
        return False
    if not gtin_is_valid(ref):
        return True  # a product id chosen from the catalogue
    found = lookups.catalogue(ref, ask=ask)
    return found is None or len(found) == 1  # when the catalogue cannot be asked, Allegro will tell at publish


def _catalogue_match_problems(offer: Offer, lookups: OfferLookups) -> list[OfferProblem]:
    """An EAN several catalogue products share: Allegro refuses it (MultipleProductsFoundException) until a
    product is chosen by its id."""
    ref = offer.catalogue_product_id
    if not ref or not gtin_is_valid(ref):
        return []
    found = lookups.catalogue(ref) or []
    if len(found) < 2:
        return []
    return [
        OfferProblem(
            "ean_ambiguous",
            "catalogue_product_id",
            _("EAN: %(count)s products of Allegro's catalogue have this EAN; choose one in “Wystaw na Allegro”.")
            % {"count": len(found)},
        )
    ]


def offer_catalogue_match(*, offer: Offer, lookups: OfferLookups | None = None) -> CatalogueMatch:
    """What Allegro's catalogue says of the offer's product link: for "Wystaw na Allegro" and the triage."""
    lookups = lookups or OfferLookups(offer.account)
    ref = offer.catalogue_product_id
    if ref == NO_PRODUCT:
        return CatalogueMatch(state=CatalogueMatch.NONE)
    if not ref:
        return CatalogueMatch(state=CatalogueMatch.PROPOSAL)
    if not gtin_is_valid(ref):
        return CatalogueMatch(state=CatalogueMatch.CHOSEN)
    found = lookups.catalogue(ref)
    if found is None:
        return CatalogueMatch(state=CatalogueMatch.UNCHECKED)
    if not found:
        return CatalogueMatch(state=CatalogueMatch.UNKNOWN)
    return CatalogueMatch(state=CatalogueMatch.KNOWN if len(found) == 1 else CatalogueMatch.AMBIGUOUS, products=found)


def catalogue_products_search(
    *, account: AllegroAccount, phrase: str, category_id: str = ""
) -> list[CatalogueProduct] | None:
    """Allegro's catalogue searched by a phrase (words of the name, an EAN, a producer code), in the offer's
    category when it has one: for choosing the product in "Wystaw na Allegro" when the EAN finds none or the
    wrong one. An empty phrase finds nothing; None when Allegro could not be asked."""
    phrase = phrase.strip()
    if not phrase:
        return []
    try:
        return account_client(account=account).search_products(phrase=phrase, category_id=category_id or None)
    except AllegroError:
        return None


@dataclass
class CatalogueMatch:
    """How an offer meets Allegro's catalogue. ``products``: the catalogue products of its EAN."""

    KNOWN = "known"  # one product: the offer is linked to it
    AMBIGUOUS = "ambiguous"  # several: one must be chosen by id
    UNKNOWN = "unknown"  # none: a new product is proposed from the offer's data
    CHOSEN = "chosen"  # a product chosen by its id
    PROPOSAL = "proposal"  # no EAN: a new product is proposed
    NONE = "none"  # without a product (only where the category allows it)
    UNCHECKED = "unchecked"  # the catalogue could not be asked

    state: str
    products: list[CatalogueProduct] = field(default_factory=list)

    @property
    def label(self) -> str:
        return {
            self.KNOWN: _("EAN known in Allegro's catalogue: the offer is linked to its product."),
            self.AMBIGUOUS: _("EAN of several products in Allegro's catalogue: choose one."),
            self.UNKNOWN: _("EAN unknown in Allegro's catalogue: a new product is proposed with its parameters."),
            self.CHOSEN: _("A product chosen from Allegro's catalogue."),
            self.PROPOSAL: _("No EAN: a new product is proposed with its parameters."),
            self.NONE: _("Without a catalogue product (only where the category allows it)."),
            self.UNCHECKED: _("Allegro's catalogue could not be checked now; Allegro checks the EAN when listing."),
        }[self.state]


# --- payload ---------------------------------------------------------------------------------------


def offer_payload_build(*, offer: Offer, description: dict | None, gallery: list[str], propose: bool = False) -> dict:
    """The ``POST /sale/product-offers`` body of an offer: only fields that are set.

    ``propose``: Allegro's catalogue does not know the offer's EAN, so the product's data goes with it and
    Allegro proposes a new product (with the EAN alone it answers MatchingProductNotFoundException)."""
    account = offer.account
    cat_id = offer.catalogue_product_id
    product: dict[str, Any]
    if cat_id == NO_PRODUCT:
        product = {}  # without a catalogue product: Allegro allows it in a few categories only
    elif cat_id and not gtin_is_valid(cat_id):
        product = {"id": cat_id}  # a product chosen from the catalogue
    elif cat_id and not propose:
        product = {"id": cat_id, "idType": "GTIN"}  # the catalogue product of this EAN
    else:
        # A new product proposal (Allegro creates it from these fields), under the EAN when there is one.
        product = {"name": offer.title, "category": {"id": offer.category_id}, "images": gallery[:1]}
        if cat_id:
            product = {"id": cat_id, "idType": "GTIN", **product}
    if offer.product_parameters and (product.get("idType") or "id" not in product):  # not for a chosen product
        product["parameters"] = offer.product_parameters
    item: dict[str, Any] = {"product": product, "quantity": {"value": 1}}
    if offer.marketed_before_gpsr:
        item["marketedBeforeGPSRObligation"] = True
    else:
        producer = (offer.responsible_producer_id or "").strip()
        if producer:
            item["responsibleProducer"] = (
                {"type": "ID", "id": producer}
                if producer_is_allegro_id(value=producer)
                else {"type": "NAME", "name": producer}
            )
        if (offer.safety_information or "").strip():
            item["safetyInformation"] = {"type": "TEXT", "description": offer.safety_information.strip()}
    selling: dict[str, Any] = {"format": offer.format}
    if offer.format == OfferFormat.AUCTION:
        if offer.starting_price is not None:
            selling["startingPrice"] = _money(offer.starting_price)
        if offer.minimal_price is not None:
            selling["minimalPrice"] = _money(offer.minimal_price)
        if offer.price:
            selling["price"] = _money(offer.price)
    else:
        selling["price"] = _money(offer.price)
    publication: dict[str, Any] = {"status": "ACTIVE", "republish": bool(offer.renew_after_end)}
    if offer.duration:
        publication["duration"] = offer.duration
    delivery: dict[str, Any] = {"handlingTime": account.handling_time}
    if offer.shipping_rates_id:
        delivery["shippingRates"] = {"id": offer.shipping_rates_id}
    after_sales = {
        key: {"id": value}
        for key, value in (
            ("impliedWarranty", offer.implied_warranty_id),
            ("returnPolicy", offer.return_policy_id),
            ("warranty", offer.warranty_id),
        )
        if value
    }
    body: dict[str, Any] = {
        "name": offer.title,
        "category": {"id": offer.category_id},
        "productSet": [item],
        "parameters": offer.parameters or [],
        "sellingMode": selling,
        "stock": {"available": int(offer.quantity or 0), "unit": "UNIT"},
        "publication": publication,
        "delivery": delivery,
        "payments": {"invoice": account.invoice_type},
        "images": gallery,
        "external": {"id": offer.external_id},
        "language": "pl-PL",
    }
    if description is not None:
        body["description"] = description
    if after_sales:
        body["afterSalesServices"] = after_sales
    if account.location_province:
        location = {"countryCode": "PL", "province": account.location_province}
        if account.location_city:
            location["city"] = account.location_city
        if account.location_post_code:
            location["postCode"] = account.location_post_code
        body["location"] = location
    return body


def offer_errors_as_fields(*, errors) -> dict[str, list[str]]:
    """Allegro's error items → {listing form field: [userMessage, ...]}; "__all__" for paths we cannot place."""
    fields: dict[str, list[str]] = {}
    for item in errors:
        path = _PRODUCT_SET_INDEX.sub("productSet[0]", item.path or "")
        target = "__all__"
        for prefix, name in FIELD_BY_PATH:
            if path == prefix or path.startswith((prefix + ".", prefix + "[")):
                target = name
                break
        message = item.user_message or item.message or item.code
        if message and message not in fields.get(target, []):
            fields.setdefault(target, []).append(message)
    return fields


# --- publish ---------------------------------------------------------------------------------------


def _apply_allegro_view(offer: Offer, view: AllegroOffer) -> None:
    """Store what Allegro confirmed: id, status, price, quantity."""
    if view.id:
        offer.allegro_id = view.id
    if view.status:
        offer.status = STATUS_FROM_ALLEGRO.get(view.status, offer.status)
        offer.confirmed_status = view.status
    if view.price is not None:
        offer.confirmed_price = view.price
    if view.available is not None:
        offer.confirmed_quantity = view.available
    offer.confirmed_at = timezone.now()


def _offer_id_from_location(response: ApiResponse) -> str:
    location = response.headers.get("Location") or response.headers.get("location") or ""
    match = re.search(r"/sale/product-offers/([^/?#]+)", urlsplit(location).path)
    return match.group(1) if match else ""


def _upload(client, offer: Offer, pks: list[int], image_urls: dict[int, str]) -> None:
    """Upload product images that have no Allegro URL yet (POST /sale/images, binary); fills ``image_urls``."""
    wanted = [pk for pk in pks if not image_urls.get(pk)]
    if not wanted:
        return
    # The product's own images are usually prefetched with it; only others (if any) are read here.
    images = {image.pk: image for image in offer.product.images.all()} if offer.product is not None else {}
    others = [pk for pk in wanted if pk not in images]
    if others:
        images.update({image.pk: image for image in ProductImage.objects.filter(pk__in=others)})
    for pk in wanted:
        image = images.get(pk)
        if image is None:
            raise DescriptionImagesMissing([pk])
        with image.image.open("rb") as handle:
            data = handle.read()
        content_type = mimetypes.guess_type(image.image.name)[0] or "image/jpeg"
        if content_type == "image/jpg":
            content_type = "image/jpeg"
        image_urls[pk] = client.upload_image(data, content_type=content_type)
        offer.image_urls = {str(k): v for k, v in image_urls.items()}


def _find_posted(client, offer: Offer) -> AllegroOffer | None:
    """The offer a previous attempt may have created: GET /sale/offers?external.id=<SKU>, without offers already
    linked to other rows of this account; the one with the same title first, else the newest."""
    page = parse_offer_page(
        client.request(
            "GET", "/sale/offers", params={"external.id": offer.external_id, "limit": 1000}, bucket="offer_read"
        ).data
    )
    found = [o for o in page.items if o.id]
    if not found:
        return None
    linked = set(
        Offer.objects.filter(account=offer.account, allegro_id__in=[o.id for o in found])
        .exclude(pk=offer.pk)
        .values_list("allegro_id", flat=True)
    )
    candidates = [o for o in found if o.id not in linked]
    if not candidates:
        return None
    same_title = [o for o in candidates if o.name == (offer.request_payload or {}).get("name", offer.title)]
    return (same_title or candidates)[0]


def _fail(offer: Offer, *, message: str, fields: dict[str, list[str]], exc: AllegroError | None = None) -> Offer:
    offer.status = OfferStatus.ERROR
    offer.last_error = message
    offer.last_error_fields = fields
    offer.save()
    event_log(
        kind=EventKind.OFFER,
        action="offer_publish_failed",
        message=_("Not listed: %(title)s. Error: %(error)s") % {"title": offer.title, "error": message},
        account=offer.account,
        success=False,
        offer_id=offer.allegro_id or "",
        product_id=offer.product_id,
        request_summary={"method": "POST", "path": "/sale/product-offers", "external_id": offer.external_id},
        response_summary={"status": exc.status, "codes": [e.code for e in exc.errors]} if exc else {},
        trace_id=exc.trace_id if exc else "",
    )
    return offer


class _Stopped(Exception):
    """A phase of publishing ended the attempt; ``offer`` is the row as stored (status "error")."""

    def __init__(self, offer: Offer) -> None:
        super().__init__(offer.last_error)
        self.offer = offer


def _stop(offer: Offer, *, message: str, fields: dict[str, list[str]], exc: AllegroError | None = None) -> _Stopped:
    return _Stopped(_fail(offer, message=message, fields=fields, exc=exc))


def offer_publish(*, offer: Offer, actor=None, lookups: OfferLookups | None = None) -> Offer:
    """Create ``offer`` on Allegro and return it with its Allegro id and status; safe to call again.

    (a) The row is marked "activating" with the request snapshot; it is saved with the final snapshot before the
    POST (the recorded intent: nothing is posted that is not stored first), and by every outcome before that;
    (b) product images still referenced as ``product-image:<pk>`` are uploaded (POST /sale/images) and replaced
    by their URLs in the gallery and the description; (c) when this row may already have been posted (it was
    "activating" with a snapshot and no Allegro id) the offer is looked up by ``external.id`` and adopted instead
    of posted again; (d) POST /sale/product-offers (201, or 202 followed to the offer), storing the id, the status
    from ``publication.status`` and the confirmed price/quantity; (e) Allegro's refusal (400/422...) → status
    "error" with ``last_error`` and ``last_error_fields`` {form field: [userMessage]}; (f) timeouts, 5xx and 429
    leave the row "activating" and re-raise AllegroRetryLater/AllegroRateLimited, so the retry re-runs (c).
    Every outcome is written to the event log with the offer and product ids. ``lookups``: as in
    ``offer_prepare`` (a mass listing passes its own).
    """
    with event_context(actor=actor) if actor is not None else nullcontext():
        offer = _publish(offer, actor, lookups or OfferLookups(offer.account))
        _promote_listed(offer, actor)
        return offer


def _promote_listed(offer: Offer, actor) -> None:
    """Buy the paid promotion options the new offer should have (the account's defaults or its own choice). A
    refusal or an Allegro that does not answer leaves the offer listed: the stored command is resent by the next
    "Synchronizuj aukcje" (its promotions step)."""
    if not offer.allegro_id or offer.status not in (OfferStatus.ACTIVE, OfferStatus.ACTIVATING):
        return
    if not offer_promotions_pending(offer=offer):
        return
    try:
        promotions_send(account=offer.account, offers=Offer.objects.filter(pk=offer.pk), actor=actor)
    except AllegroError as exc:
        event_log(
            kind=EventKind.OFFER,
            action="promotions not sent",
            message=_("The offer is listed; its promotion options will be sent later: %(error)s")
            % {"error": "; ".join(exc.user_messages)},
            account=offer.account,
            offer_id=offer.allegro_id or "",
            product_id=offer.product_id,
            success=False,
        )


def _publish(offer: Offer, actor, lookups: OfferLookups) -> Offer:
    if offer.allegro_id and offer.status in (OfferStatus.ACTIVE, OfferStatus.ACTIVATING):
        return offer  # already created: publishing twice must not create a second offer
    # A row left "activating" with a snapshot and no Allegro id may have been posted before a crash or a timeout.
    may_have_posted = (
        offer.pk is not None
        and offer.status == OfferStatus.ACTIVATING
        and not offer.allegro_id
        and bool(offer.request_payload)
    )
    _publish_record_intent(offer, actor, may_have_posted=may_have_posted)
    try:
        client = _publish_client(offer)
        payload = _publish_upload_images(client, offer, lookups)
        if may_have_posted:
            found = _publish_find_existing(client, offer)
            if found is not None:
                return _publish_adopt(offer, found)
        offer.request_payload = payload
        offer.save()
        response = _publish_post(client, offer, payload)
    except _Stopped as stopped:
        return stopped.offer
    return _publish_apply_result(offer, response, actor)


def _publish_record_intent(offer: Offer, actor, *, may_have_posted: bool) -> None:
    """(a) Mark the row "activating". A row that may have been posted keeps the snapshot it was posted with, so
    the lookup in (c) compares against what was actually sent. Not saved here: the image uploads change nothing
    on Allegro, and the save before the POST (or the one of any earlier outcome) writes it, one write fewer per
    offer in a mass listing."""
    offer.status = OfferStatus.ACTIVATING
    offer.last_error = ""
    offer.last_error_fields = {}
    if offer.created_by_id is None and getattr(actor, "is_authenticated", False):
        offer.created_by = actor
    if not may_have_posted:
        offer.request_payload = offer_payload_build(offer=offer, description=None, gallery=list(offer.images or []))


def _publish_client(offer: Offer):
    try:
        return account_client(account=offer.account)
    except AllegroError as exc:
        raise _stop(
            offer, message="; ".join(exc.user_messages), fields={"account": exc.user_messages}, exc=exc
        ) from exc


def _publish_upload_images(client, offer: Offer, lookups: OfferLookups) -> dict:
    """(b) Upload the product images the gallery and the description show, then compose the final payload.
    Timeouts and 429 keep the row "activating" (uploads are harmless to repeat)."""
    image_urls = _stored_image_urls(offer)
    try:
        refs = [pk for pk in (description_image_ref_parse(url=e) for e in offer.images or []) if pk is not None]
        _upload(client, offer, refs, image_urls)
        try:
            description, gallery = _compose(offer, lookups, image_urls)
        except DescriptionImagesMissing as missing:  # images only the description shows
            _upload(client, offer, missing.pks, image_urls)
            description, gallery = _compose(offer, lookups, image_urls)
    except (AllegroRetryLater, AllegroRateLimited):
        offer.save()
        raise
    except AllegroError as exc:
        raise _stop(offer, message="; ".join(exc.user_messages), fields={"images": exc.user_messages}, exc=exc) from exc
    except (UnknownPlaceholders, DescriptionImagesMissing, OSError) as exc:
        message = _("Description or images: %(error)s") % {"error": exc}
        raise _stop(offer, message=message, fields={"description": [message]}) from exc
    offer.images = gallery
    offer.image_urls = {str(k): v for k, v in image_urls.items()}
    # The product's data goes with an EAN the catalogue does not know, or that was not looked up: Allegro links
    # the offer to the catalogue's product when it has one, and proposes a new product from the data otherwise.
    state = offer_catalogue_match(offer=offer, lookups=lookups).state
    propose = state in (CatalogueMatch.UNKNOWN, CatalogueMatch.UNCHECKED)
    return offer_payload_build(offer=offer, description=description, gallery=gallery, propose=propose)


def _publish_find_existing(client, offer: Offer) -> AllegroOffer | None:
    """(c) What a previous attempt of this row created, looked up by ``external.id`` before anything is posted
    again. When Allegro cannot answer, the row stays "activating" and the retry looks again."""
    try:
        return _find_posted(client, offer)
    except (AllegroRetryLater, AllegroRateLimited):
        offer.save()
        raise
    except AllegroError as exc:
        raise _stop(offer, message="; ".join(exc.user_messages), fields={}, exc=exc) from exc


def _publish_adopt(offer: Offer, found: AllegroOffer) -> Offer:
    """(c) Link the row to the offer the interrupted attempt created instead of listing it twice."""
    _apply_allegro_view(offer, found)
    offer.save()
    event_log(
        kind=EventKind.OFFER,
        action="offer_adopted",
        message=_("Found on Allegro after an interrupted listing (not listed twice): %(title)s.")
        % {"title": offer.title},
        account=offer.account,
        offer_id=offer.allegro_id or "",
        product_id=offer.product_id,
        request_summary={"method": "GET", "path": "/sale/offers", "external_id": offer.external_id},
    )
    return offer


def _publish_post(client, offer: Offer, payload: dict) -> ApiResponse:
    """(d) POST /sale/product-offers, following a 202 to the finished offer. (e) A refusal fails the row with
    the messages placed on form fields; (f) a timeout, 5xx or 429 leaves it "activating" and re-raises."""
    try:
        response = client.create_product_offer(payload)
        if response.status == 202:
            response = _publish_await_async(client, offer, response)
    except (AllegroRetryLater, AllegroRateLimited) as exc:
        # It may or may not exist on Allegro now: stay "activating"; the retry looks it up first.
        offer.last_error = "; ".join(exc.user_messages)
        offer.save()
        event_log(
            kind=EventKind.OFFER,
            action="offer_publish_interrupted",
            message=_("Listing interrupted, will be checked on retry: %(title)s. Error: %(error)s")
            % {"title": offer.title, "error": offer.last_error},
            account=offer.account,
            success=False,
            offer_id=offer.allegro_id or "",
            product_id=offer.product_id,
            request_summary={"method": "POST", "path": "/sale/product-offers", "external_id": offer.external_id},
            trace_id=exc.trace_id,
        )
        raise
    except AllegroValidationError as exc:
        # Refused: nothing was created.
        fields = offer_errors_as_fields(errors=exc.errors)
        raise _stop(offer, message="; ".join(exc.user_messages), fields=fields, exc=exc) from exc
    except AllegroError as exc:
        raise _stop(
            offer, message="; ".join(exc.user_messages), fields={"__all__": exc.user_messages}, exc=exc
        ) from exc
    return response


def _publish_await_async(client, offer: Offer, response: ApiResponse) -> ApiResponse:
    """(d) A 202: store the offer id Allegro already gave (body or Location) before waiting for the operation,
    so even an interrupted wait leaves the row linked to its offer."""
    accepted_id = parse_offer(response.data).id or _offer_id_from_location(response)
    if accepted_id:
        offer.allegro_id = accepted_id
        offer.save(update_fields=["allegro_id", "updated_at"])
    return client.wait_for_operation(response)


def _publish_apply_result(offer: Offer, response: ApiResponse, actor) -> Offer:
    """(d) Store the id, status, price and quantity Allegro confirmed; a draft keeps Allegro's reasons."""
    view = parse_offer(response.data)
    _apply_allegro_view(offer, view)
    if offer.status == OfferStatus.DRAFT:
        offer.last_error = "; ".join(str(e.user_message or e.message) for e in view.validation_errors)
    offer.save()
    event_log(
        kind=EventKind.OFFER,
        action="offer_published",
        message=_("Listed by %(who)s: %(title)s (status on Allegro: %(status)s).")
        % {"who": _who(actor), "title": offer.title, "status": offer.confirmed_status or offer.status},
        account=offer.account,
        offer_id=offer.allegro_id or "",
        product_id=offer.product_id,
        request_summary={"method": "POST", "path": "/sale/product-offers", "external_id": offer.external_id},
        response_summary=response.summary(),
        trace_id=response.trace_id,
    )
    return offer


def offer_fetch_from_allegro(*, offer: Offer) -> dict:
    """Allegro's current view of the offer (GET /sale/product-offers/{id}) as Allegro sent it, for the offer's
    page to show next to what the panel sent. Raises AllegroError."""
    if not offer.allegro_id:
        raise ValueError(f"offer {offer.pk} is not on Allegro: there is nothing to fetch")
    return account_client(account=offer.account).get_product_offer(offer.allegro_id)


# --- end -------------------------------------------------------------------------------------------


def offer_end(*, offer: Offer, actor=None, reason: str) -> Offer:
    """End one offer (the "Zakończ" button): a publication command END with a UUID stored before the call and
    resent unchanged on a retry. ``reason`` goes to the offer and the event log ("zakończona: ...").
    An offer never created on Allegro is just marked ended. The sync engine confirms the end later."""
    with event_context(actor=actor) if actor is not None else nullcontext():
        if offer.status in (OfferStatus.ENDED, OfferStatus.ARCHIVED):
            return offer
        if offer.allegro_id:
            if not offer.command_id:
                offer.command_id = str(uuid.uuid4())
                offer.save(update_fields=["command_id", "updated_at"])
            client = account_client(account=offer.account)
            client.put_offer_publication_command(offer.command_id, action="END", offer_ids=[offer.allegro_id])
        offer.status = OfferStatus.ENDED
        offer.ended_reason = reason[:200]
        offer.ended_at = timezone.now()
        offer.command_id = ""
        offer.save()
        event_log(
            kind=EventKind.OFFER,
            action="offer_ended",
            message=_("Ended by %(who)s: %(reason)s") % {"who": _who(actor), "reason": reason},
            account=offer.account,
            offer_id=offer.allegro_id or "",
            product_id=offer.product_id,
            request_summary={"method": "PUT", "path": "/sale/offer-publication-commands", "action": "END"},
        )
        return offer


def offer_update_description(*, offer: Offer, client=None, actor=None) -> Offer:
    """Send the offer's description as composed now (current product description and template) with its
    gallery: PATCH /sale/product-offers/{id}. Product images the new description shows are uploaded first.
    Used when ended offers are relisted with "update descriptions". Raises AllegroError on refusal."""
    client = client or account_client(account=offer.account)
    image_urls = _stored_image_urls(offer)
    lookups = OfferLookups(offer.account)
    try:
        description, gallery = _compose(offer, lookups, image_urls)
    except DescriptionImagesMissing as missing:
        _upload(client, offer, missing.pks, image_urls)
        description, gallery = _compose(offer, lookups, image_urls)
    client.request(
        "PATCH",
        f"/sale/product-offers/{offer.allegro_id}",
        json={"description": description, "images": gallery},
        bucket="offer_write",
    )
    offer.images = gallery
    offer.save(update_fields=["images", "image_urls", "updated_at"])
    with event_context(actor=actor) if actor is not None else nullcontext():
        event_log(
            kind=EventKind.OFFER,
            action="offer_description_updated",
            message=_("Description updated from the shop: %(title)s") % {"title": offer.title},
            account=offer.account,
            offer_id=offer.allegro_id or "",
            product_id=offer.product_id,
            request_summary={
                "method": "PATCH",
                "path": "/sale/product-offers/{id}",
                "fields": ["description", "images"],
            },
        )
    return offer
