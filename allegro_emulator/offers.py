"""Offers area: /sale/product-offers (+ parts, operations), /sale/offers, DELETE draft, /sale/offer-events
and the control hooks `POST /_emulator/offers/<id>/end`, `GET /_emulator/state/offers`.

Storage (db.SCHEMA `offers`): `data` holds the offer document as last written by POST/PATCH (request
fields plus the defaults the emulator filled in); the columns (status, ended_by, price, stock, dates) are
authoritative and are overlaid on `data` when the offer is rendered, so commands and sales touch columns
only. Time-driven transitions (ACTIVATING → ACTIVE, duration expiry, archiving after 60 days in ENDED,
due command tasks) are applied lazily by `sweep()` at the start of every offers/commands request.

Hooks for other areas: `record_sale(offer_id, quantity)` (orders) and `offer_events.emit(...)`.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any

from . import catalogue, clock, db, ids, images, offer_events, products, ratelimit, seller_settings, state
from .errors import ApiError, ErrorItem, error, merge_errors, validation
from .routing import JSON, Request, Response, route

ARCHIVE_AFTER_SECONDS = 60 * 24 * 3600
ACTIVE_STATES = ("ACTIVE", "ACTIVATING")
PROVINCES = {
    "DOLNOSLASKIE", "KUJAWSKO_POMORSKIE", "LUBELSKIE", "LUBUSKIE", "LODZKIE", "MALOPOLSKIE", "MAZOWIECKIE",
    "OPOLSKIE", "PODKARPACKIE", "PODLASKIE", "POMORSKIE", "SLASKIE", "SWIETOKRZYSKIE", "WARMINSKO_MAZURSKIE",
    "WIELKOPOLSKIE", "ZACHODNIOPOMORSKIE",
}  # fmt: skip
HANDLING_TIMES = {
    "PT0S", "PT24H", "PT48H", "PT72H", "PT96H", "PT120H", "PT168H", "PT240H", "PT336H", "PT504H", "PT720H",
    "PT1440H", "P2D", "P3D", "P4D", "P5D", "P7D", "P10D", "P14D", "P21D", "P30D", "P60D",
}  # fmt: skip
DURATION_DAYS = {"BUY_NOW": {3, 5, 7, 10, 20, 30}, "AUCTION": {1, 3, 5, 7, 10}, "ADVERTISEMENT": {10, 20, 30}}
NON_GPSR_ROOTS = ("Nieruchomości", "Firma i usługi")
REQUEST_KEYS = {
    "additionalMarketplaces", "additionalServices", "afterSalesServices", "aiCoCreatedContent", "attachments", "b2b",
    "category", "compatibilityList", "contact", "delivery", "description", "discounts", "external",
    "fundraisingCampaign", "images", "language", "location", "messageToSellerSettings", "name", "parameters",
    "payments", "productSet", "publication", "sellingMode", "sizeTable", "stock", "taxSettings",
}  # fmt: skip
RESPONSE_ONLY = {"id", "validation", "createdAt", "updatedAt", "warnings"}
# Keys of SaleProductOfferResponseV1 that Allegro answers as null when the offer has none (all nullable in the spec)
NULL_WHEN_UNSET = (
    "fundraisingCampaign", "additionalServices", "compatibilityList", "afterSalesServices", "contact", "sizeTable",
    "taxSettings", "messageToSellerSettings",
)  # fmt: skip
GALLERY_LIMIT = 16
# An offer's name: "between 12 and 75 characters (including spaces) and at least 3 words" (Allegro's spec).
NAME_MIN, NAME_MIN_WORDS = 12, 3
DESCRIPTION_MAX_BYTES = 40_000
PRICE_RE = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
POSTCODE_RE = re.compile(r"^\d{2}-\d{3}$")
DURATION_RE = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")

# Functions run by sweep(); commands.py registers the application of due command tasks here.
SWEEP_HOOKS: list[Callable[[], None]] = []
# Asked first for every offer whose duration ran out (inside sweep's transaction): True means the hook ended
# it itself (auctions.py sells a won auction to its winner), so it is neither ended nor republished here.
EXPIRY_HOOKS: list[Callable[[Any, Any], bool]] = []
# `saleInfo` of a listing item: the first hook that answers (auctions.py for AUCTION offers) wins.
SALE_INFO_HOOKS: list[Callable[[Any], dict | None]] = []


# Errors ------------------------------------------------------------------------------------------------
def not_found() -> ApiError:
    return error(
        404,
        "OfferNotFoundException",
        "Offer not found. It was deleted, archived or never existed",
        pl="Nie znaleziono oferty. Została usunięta, zarchiwizowana lub nigdy nie istniała.",
    )


def _v(path: str | None, message: str, pl: str, code: str = "VALIDATION_ERROR", **meta: str) -> ErrorItem:
    return validation(path, message, pl, code, **meta)


# Small helpers ---------------------------------------------------------------------------------------------
def duration_seconds(value: Any) -> int | None:
    """ISO-8601 duration (P3D, PT72H, ...) → seconds; None for null; -1 when malformed."""
    if value is None:
        return None
    m = DURATION_RE.match(value) if isinstance(value, str) else None
    if not m or value in ("P", "PT"):
        return -1
    d, h, mi, s = (int(x or 0) for x in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + s


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))}"


def _iso_plus(base_iso: str, seconds: float) -> str:
    return clock.iso(clock.parse_iso(base_iso) + dt.timedelta(seconds=seconds))


def _root_name(category_path: str) -> str:
    return category_path.split(" > ")[0]


def get_row(offer_id: str, seller_id: str | None = None) -> Any:
    """The live (not archived) offers row, optionally only when it belongs to `seller_id`."""
    row = db.one("SELECT * FROM offers WHERE id = ?", (offer_id,))
    if row is None or row["archived_at"] is not None or (seller_id is not None and row["seller_id"] != seller_id):
        return None
    return row


# Description grammar ---------------------------------------------------------------------------
BLOCK = ("h1", "h2", "p", "ul", "ol")
ALLOWED_IN = {None: BLOCK, "p": ("b",), "h1": (), "h2": (), "ul": ("li",), "ol": ("li",), "li": ("b",), "b": ()}


class _Grammar(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problem: str | None = None

    def _fail(self, message: str) -> None:
        if self.problem is None:
            self.problem = message

    def handle_starttag(self, tag: str, attrs) -> None:
        parent = self.stack[-1] if self.stack else None
        allowed = ALLOWED_IN.get(parent, ())
        if tag not in allowed:
            listed = ", ".join(sorted(allowed)) if allowed else ""
            self._fail(f'Invalid tag: "{tag}", allowed tags: {{{listed}}}')
        elif attrs:
            self._fail(f'Invalid HTML subset: attributes are not allowed (tag "{tag}")')
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs) -> None:
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self._fail("Invalid HTML subset")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if data.strip() and not self.stack:
            self._fail("Invalid HTML subset: text must be inside a block tag (h1, h2, p, ul, ol)")
        elif data.strip() and self.stack[-1] in ("ul", "ol"):
            self._fail("Invalid HTML subset: text in a list must be inside li")


def description_problem(content: str) -> str | None:
    parser = _Grammar()
    try:
        parser.feed(content)
        parser.close()
    except Exception:  # noqa: BLE001 — the stdlib parser rarely raises; treat it as a bad subset
        return "Invalid HTML subset"
    if parser.problem is None and parser.stack:
        return "Invalid HTML subset"
    return parser.problem


def _validate_description(desc: Any, gallery: list, errs: list[ErrorItem]) -> None:
    if desc is None:
        return
    sections = desc.get("sections") if isinstance(desc, dict) else None
    if not isinstance(sections, list) or not 1 <= len(sections) <= 100:
        errs.append(
            _v("description.sections", "Description must have 1 to 100 sections", "Opis musi mieć 1–100 sekcji.")
        )
        return
    size = len(db.dumps(desc).encode())
    if size > DESCRIPTION_MAX_BYTES:
        errs.append(
            _v(
                "description",
                f"Description is too long: {size} bytes, at most {DESCRIPTION_MAX_BYTES} allowed",
                "Opis jest za długi (maksymalnie 40 000 bajtów).",
            )
        )
    for i, section in enumerate(sections):
        items = section.get("items") if isinstance(section, dict) else None
        if not isinstance(items, list) or not 1 <= len(items) <= 2:
            errs.append(
                _v(
                    f"description.sections[{i}].items",
                    "A section must have 1 or 2 items",
                    "Sekcja opisu musi mieć 1 lub 2 elementy.",
                )
            )
            continue
        for j, item in enumerate(items):
            path = f"description.sections[{i}].items[{j}]"
            kind = item.get("type") if isinstance(item, dict) else None
            if kind == "TEXT":
                content = item.get("content")
                if not isinstance(content, str) or not content.strip():
                    errs.append(_v(f"{path}.content", "Text item must not be empty", "Pusty element tekstowy opisu."))
                    continue
                problem = description_problem(content)
                if problem:
                    errs.append(_v(f"{path}.content", problem, f"Niedozwolony kod HTML w opisie: {problem}"))
            elif kind == "IMAGE":
                url = item.get("url")
                if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                    errs.append(_v(f"{path}.url", "Invalid image URL", "Nieprawidłowy adres zdjęcia."))
                elif url not in gallery:
                    errs.append(
                        _v(
                            f"{path}.url",
                            f"Image {url} used in the description is not attached to the offer images",
                            "Zdjęcie użyte w opisie musi znajdować się w galerii oferty.",
                            code="ConstraintViolationException.DescriptionImageNotAttached",
                        )
                    )
            else:
                errs.append(
                    _v(f"{path}.type", "Item type must be TEXT or IMAGE", "Typ elementu opisu: TEXT lub IMAGE.")
                )


# Parameters -----------------------------------------------------------------------------------------------
def _check_number(text: Any, ptype: str, r: dict) -> str | None:
    try:
        number = Decimal(str(text))
    except InvalidOperation:
        return f"'{text}' is not a number"
    if ptype == "integer" and number != number.to_integral_value():
        return f"'{text}' is not an integer"
    if ptype == "float":
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > int(r.get("precision", 2)):
            return f"'{text}' has more than {r.get('precision')} decimal places"
    if r.get("min") is not None and number < Decimal(str(r["min"])):
        return f"'{text}' is below the minimum {r['min']}"
    if r.get("max") is not None and number > Decimal(str(r["max"])):
        return f"'{text}' is above the maximum {r['max']}"
    return None


def _validate_parameters(body: dict, defs: list[dict], linked: bool, publish: bool, errs: list, soft: list) -> None:
    by_id = {d["id"]: d for d in defs}
    given: dict[str, dict] = {}
    product = ((body.get("productSet") or [{}])[0] or {}).get("product") or {}
    sources = [
        ("parameters", body.get("parameters") or [], False),
        ("productSet[0].product.parameters", product.get("parameters") or [], True),
    ]
    for base, plist, product_level in sources:
        if not isinstance(plist, list):
            errs.append(_v(base, "Parameters must be a list", "Parametry muszą być listą."))
            continue
        for i, p in enumerate(plist):
            path = f"{base}[{i}]"
            pid = str(p.get("id")) if isinstance(p, dict) and p.get("id") is not None else None
            d = by_id.get(pid) if pid else None
            if d is None:
                errs.append(
                    _v(
                        path,
                        f"Parameter {pid} is not defined in this category",
                        f"Parametr {pid} nie występuje w tej kategorii.",
                        code="PARAMETER_MISMATCH",
                        parameterId=str(pid),
                    )
                )
                continue
            if product_level and not d["options"].get("describesProduct"):
                errs.append(
                    _v(
                        path,
                        f"Parameter '{d['name']}' ({pid}) is an offer parameter; send it in top-level parameters",
                        f"Parametr '{d['name']}' opisuje ofertę – podaj go w parameters.",
                        parameterId=pid,
                    )
                )
                continue
            given[pid] = p
            _validate_value(p, d, path, errs)
    # dependent dictionary values
    for pid, p in given.items():
        d = by_id[pid]
        parent_id = d["options"].get("dependsOnParameterId")
        if not parent_id or d["type"] != "dictionary":
            continue
        parent_vals = set((given.get(parent_id) or {}).get("valuesIds") or [])
        for vid in p.get("valuesIds") or []:
            entry = next((e for e in d.get("dictionary") or [] if e["id"] == vid), None)
            deps = (entry or {}).get("dependsOnValueIds") or []
            if entry and deps and not parent_vals & set(deps):
                errs.append(
                    _v(
                        f"parameters[{pid}]",
                        f"Value {vid} of parameter '{d['name']}' is not allowed for the chosen value of parameter {parent_id}",
                        f"Wartość {vid} parametru '{d['name']}' nie pasuje do wartości parametru {parent_id}.",
                        parameterId=pid,
                    )
                )
    for d in defs:
        if d["id"] in given or not _required(d, given):
            continue
        if linked and d["options"].get("describesProduct"):
            continue  # a linked catalogue product supplies its own product parameters
        where = "productSet[0].product.parameters" if d["options"].get("describesProduct") else "parameters"
        (soft if not publish else errs).append(
            _v(
                where,
                f"Missing required parameter '{d['name']}' ({d['id']})",
                f"Brak wymaganego parametru '{d['name']}'.",
                code="MissingRequiredParameter",
                parameterId=d["id"],
            )
        )


def _required(d: dict, given: dict) -> bool:
    """`required`, or with `requiredIf` only when all its conditions hold for the parameters given."""
    conditions = d.get("requiredIf")
    if not conditions:
        return bool(d.get("required"))
    for c in conditions.get("parametersWithValue") or []:
        chosen = set((given.get(str(c["id"])) or {}).get("valuesIds") or [])
        if not chosen & set(c.get("oneOfValueIds") or []):
            return False
    for c in conditions.get("parametersWithoutValue") or []:
        p = given.get(str(c["id"])) or {}
        if p.get("valuesIds") or p.get("values") or p.get("rangeValue"):
            return False
    return True


def _validate_value(p: dict, d: dict, path: str, errs: list) -> None:
    ptype, r, name = d["type"], d.get("restrictions") or {}, d["name"]
    values, value_ids, rng = p.get("values") or [], p.get("valuesIds") or [], p.get("rangeValue")
    if ptype == "dictionary":
        known = {e["id"] for e in d.get("dictionary") or []}
        for vid in value_ids:
            if vid not in known:
                errs.append(
                    _v(
                        f"{path}.valuesIds",
                        f"Invalid value id '{vid}' for parameter '{name}' ({d['id']})",
                        f"Nieprawidłowa wartość parametru '{name}'.",
                        parameterId=d["id"],
                    )
                )
        if values and not d["options"].get("customValuesEnabled"):
            errs.append(
                _v(
                    f"{path}.values",
                    f"Parameter '{name}' accepts only dictionary values (valuesIds)",
                    f"Parametr '{name}' przyjmuje tylko wartości ze słownika.",
                    parameterId=d["id"],
                )
            )
        if not value_ids and not values:
            errs.append(
                _v(path, f"Parameter '{name}' has no value", f"Parametr '{name}' nie ma wartości.", parameterId=d["id"])
            )
        if len(value_ids) > 1 and not r.get("multipleChoices"):
            errs.append(
                _v(
                    f"{path}.valuesIds",
                    f"Parameter '{name}' accepts one value",
                    f"Parametr '{name}' przyjmuje jedną wartość.",
                    parameterId=d["id"],
                )
            )
        return
    if ptype in ("integer", "float"):
        if r.get("range"):
            if not isinstance(rng, dict) or "from" not in rng or "to" not in rng:
                errs.append(
                    _v(
                        f"{path}.rangeValue",
                        f"Parameter '{name}' needs rangeValue {{from, to}}",
                        f"Parametr '{name}' wymaga zakresu od–do.",
                        parameterId=d["id"],
                    )
                )
                return
            checks = [rng["from"], rng["to"]]
        else:
            checks = values
            if len(values) != 1:
                errs.append(
                    _v(
                        f"{path}.values",
                        f"Parameter '{name}' needs exactly one value",
                        f"Parametr '{name}' wymaga jednej wartości.",
                        parameterId=d["id"],
                    )
                )
                return
        for text in checks:
            problem = _check_number(text, ptype, r)
            if problem:
                errs.append(
                    _v(
                        f"{path}.values",
                        f"Parameter '{name}' ({d['id']}): {problem}",
                        f"Nieprawidłowa wartość parametru '{name}'.",
                        parameterId=d["id"],
                    )
                )
        return
    # string
    if not values:
        errs.append(
            _v(
                f"{path}.values",
                f"Parameter '{name}' has no value",
                f"Parametr '{name}' nie ma wartości.",
                parameterId=d["id"],
            )
        )
    if len(values) > int(r.get("allowedNumberOfValues") or 1):
        errs.append(
            _v(
                f"{path}.values",
                f"Parameter '{name}' accepts at most {r.get('allowedNumberOfValues')} values",
                f"Za dużo wartości parametru '{name}'.",
                parameterId=d["id"],
            )
        )
    for text in values:
        if not isinstance(text, str) or not int(r.get("minLength", 1)) <= len(text) <= int(r.get("maxLength", 10_000)):
            errs.append(
                _v(
                    f"{path}.values",
                    f"Value of parameter '{name}' must have {r.get('minLength')}–{r.get('maxLength')} characters",
                    f"Nieprawidłowa długość wartości parametru '{name}'.",
                    parameterId=d["id"],
                )
            )


# Whole-offer validation -----------------------------------------------------------------------------------
@dataclass
class _OfferCheck:
    """What the field checks of one offer document share: the document (filled in as the checks go), the
    errors found, and what earlier checks learnt that later ones need (the category, the first product)."""

    seller_id: str
    publish: bool
    doc: dict
    errs: list[ErrorItem] = field(default_factory=list)
    soft: list[ErrorItem] = field(default_factory=list)  # publication blockers on a draft: its validation.errors
    cat: Any = None  # the category row, once _check_category found it
    defs: list[dict] = field(default_factory=list)  # its parameter definitions when it is a leaf
    first: dict = field(default_factory=dict)  # productSet[0]
    linked: bool = False  # productSet[0] names a catalogue product (it supplies the product parameters)
    gallery: list = field(default_factory=list)

    @property
    def fmt(self) -> str:
        return (self.doc.get("sellingMode") or {}).get("format") or "BUY_NOW"

    def blocker(self, item: ErrorItem) -> None:
        """An error that only publishing makes fatal (a draft keeps it in validation.errors)."""
        (self.errs if self.publish else self.soft).append(item)


def _check_name(c: _OfferCheck) -> None:
    name = c.doc.get("name")
    if not isinstance(name, str) or not name.strip():
        c.errs.append(_v("name", "Offer name is required", "Tytuł oferty jest wymagany."))
    elif len(name) > 75:
        c.errs.append(
            _v(
                "name",
                f"Offer name is too long: {len(name)} characters, at most 75 allowed",
                "Tytuł oferty może mieć najwyżej 75 znaków.",
            )
        )
    elif len(name) >= NAME_MIN and len(name.split()) < NAME_MIN_WORDS:  # under 12 characters: the spec's error
        c.errs.append(
            _v(
                "name",
                f"Offer name must consist of at least {NAME_MIN_WORDS} words",
                f"Tytuł oferty musi składać się z co najmniej {NAME_MIN_WORDS} słów.",
            )
        )


def _check_category(c: _OfferCheck) -> None:
    category_id = str((c.doc.get("category") or {}).get("id") or "")
    c.cat = catalogue.category_row(category_id) if category_id else None
    if c.cat is None:
        c.errs.append(
            _v(
                "category.id",
                f"Category '{category_id}' does not exist",
                "Wskazana kategoria nie istnieje.",
                code="CategoryNotFoundException",
            )
        )
    elif not c.cat["leaf"]:
        c.errs.append(
            _v(
                "category.id",
                f"Category {category_id} is not a leaf category",
                "Wybierz kategorię najniższego poziomu.",
                code="CategoryNotLeafException",
            )
        )
    else:
        c.defs = catalogue.category_parameters(category_id)


def _check_product_set(c: _OfferCheck) -> None:
    """productSet[0].product: the catalogue decides (see products.py) — a known product links the offer, a GTIN
    with the product's data proposes a new one, an unknown or ambiguous GTIN is an error. Without a productSet
    the category must allow offers without a product."""
    category_id = str((c.doc.get("category") or {}).get("id") or "")
    product_set = c.doc.get("productSet")
    if product_set is None:
        if c.cat is not None and c.cat["leaf"]:
            products.resolve_offer_product(c.seller_id, {}, category_id, c.errs)
        return
    if not isinstance(product_set, list) or not product_set or not isinstance(product_set[0], dict):
        c.errs.append(_v("productSet", "productSet must contain one product", "productSet musi zawierać produkt."))
        return
    product_set = [dict(x) for x in product_set]
    c.first = product_set[0]
    product = dict(c.first.get("product") or {})
    found, status = products.resolve_offer_product(c.seller_id, product, category_id, c.errs)
    if found:
        product = {"id": found}
        c.linked = True
    elif status == "ERROR":
        c.linked = True  # the product error says it all: its parameters are not checked
    elif status == "PROPOSED":
        product["_propose"] = True
    product.pop("idType", None)
    product["publication"] = {"status": status}
    c.first["product"] = product
    c.doc["productSet"] = product_set


def _check_parameters(c: _OfferCheck) -> None:
    if c.defs:
        _validate_parameters(c.doc, c.defs, c.linked, c.publish, c.errs, c.soft)


def _check_selling_format(c: _OfferCheck) -> None:
    fmt = c.fmt
    if fmt not in ("BUY_NOW", "AUCTION", "ADVERTISEMENT"):
        c.errs.append(_v("sellingMode.format", f"Unknown selling format '{fmt}'", "Nieznany format sprzedaży."))
    elif fmt == "ADVERTISEMENT" and c.cat is not None and not (db.loads(c.cat["options"]) or {}).get("advertisement"):
        c.errs.append(
            _v(
                "sellingMode.format",
                "Advertisements are not allowed in this category",
                "W tej kategorii nie można wystawić ogłoszenia.",
            )
        )


def _check_prices(c: _OfferCheck) -> None:
    selling, fmt = c.doc.get("sellingMode") or {}, c.fmt
    for key in ("price", "startingPrice", "minimalPrice"):
        money = selling.get(key)
        if money is None:
            if key == "price" and fmt in ("BUY_NOW", "ADVERTISEMENT"):
                c.errs.append(_v("sellingMode.price", "Price is required", "Cena jest wymagana."))
            if key == "startingPrice" and fmt == "AUCTION":
                c.errs.append(
                    _v(
                        "sellingMode.startingPrice",
                        "Starting price is required for an auction",
                        "Cena wywoławcza jest wymagana w licytacji.",
                    )
                )
            continue
        amount = money.get("amount") if isinstance(money, dict) else None
        if not isinstance(amount, str) or not PRICE_RE.match(amount) or Decimal(amount) <= 0:
            c.errs.append(
                _v(
                    f"sellingMode.{key}.amount",
                    f"Invalid price '{amount}': a positive amount with at most 2 decimal places, as a string",
                    "Nieprawidłowa cena (liczba dodatnia, najwyżej 2 miejsca po przecinku).",
                )
            )
        if (money or {}).get("currency", "PLN") != "PLN":
            c.errs.append(
                _v(f"sellingMode.{key}.currency", "Currency must be PLN on allegro-pl", "Waluta musi być PLN.")
            )


def _check_stock(c: _OfferCheck) -> None:
    stock = c.doc.get("stock")
    if not isinstance(stock, dict):
        c.errs.append(_v("stock", "Stock is required", "Liczba sztuk jest wymagana."))
        return
    available = stock.get("available")
    if not isinstance(available, int) or isinstance(available, bool) or available < 0:
        c.errs.append(
            _v(
                "stock.available",
                "stock.available must be an integer ≥ 0",
                "Liczba sztuk musi być liczbą całkowitą ≥ 0.",
            )
        )
    elif c.publish and available < 1:
        c.errs.append(
            _v(
                "stock.available",
                "An offer with no stock cannot be published",
                "Nie można wystawić oferty bez dostępnych sztuk.",
            )
        )
    elif c.fmt == "AUCTION" and available != 1:
        c.errs.append(_v("stock.available", "An auction must have exactly 1 item", "Licytacja musi mieć 1 sztukę."))
    if stock.get("unit", "UNIT") not in ("UNIT", "PAIR", "SET"):
        c.errs.append(_v("stock.unit", "stock.unit must be UNIT, PAIR or SET", "Nieprawidłowa jednostka."))


def _check_duration(c: _OfferCheck) -> None:
    fmt = c.fmt
    duration = (c.doc.get("publication") or {}).get("duration")
    seconds = duration_seconds(duration)
    if seconds == -1:
        c.errs.append(
            _v("publication.duration", f"Invalid duration '{duration}'", "Nieprawidłowy czas trwania oferty.")
        )
    elif seconds is None:
        if fmt in ("AUCTION", "ADVERTISEMENT"):
            c.errs.append(_v("publication.duration", f"{fmt} offers need a duration", "Podaj czas trwania oferty."))
    elif seconds % 86400 or seconds // 86400 not in DURATION_DAYS.get(fmt, set()):
        allowed = ", ".join(f"P{d}D" for d in sorted(DURATION_DAYS.get(fmt, set())))
        c.errs.append(
            _v(
                "publication.duration",
                f"Duration {duration} is not allowed for {fmt}; allowed: {allowed}"
                + (" or null" if fmt == "BUY_NOW" else ""),
                "Niedozwolony czas trwania oferty.",
            )
        )


def _check_publication_status(c: _OfferCheck) -> None:
    if (c.doc.get("publication") or {}).get("status") not in (None, "ACTIVE", "INACTIVE"):
        c.errs.append(
            _v(
                "publication.status",
                "publication.status must be ACTIVE or INACTIVE",
                "Nieprawidłowy status publikacji.",
            )
        )


def _check_starting_at(c: _OfferCheck) -> None:
    starting_at = (c.doc.get("publication") or {}).get("startingAt")
    if starting_at is not None:
        try:
            clock.parse_iso(starting_at)
        except (TypeError, ValueError):
            c.errs.append(_v("publication.startingAt", "Invalid date", "Nieprawidłowa data rozpoczęcia."))


def _check_handling_time(c: _OfferCheck) -> None:
    delivery = c.doc["delivery"] = dict(c.doc.get("delivery") or {})
    if delivery.get("handlingTime") is not None and delivery["handlingTime"] not in HANDLING_TIMES:
        c.errs.append(
            _v(
                "delivery.handlingTime",
                f"Handling time '{delivery['handlingTime']}' is not allowed",
                "Niedozwolony czas wysyłki.",
            )
        )


def _check_shipping_rates(c: _OfferCheck) -> None:
    """The price list named by id or name, else the seller's default (a draft may have none yet)."""
    delivery = c.doc["delivery"]
    rates = delivery.get("shippingRates") or {}
    if rates.get("id") or rates.get("name"):
        sql, arg = ("id = ?", rates["id"]) if rates.get("id") else ("name = ?", rates["name"])
        found = db.one(f"SELECT id FROM shipping_rate_sets WHERE seller_id = ? AND {sql}", (c.seller_id, arg))
        if found is None:
            c.errs.append(
                _v(
                    "delivery.shippingRates",
                    "Shipping rates not found",
                    "Nie znaleziono cennika dostawy.",
                    code="ShippingRatesNotFoundException",
                )
            )
        else:
            delivery["shippingRates"] = {"id": found["id"]}
        return
    default = seller_settings.default_shipping_rates_id(c.seller_id)
    if default is None:
        c.blocker(
            _v(
                "delivery.shippingRates",
                "Default shipping rates not found. Define shipping rates first",
                "Nie masz domyślnego cennika dostawy. Najpierw utwórz cennik.",
                code="DefaultShippingRatesNotFoundException",
            )
        )
    else:
        delivery["shippingRates"] = {"id": default}


def _default_handling_time(c: _OfferCheck) -> None:
    c.doc["delivery"].setdefault("handlingTime", "PT24H")


def _check_location(c: _OfferCheck) -> None:
    location = c.doc.get("location")
    if location is None or (location.get("countryCode") or "PL") != "PL":
        return
    if location.get("province") not in PROVINCES:
        c.errs.append(
            _v("location.province", f"Unknown province '{location.get('province')}'", "Nieprawidłowe województwo.")
        )
    if location.get("postCode") is not None and not POSTCODE_RE.match(str(location["postCode"])):
        c.errs.append(
            _v("location.postCode", "Post code must look like NN-NNN", "Kod pocztowy musi mieć format NN-NNN.")
        )


def _check_images(c: _OfferCheck) -> None:
    gallery = c.doc.get("images") or []
    if not isinstance(gallery, list):
        c.errs.append(_v("images", "images must be a list of URLs", "Zdjęcia muszą być listą adresów."))
        gallery = []
    c.gallery = gallery
    if len(gallery) > GALLERY_LIMIT:
        c.errs.append(
            _v(
                "images",
                f"Too many images: at most {GALLERY_LIMIT}",
                "Za dużo zdjęć.",
                code="GallerySizeException",
                gallerySizeLimit=str(GALLERY_LIMIT),
            )
        )
    for i, url in enumerate(gallery):
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            c.errs.append(_v(f"images[{i}]", f"Invalid image URL '{url}'", "Nieprawidłowy adres zdjęcia."))
        elif not images.is_hosted_url(url) and "/img/original/" in url:
            c.errs.append(
                _v(
                    f"images[{i}]",
                    f"Image {url} does not exist or has expired",
                    "Zdjęcie nie istnieje lub wygasło.",
                    code="ImageNotFoundException",
                )
            )


def _check_description(c: _OfferCheck) -> None:
    _validate_description(c.doc.get("description"), c.gallery, c.errs)


# (key, the seller's conditions kind, the code when none is defined or None when optional, its Polish message)
AFTER_SALES = (
    ("impliedWarranty", "implied-warranties", "ImpliedWarrantyNotDefinedException", "Nie zdefiniowano warunków reklamacji."),
    ("returnPolicy", "return-policies", "ReturnPolicyNotDefinedException", "Nie zdefiniowano warunków zwrotów."),
    ("warranty", "warranties", None, ""),
)  # fmt: skip


def _check_after_sales(c: _OfferCheck) -> None:
    """Conditions named by id or name must exist; a missing implied warranty or return policy is the
    seller's default (a draft may have none yet)."""
    after = dict(c.doc.get("afterSalesServices") or {})
    for key, kind, code, pl in AFTER_SALES:
        ref = after.get(key) or {}
        if ref.get("id") or ref.get("name"):
            found = seller_settings.after_sales_condition(c.seller_id, kind, id=ref.get("id"), name=ref.get("name"))
            if found is None:
                c.errs.append(
                    _v(
                        f"afterSalesServices.{key}",
                        f"{key} not found",
                        "Nie znaleziono warunków.",
                        code=f"{key[0].upper()}{key[1:]}NotFoundException",
                    )
                )
            else:
                after[key] = {"id": found["id"]}
        elif code:
            found = seller_settings.after_sales_condition(c.seller_id, kind)
            if found is None:
                c.blocker(_v(f"afterSalesServices.{key}", f"{key} is not defined for this account", pl, code=code))
            else:
                after[key] = {"id": found["id"]}
    c.doc["afterSalesServices"] = after


def _check_gpsr(c: _OfferCheck) -> None:
    """GPSR: a product sold outside the exempt roots needs a responsible producer and safety information,
    unless it was on the market before the obligation."""
    if c.cat is None or _root_name(c.cat["path"]) in NON_GPSR_ROOTS:
        return
    if c.first.get("marketedBeforeGPSRObligation") is True:
        return
    if not c.first.get("responsibleProducer"):
        c.blocker(
            _v(
                "productSet[0].responsibleProducer",
                "Responsible producer is required (GPSR)",
                "Podaj producenta odpowiedzialnego (GPSR).",
                code="RESPONSIBLE_PRODUCER_EMPTY",
            )
        )
    if not c.first.get("safetyInformation"):
        c.blocker(
            _v(
                "productSet[0].safetyInformation",
                "Product safety information is required (GPSR)",
                "Podaj informacje o bezpieczeństwie produktu (GPSR).",
                code="PRODUCT_SAFETY_EMPTY",
            )
        )


def _check_external_id(c: _OfferCheck) -> None:
    ext = (c.doc.get("external") or {}).get("id")
    if ext is not None and (not isinstance(ext, str) or len(ext) > 100):
        c.errs.append(
            _v(
                "external.id",
                "external.id must be a string of at most 100 characters",
                "Sygnatura: najwyżej 100 znaków.",
            )
        )


# The field checks validate() walks; their errors come out in this order. Order also matters where a check
# reads what an earlier one found: the parameters need the category and the product, GPSR the category and productSet[0], the
# description the gallery, the shipping rates the delivery the handling-time check copied.
OFFER_CHECKS: tuple[Callable[[_OfferCheck], None], ...] = (
    _check_name,
    _check_category,
    _check_product_set,
    _check_parameters,
    _check_selling_format,
    _check_prices,
    _check_stock,
    _check_duration,
    _check_publication_status,
    _check_starting_at,
    _check_handling_time,
    _check_shipping_rates,
    _default_handling_time,  # after the price list: the stored document keeps its key order
    _check_location,
    _check_images,
    _check_description,
    _check_after_sales,
    _check_gpsr,
    _check_external_id,
)


def validate(
    seller_id: str, body: dict, *, publish: bool, spec_errors: Sequence[ErrorItem] = ()
) -> tuple[dict, list[ErrorItem]]:
    """Check a full offer document like Allegro does. Returns (document with defaults filled, soft errors)
    and raises ApiError 422 with every hard error (and every soft one when `publish`).

    `spec_errors` are the rule breaks the spec check found in the request body: Allegro reports every
    error of an offer in one answer, so they are refused together with these checks' errors (the checks'
    own message wins where both name the same field)."""
    check = _OfferCheck(seller_id=seller_id, publish=publish, doc=dict(body))
    for field_check in OFFER_CHECKS:
        field_check(check)
    if check.errs or spec_errors:
        raise ApiError(422, merge_errors(check.errs, spec_errors))
    return check.doc, check.soft


def _parse_errors(body: Any) -> None:
    """Body-level 400/422 checks that come before validation (JSON mapping)."""
    if not isinstance(body, dict):
        raise error(400, "JsonMappingException", "A JSON object is expected", pl="Oczekiwano obiektu JSON.")
    if "language" in body and body["language"] is None:
        raise error(
            400,
            "JsonMappingException",
            "language: null is not a valid value (omit the field instead)",
            pl="Pole language nie może mieć wartości null.",
            path="language",
        )
    unknown = sorted(k for k in body if k not in REQUEST_KEYS)
    if unknown:
        raise error(
            422,
            "UnknownJSONProperty",
            f"Unrecognized field(s): {', '.join(unknown)}",
            pl=f"Nieznane pole: {', '.join(unknown)}.",
            path=unknown[0],
            metadata={"unknownProperties": ",".join(unknown)},
        )


# Rendering -------------------------------------------------------------------------------------------------
def render(row: Any) -> dict:
    """The SaleProductOfferResponseV1 document: `data` with the authoritative columns overlaid."""
    doc = db.loads(row["data"])
    doc["id"] = row["id"]
    selling = dict(doc.get("sellingMode") or {})
    selling["format"] = row["format"]
    if row["price_amount"] is not None:
        selling["price"] = {"amount": row["price_amount"], "currency": row["price_currency"]}
    doc["sellingMode"] = selling
    doc["stock"] = {"available": row["stock_available"], "unit": (doc.get("stock") or {}).get("unit") or "UNIT"}
    publication = {
        "duration": row["duration"],
        "status": row["status"],
        "republish": bool(row["republish"]),
        "endingAt": row["ending_at"],
        "endedBy": row["ended_by"],
        "marketplaces": {"base": {"id": "allegro-pl"}, "additional": []},
    }
    if row["starting_at"]:
        publication["startingAt"] = row["starting_at"]
    doc["publication"] = publication
    # Allegro answers every key of the offer, null where the offer has nothing (the spec marks these nullable)
    for key in NULL_WHEN_UNSET:
        doc.setdefault(key, None)
    delivery = doc.get("delivery")
    if isinstance(delivery, dict):
        for key in ("shippingRates", "additionalInfo", "shipmentDate"):
            delivery.setdefault(key, None)
    for item in doc.get("productSet") or []:
        if isinstance(item, dict):
            for key in (
                "responsiblePerson",
                "responsibleProducer",
                "safetyInformation",
                "marketedBeforeGPSRObligation",
            ):
                item.setdefault(key, None)
    doc.setdefault("attachments", [])
    validation_doc = db.loads(row["validation"])
    validation_doc.setdefault("validatedAt", row["updated_at"])
    doc["validation"] = validation_doc
    doc.setdefault("language", "pl-PL")
    doc["createdAt"] = row["created_at"]
    doc["updatedAt"] = row["updated_at"]
    return doc


def _stored(doc: dict) -> dict:
    """What goes to the `data` column: the document without the column-backed and response-only fields."""
    out = {k: v for k, v in doc.items() if k not in RESPONSE_ONLY}
    publication = dict(out.get("publication") or {})
    for key in ("status", "endingAt", "endedBy", "marketplaces"):
        publication.pop(key, None)
    out["publication"] = publication
    return out


def _columns(doc: dict) -> dict:
    selling = doc.get("sellingMode") or {}
    product = ((doc.get("productSet") or [{}])[0] or {}).get("product") or {}
    publication = doc.get("publication") or {}
    return {
        "external_id": (doc.get("external") or {}).get("id"),
        "name": doc.get("name") or "",
        "category_id": str((doc.get("category") or {}).get("id") or ""),
        "format": selling.get("format") or "BUY_NOW",
        "price_amount": (selling.get("price") or {}).get("amount"),
        "stock_available": int((doc.get("stock") or {}).get("available") or 0),
        "duration": publication.get("duration"),
        "republish": 1 if publication.get("republish") else 0,
        "shipping_rates_id": ((doc.get("delivery") or {}).get("shippingRates") or {}).get("id"),
        "return_policy_id": ((doc.get("afterSalesServices") or {}).get("returnPolicy") or {}).get("id"),
        "product_id": product.get("id"),
    }


def _validation_json(soft: list[ErrorItem]) -> str:
    return db.dumps({"errors": [e.render("en-US") for e in soft], "warnings": [], "validatedAt": clock.iso()})


# Lifecycle (call inside db.tx()) ----------------------------------------------------------------------------
def _reload(conn, offer_id: str) -> dict:
    return dict(conn.execute("SELECT * FROM offers WHERE id = ?", (offer_id,)).fetchone())


def activate_offer(conn, row: Any, *, at: str | None = None) -> dict:
    """INACTIVE/ENDED/ACTIVATING → ACTIVE now (or ACTIVATING until `at`); emits OFFER_ACTIVATED."""
    now = clock.iso()
    if at is not None and at > now:
        conn.execute(
            "UPDATE offers SET status = 'ACTIVATING', starting_at = ?, ended_by = NULL, ended_at = NULL, updated_at = ? "
            "WHERE id = ?",
            (at, now, row["id"]),
        )
        return _reload(conn, row["id"])
    seconds = duration_seconds(row["duration"])
    ending = _iso_plus(now, seconds) if seconds and seconds > 0 else None
    conn.execute(
        "UPDATE offers SET status = 'ACTIVE', starting_at = COALESCE(starting_at, ?), started_at = ?, ending_at = ?, "
        "ended_by = NULL, ended_at = NULL, updated_at = ? WHERE id = ?",
        (now, now, ending, now, row["id"]),
    )
    updated = _reload(conn, row["id"])
    offer_events.emit(updated["seller_id"], "OFFER_ACTIVATED", updated)
    return updated


def end_offer(conn, row: Any, ended_by: str, *, at: str | None = None) -> dict:
    """ACTIVE/ACTIVATING → ENDED with `endedBy`; emits OFFER_ENDED. Other states are left alone."""
    if row["status"] not in ACTIVE_STATES:
        return dict(row)
    now = clock.iso()
    conn.execute(
        "UPDATE offers SET status = 'ENDED', ended_by = ?, ended_at = ?, updated_at = ? WHERE id = ?",
        (ended_by, at or now, now, row["id"]),
    )
    updated = _reload(conn, row["id"])
    offer_events.emit(updated["seller_id"], "OFFER_ENDED", updated)
    return updated


SWEEP_INTERVAL_SECONDS = 0.05
_last_sweep: tuple[float, float] | None = None  # (monotonic start, clock offset) of the last full sweep


def sweep(*, force: bool = False) -> None:
    """Apply everything the emulator clock made due: activations, expirations, archiving, command tasks.

    Runs at most every SWEEP_INTERVAL_SECONDS of real time unless the emulator clock moved (or `force`):
    nothing becomes due faster than that by itself, and writes that make something due at once (a command
    with `command_task_seconds` 0, an activation without a future start) apply it themselves. Each check is
    one indexed lookup, so a sweep with nothing due costs four index probes.
    """
    global _last_sweep
    started = time.monotonic()
    offset = clock.offset()
    last = _last_sweep
    if not force and last is not None and last[1] == offset and started - last[0] < SWEEP_INTERVAL_SECONDS:
        return
    now = clock.iso()
    cutoff = clock.iso(clock.ts() - ARCHIVE_AFTER_SECONDS)
    act = "status = 'ACTIVATING' AND starting_at <= ?"
    exp = "status = 'ACTIVE' AND ending_at IS NOT NULL AND ending_at <= ?"
    arch = "status = 'ENDED' AND archived_at IS NULL AND ended_at <= ? AND last_edit_at <= ?"
    due = (
        db.one(f"SELECT 1 FROM offers WHERE {act} LIMIT 1", (now,))
        or db.one(f"SELECT 1 FROM offers WHERE {exp} LIMIT 1", (now,))
        or db.one(f"SELECT 1 FROM offers INDEXED BY offers_to_archive WHERE {arch} LIMIT 1", (cutoff, cutoff))
    )
    if due:
        with db.tx() as conn:
            for row in conn.execute(f"SELECT * FROM offers WHERE {act}", (now,)).fetchall():
                activate_offer(conn, row)
            for row in conn.execute(f"SELECT * FROM offers WHERE {exp} ORDER BY ending_at", (now,)).fetchall():
                if any(hook(conn, row) for hook in EXPIRY_HOOKS):
                    continue
                if row["republish"]:
                    _republish(conn, row)
                else:
                    end_offer(conn, row, "EXPIRATION", at=row["ending_at"])
            for row in conn.execute(
                f"SELECT * FROM offers INDEXED BY offers_to_archive WHERE {arch}", (cutoff, cutoff)
            ).fetchall():
                conn.execute("UPDATE offers SET archived_at = ? WHERE id = ?", (now, row["id"]))
                offer_events.emit(row["seller_id"], "OFFER_ARCHIVED", row)
    for hook in SWEEP_HOOKS:
        hook()
    _last_sweep = (started, offset)


def _republish(conn, row: Any) -> None:
    """republish=true: a new cycle of the same length (BUY_NOW gets its initial stock back)."""
    seconds = duration_seconds(row["duration"]) or 0
    start = row["ending_at"]
    ending = _iso_plus(start, seconds)
    while ending <= clock.iso():
        start, ending = ending, _iso_plus(ending, seconds)
    stock = row["initial_stock"] if row["format"] == "BUY_NOW" else row["stock_available"]
    conn.execute(
        "UPDATE offers SET started_at = ?, ending_at = ?, stock_available = ? WHERE id = ?",
        (start, ending, stock, row["id"]),
    )


def record_sale(offer_id: str, quantity: int, *, ended_by: str = "EMPTY_STOCK") -> dict:
    """Sell `quantity` units: stock_available -= quantity, stock_sold += quantity; at 0 an ACTIVE offer ends
    with endedBy `ended_by` (EMPTY_STOCK; a won auction ends by EXPIRATION). Emits OFFER_STOCK_CHANGED (and OFFER_ENDED) for active offers. Returns the
    updated offers row as a dict. Joins the caller's `db.tx()` if there is one; KeyError for an unknown id."""
    with db.tx() as conn:
        row = conn.execute("SELECT * FROM offers WHERE id = ?", (offer_id,)).fetchone()
        if row is None:
            raise KeyError(offer_id)
        now = clock.iso()
        available = max(0, int(row["stock_available"]) - int(quantity))
        conn.execute(
            "UPDATE offers SET stock_available = ?, stock_sold = stock_sold + ?, updated_at = ? WHERE id = ?",
            (available, int(quantity), now, offer_id),
        )
        updated = _reload(conn, offer_id)
        if row["status"] in ACTIVE_STATES:
            offer_events.emit(updated["seller_id"], "OFFER_STOCK_CHANGED", updated)
            if available == 0:
                updated = end_offer(conn, updated, ended_by)
    return updated


# Handlers --------------------------------------------------------------------------------------------------
def _operation_location(req: Request, offer_id: str, op_id: str) -> str:
    return f"{req.base_url}/sale/product-offers/{offer_id}/operations/{op_id}"


def _start_operation(conn, offer_id: str, seller_id: str, kind: str) -> tuple[str, str]:
    op_id = ids.new_uuid()
    now = clock.iso()
    ready = _iso_plus(now, float(state.get("async_offer_seconds") or 0))
    conn.execute(
        "INSERT INTO offer_operations(id, offer_id, seller_id, kind, status, started_at, ready_at) "
        "VALUES (?, ?, ?, ?, 'PENDING', ?, ?)",
        (op_id, offer_id, seller_id, kind, now, ready),
    )
    return op_id, ready


def _accepted(req: Request, row: Any, op_id: str) -> Response:
    seconds = max(1, int(round(float(state.get("async_offer_seconds") or 0))))
    headers = {"Location": _operation_location(req, row["id"], op_id), "Retry-After": str(seconds)}
    return Response.json(render(row), 202, headers=headers)


@route("POST", "/sale/product-offers", auth="user", collects_spec_errors=True)
def offer_create(req: Request) -> Response:
    ratelimit.check_seller(req.seller_id, "seller_offer_writes_per_minute")
    body = req.json()
    _parse_errors(body)
    sweep()
    wanted = (body.get("publication") or {}).get("status") or "INACTIVE"
    doc, soft = validate(req.seller_id, body, publish=wanted == "ACTIVE", spec_errors=req.spec_errors)
    is_async = bool(state.get("async_offers"))
    data = db.dumps(_stored(doc))
    validation_json = _validation_json(soft)
    with db.tx() as conn:  # one write transaction: id, row, operation, activation and its event
        row = insert_offer(conn, req.seller_id, doc, data=data, validation_json=validation_json)
        offer_id = row["id"]
        op_id = ready = None
        if is_async:
            op_id, ready = _start_operation(conn, offer_id, req.seller_id, "CREATE")
        if wanted == "ACTIVE":
            now = row["created_at"]
            start = (doc.get("publication") or {}).get("startingAt")
            start = clock.iso(clock.parse_iso(start)) if start else now
            start = max(start, ready or now)
            conn.execute("UPDATE offers SET status = 'ACTIVATING', starting_at = ? WHERE id = ?", (start, offer_id))
            row = activate_offer(conn, _reload(conn, offer_id), at=start)
    if is_async:
        return _accepted(req, row, op_id)
    return Response.json(render(row), 201)


def commit_proposal(conn, seller_id: str, doc: dict) -> bool:
    """Store the new product a validated offer proposes (inside `db.tx()`) and link the offer to it."""
    product = ((doc.get("productSet") or [{}])[0] or {}).get("product") or {}
    if not product.pop("_propose", False):
        return False
    product.pop("publication", None)
    category_id = str((doc.get("category") or {}).get("id") or "")
    pid = products.commit_offer_product(conn, seller_id, product, category_id)
    doc["productSet"][0]["product"] = {"id": pid, "publication": {"status": "PROPOSED"}}
    return True


def insert_offer(
    conn, seller_id: str, doc: dict, *, data: str | None = None, validation_json: str | None = None
) -> dict:
    """INSERT one INACTIVE offer from a validated document (inside `db.tx()`); the new row as a dict."""
    if commit_proposal(conn, seller_id, doc):
        data = None
    offer_id = ids.offer_id()
    now = clock.iso()
    cols = _columns(doc)
    values = (
        offer_id, seller_id, cols["external_id"], cols["name"], cols["category_id"], cols["format"],
        cols["price_amount"], cols["stock_available"], cols["stock_available"], cols["duration"],
        cols["republish"], cols["shipping_rates_id"], cols["return_policy_id"], cols["product_id"],
        data if data is not None else db.dumps(_stored(doc)),
        validation_json if validation_json is not None else _validation_json([]), now, now, now,
    )  # fmt: skip
    conn.execute(
        "INSERT INTO offers(id, seller_id, external_id, name, category_id, format, status, price_amount, "
        "stock_available, initial_stock, duration, republish, shipping_rates_id, return_policy_id, product_id, "
        "data, validation, created_at, updated_at, last_edit_at) "
        "VALUES (?, ?, ?, ?, ?, ?, 'INACTIVE', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        values,
    )
    return _reload(conn, offer_id)


@route("GET", "/sale/product-offers/{offerId}", auth="user")
def offer_get(req: Request) -> Response:
    ratelimit.check_seller(req.seller_id, "seller_offer_reads_per_minute")
    sweep()
    row = get_row(req.params["offerId"], req.seller_id)
    if row is None:
        raise not_found()
    return Response.json(render(row))


@route("GET", "/sale/product-offers/{offerId}/parts", auth="user")
def offer_parts(req: Request) -> Response:
    ratelimit.check_seller(req.seller_id, "seller_offer_reads_per_minute")
    sweep()
    row = get_row(req.params["offerId"], req.seller_id)
    if row is None:
        raise not_found()
    include = set(req.args("include")) or {"stock", "price"}
    bad = include - {"stock", "price"}
    if bad:
        raise error(422, "VALIDATION_ERROR", f"Unknown include value(s): {', '.join(sorted(bad))}; use stock or price",
                    pl="Nieprawidłowa wartość parametru include.", path="include")  # fmt: skip
    out: dict[str, Any] = {"id": row["id"]}
    if "stock" in include:
        out["stock"] = {"available": row["stock_available"]}
    if "price" in include and row["price_amount"] is not None:
        out["sellingMode"] = {"price": {"amount": row["price_amount"], "currency": row["price_currency"]}}
    return Response.json(out)


@route("GET", "/sale/product-offers/{offerId}/operations/{operationId}", auth="user")
def offer_operation(req: Request) -> Response:
    op = db.one(
        "SELECT * FROM offer_operations WHERE id = ? AND offer_id = ? AND seller_id = ?",
        (req.params["operationId"], req.params["offerId"], req.seller_id),
    )
    if op is None:
        raise error(404, "OperationNotFoundException", "Operation not found", pl="Nie znaleziono operacji.")
    sweep()
    now = clock.iso()
    if now < op["ready_at"]:
        halfway = _iso_plus(
            op["started_at"], (clock.parse_iso(op["ready_at"]) - clock.parse_iso(op["started_at"])).total_seconds() / 2
        )
        status = "PENDING" if now < halfway else "IN_PROGRESS"
        body = {
            "offer": {"id": op["offer_id"]},
            "operation": {"id": op["id"], "status": status, "startedAt": op["started_at"]},
        }
        seconds = max(1, int(round((clock.parse_iso(op["ready_at"]) - clock.now()).total_seconds())))
        return Response.json(body, 202, headers={"Retry-After": str(seconds)})
    if op["completed_at"] is None:
        with db.tx() as conn:
            conn.execute(
                "UPDATE offer_operations SET status = 'COMPLETED', completed_at = ? WHERE id = ?", (now, op["id"])
            )
    return Response.empty(303, headers={"Location": f"{req.base_url}/sale/product-offers/{op['offer_id']}"})


def _deep_merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            out[key] = _deep_merge(base.get(key), value) if key in base else value
        return out
    return patch


def _content_key(doc: dict) -> str:
    """The parts of an offer whose change is an OFFER_CHANGED (not price, stock, shipping rates, handling time)."""
    out = {
        k: v
        for k, v in doc.items()
        if k not in ("sellingMode", "stock", "delivery", "publication") and k not in RESPONSE_ONLY
    }
    return db.dumps(out)


@route("PATCH", "/sale/product-offers/{offerId}", auth="user", collects_spec_errors=True)
def offer_patch(req: Request) -> Response:
    ratelimit.check_seller(req.seller_id, "seller_offer_writes_per_minute")
    body = req.json()
    _parse_errors(body)
    sweep()
    row = get_row(req.params["offerId"], req.seller_id)
    if row is None:
        raise not_found()
    now = clock.iso()
    if row["edit_in_progress_until"] and row["edit_in_progress_until"] > now:
        raise error(409, "OfferEditInProgressException", "A previous change of this offer is still being processed",
                    pl="Poprzednia zmiana oferty jest jeszcze przetwarzana. Spróbuj ponownie za chwilę.")  # fmt: skip
    before = render(row)
    base = _stored(before)
    base.pop("publication", None)
    base["publication"] = {
        k: v for k, v in (before.get("publication") or {}).items() if k in ("duration", "republish", "startingAt")
    }
    merged = _deep_merge(base, body)
    wanted = (body.get("publication") or {}).get("status")
    publish = row["status"] in ACTIVE_STATES or wanted == "ACTIVE"
    merged.setdefault("publication", {}).pop("status", None)
    stock_in_patch = (body.get("stock") or {}).get("available")
    publish = publish and not (stock_in_patch == 0 and wanted != "ACTIVE")
    doc, soft = validate(req.seller_id, merged, publish=publish, spec_errors=req.spec_errors)
    is_async = bool(state.get("async_offers"))
    with db.tx() as conn:
        commit_proposal(conn, req.seller_id, doc)
        cols = _columns(doc)
        current = conn.execute("SELECT * FROM offers WHERE id = ?", (row["id"],)).fetchone()
        conn.execute(
            "UPDATE offers SET external_id = ?, name = ?, category_id = ?, format = ?, price_amount = ?, stock_available = ?, "
            "duration = ?, republish = ?, shipping_rates_id = ?, return_policy_id = ?, product_id = ?, data = ?, "
            "validation = ?, updated_at = ?, last_edit_at = ? WHERE id = ?",
            (
                cols["external_id"], cols["name"], cols["category_id"], cols["format"], cols["price_amount"],
                cols["stock_available"], cols["duration"], cols["republish"], cols["shipping_rates_id"],
                cols["return_policy_id"], cols["product_id"], db.dumps(_stored(doc)), _validation_json(soft), now, now,
                row["id"],
            ),
        )  # fmt: skip
        updated = _reload(conn, row["id"])
        if current["status"] in ACTIVE_STATES:
            if cols["duration"] != current["duration"] and current["status"] == "ACTIVE":
                seconds = duration_seconds(cols["duration"])
                ending = _iso_plus(current["started_at"], seconds) if seconds and seconds > 0 else None
                conn.execute("UPDATE offers SET ending_at = ? WHERE id = ?", (ending, row["id"]))
                updated = _reload(conn, row["id"])
            if _content_key(doc) != _content_key(before):
                offer_events.emit(req.seller_id, "OFFER_CHANGED", updated)
            if cols["price_amount"] != current["price_amount"]:
                offer_events.emit(req.seller_id, "OFFER_PRICE_CHANGED", updated)
            if cols["stock_available"] != current["stock_available"]:
                offer_events.emit(req.seller_id, "OFFER_STOCK_CHANGED", updated)
                if cols["stock_available"] == 0:
                    updated = end_offer(conn, updated, "EMPTY_STOCK")
        elif wanted == "ACTIVE" and current["status"] in ("INACTIVE", "ENDED"):
            updated = activate_offer(conn, updated)
        op_id = None
        if is_async:
            op_id, ready = _start_operation(conn, row["id"], req.seller_id, "EDIT")
            conn.execute("UPDATE offers SET edit_in_progress_until = ? WHERE id = ?", (ready, row["id"]))
            updated = _reload(conn, row["id"])
    if is_async:
        return _accepted(req, updated, op_id)
    return Response.json(render(updated))


@route("DELETE", "/sale/offers/{offerId}", auth="user")
def offer_delete(req: Request) -> Response:
    sweep()
    row = get_row(req.params["offerId"], req.seller_id)
    if row is None:
        raise not_found()
    if row["status"] != "INACTIVE":
        raise error(422, "OfferNotDeletableException", "Only INACTIVE offers (drafts) can be deleted; end the offer instead",
                    pl="Można usunąć tylko szkic oferty (status INACTIVE).")  # fmt: skip
    with db.tx() as conn:
        conn.execute("DELETE FROM offers WHERE id = ?", (row["id"],))
    return Response.empty(204)


# Listing ---------------------------------------------------------------------------------------------------
SORTS = {
    "sellingMode.price.amount": "CAST(price_amount AS REAL)",
    "stock.available": "stock_available",
    "stock.sold": "stock_sold",
}


def _py_lower(text: Any) -> Any:
    return text.lower() if isinstance(text, str) else text


def _conn_with_lower():
    """The thread's connection with `py_lower` (Unicode-aware lower(); SQLite's is ASCII-only) registered."""
    conn = db.connect()
    conn.create_function("py_lower", 1, _py_lower, deterministic=True)
    return conn


def _listing_item(row: Any) -> dict:
    data = db.loads(row["data"])
    price = {"amount": row["price_amount"], "currency": row["price_currency"]} if row["price_amount"] else None
    selling: dict[str, Any] = {"format": row["format"]}
    if price:
        selling["price"] = price
    for key in ("startingPrice", "minimalPrice"):
        if (data.get("sellingMode") or {}).get(key):
            selling[key] = data["sellingMode"][key]
    for key in ("priceAutomation", "startingPrice", "minimalPrice"):
        selling.setdefault(key, None)
    current = price or selling.get("startingPrice")
    publication = {"status": row["status"]}
    for key, col in (
        ("startingAt", "starting_at"),
        ("startedAt", "started_at"),
        ("endingAt", "ending_at"),
        ("endedAt", "ended_at"),
    ):
        publication[key] = row[col] or None
    publication["marketplaces"] = {"base": {"id": "allegro-pl"}, "additional": []}
    after = {k: v for k, v in (data.get("afterSalesServices") or {}).items() if isinstance(v, dict) and v.get("id")}
    item: dict[str, Any] = {
        "id": row["id"],
        "name": row["name"],
        "category": {"id": row["category_id"]},
        "primaryImage": {"url": data["images"][0]} if data.get("images") else None,
        "sellingMode": selling,
        "saleInfo": next(
            (info for info in (hook(row) for hook in SALE_INFO_HOOKS) if info is not None),
            {"currentPrice": current, "biddersCount": 0 if row["format"] == "AUCTION" else None},
        ),
        "stock": {"available": row["stock_available"], "sold": row["stock_sold"]},
        "stats": {"watchersCount": 0, "visitsCount": 0},
        "publication": publication,
        "afterSalesServices": after or None,
        "additionalServices": data.get("additionalServices"),
        "external": {"id": row["external_id"]} if row["external_id"] is not None else None,
        "delivery": {"shippingRates": {"id": row["shipping_rates_id"]} if row["shipping_rates_id"] else None},
        "b2b": {"buyableOnlyByBusiness": bool((data.get("b2b") or {}).get("buyableOnlyByBusiness"))},
        "fundraisingCampaign": data.get("fundraisingCampaign"),
        "isFulfillment": False,
        "additionalMarketplaces": {},
    }
    # captured /sale/offers answers carry null for what an offer does not have (docs/emulator.md, "Shapes")
    return item


@route("GET", "/sale/offers", auth="user")
def offers_list(req: Request) -> Response:
    sweep()
    limit = req.int_arg("limit", 20, minimum=1, maximum=1000)
    offset = req.int_arg("offset", 0, minimum=0, maximum=9_999_999)
    where, params = ["seller_id = ?", "archived_at IS NULL"], [req.seller_id]

    def any_of(column: str, values: list[str]) -> None:
        if values:
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)

    any_of("id", req.args("offer.id"))
    any_of("external_id", req.args("external.id"))
    statuses = req.args("publication.status")
    bad = [s for s in statuses if s not in ("INACTIVE", "ACTIVATING", "ACTIVE", "ENDED")]
    if bad:
        raise error(
            422,
            "VALIDATION_ERROR",
            f"Invalid publication.status: {bad[0]}",
            pl="Nieprawidłowy status.",
            path="publication.status",
        )
    any_of("status", statuses)
    any_of("format", req.args("sellingMode.format"))
    any_of("category_id", req.args("category.id"))
    any_of("shipping_rates_id", req.args("delivery.shippingRates.id"))
    any_of("return_policy_id", req.args("afterSalesServices.returnPolicy.id"))
    if req.arg("product.id.empty") in ("true", "false"):
        where.append("product_id IS NULL" if req.arg("product.id.empty") == "true" else "product_id IS NOT NULL")
    if req.arg("delivery.shippingRates.id.empty") in ("true", "false"):
        where.append(
            "shipping_rates_id IS NULL"
            if req.arg("delivery.shippingRates.id.empty") == "true"
            else "shipping_rates_id IS NOT NULL"
        )
    name = req.arg("name")
    if name:
        where.append("instr(py_lower(name), ?) > 0")
        params.append(name.lower())
    for arg, op in (("sellingMode.price.amount.gte", ">="), ("sellingMode.price.amount.lte", "<=")):
        raw = req.arg(arg)
        if raw is not None:
            try:
                value = float(raw)
            except ValueError:
                raise error(422, "VALIDATION_ERROR", f"Invalid value of '{arg}'", pl="Nieprawidłowa cena.", path=arg)
            where.append(f"CAST(price_amount AS REAL) {op} ?")
            params.append(value)
    sort = req.arg("sort")
    order = "created_at DESC, id DESC"
    if sort:
        key = sort.lstrip("+-")
        if key not in SORTS:
            raise error(422, "VALIDATION_ERROR", f"Invalid sort '{sort}'", pl="Nieprawidłowe sortowanie.", path="sort")
        order = f"{SORTS[key]} {'DESC' if sort.startswith('-') else 'ASC'}, id DESC"
    conn = _conn_with_lower()
    clause = " AND ".join(where)
    total = conn.execute(f"SELECT COUNT(*) FROM offers WHERE {clause}", params).fetchone()[0]
    rows = conn.execute(
        f"SELECT * FROM offers WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?", [*params, limit, offset]
    ).fetchall()
    items = [_listing_item(r) for r in rows]
    return Response.json({"offers": items, "count": len(items), "totalCount": total})


# Offer events ----------------------------------------------------------------------------------------------
@route("GET", "/sale/offer-events", auth="user", error_media=JSON)
def offer_events_list(req: Request) -> Response:
    sweep()
    limit = req.int_arg("limit", 100, minimum=1, maximum=1000)
    types = req.args("type")
    bad = [t for t in types if t not in offer_events.TYPES]
    if bad:
        raise error(
            400, "VALIDATION_ERROR", f"Unknown event type '{bad[0]}'", pl="Nieznany typ zdarzenia.", path="type"
        )
    cutoff = clock.iso(clock.ts() - offer_events.RETENTION_SECONDS)
    after_seq = 0
    cursor = req.arg("from")
    if cursor:
        found = db.one("SELECT seq FROM offer_events WHERE id = ? AND seller_id = ?", (cursor, req.seller_id))
        after_seq = found["seq"] if found else 0
    sql = "SELECT data FROM offer_events WHERE seller_id = ? AND seq > ? AND occurred_at >= ?"
    params: list[Any] = [req.seller_id, after_seq, cutoff]
    if types:
        sql += f" AND type IN ({','.join('?' * len(types))})"
        params.extend(types)
    rows = db.query(sql + " ORDER BY seq LIMIT ?", [*params, limit])
    return Response.json({"offerEvents": [db.loads(r["data"]) for r in rows]})


# Control ---------------------------------------------------------------------------------------------------
def _control(method: str, path: str):
    # Same as control.control (kept local so this module does not import control.py).
    return route(method, path, auth=None, media=(), control=True, raw_body=True)


def _control_body(req: Request) -> dict:
    import json

    try:
        data = json.loads(req.body or b"{}")
    except ValueError:
        raise error(400, "BAD_JSON", "Malformed JSON")
    return data if isinstance(data, dict) else {}


def state_row(row: Any) -> dict:
    return {
        "id": row["id"],
        "seller_id": row["seller_id"],
        "external_id": row["external_id"],
        "name": row["name"],
        "status": row["status"],
        "ended_by": row["ended_by"],
        "format": row["format"],
        "price": row["price_amount"],
        "stock_available": row["stock_available"],
        "stock_sold": row["stock_sold"],
        "ending_at": row["ending_at"],
        "ended_at": row["ended_at"],
        "archived": row["archived_at"] is not None,
        "product_id": row["product_id"],
    }


@_control("POST", "/_emulator/offers/{offerId}/end")
def control_end(req: Request) -> Response:
    reason = _control_body(req).get("reason") or "ADMIN"
    if reason not in ("EXPIRATION", "ADMIN", "USER", "ERROR", "PRODUCT_DETACHMENT", "EMPTY_STOCK"):
        return Response.json({"error": f"unknown reason {reason}"}, 400, media=JSON)
    sweep()
    with db.tx() as conn:
        row = conn.execute("SELECT * FROM offers WHERE id = ?", (req.params["offerId"],)).fetchone()
        if row is None or row["archived_at"] is not None:
            return Response.json({"error": "offer not found"}, 404, media=JSON)
        updated = end_offer(conn, row, reason)
    return Response.json(state_row(updated), media=JSON)


@_control("GET", "/_emulator/state/offers")
def control_state(req: Request) -> Response:
    sweep()
    sql, params = "SELECT * FROM offers WHERE 1 = 1", []
    for arg, col in (("seller_id", "seller_id"), ("external_id", "external_id"), ("status", "status")):
        if req.arg(arg):
            sql += f" AND {col} = ?"
            params.append(req.arg(arg))
    rows = db.query(sql + " ORDER BY created_at, id", params)
    return Response.json({"offers": [state_row(r) for r in rows]}, media=JSON)


def _unvalidated(seller_id: str, body: dict, defaults: dict) -> dict:
    """A bulk offer stored as given, with the account defaults a create would fill in (no validation)."""
    doc = dict(body)
    delivery = dict(doc.get("delivery") or {})
    if not (delivery.get("shippingRates") or {}).get("id") and defaults["shipping_rates"]:
        delivery["shippingRates"] = {"id": defaults["shipping_rates"]}
    delivery.setdefault("handlingTime", "PT24H")
    doc["delivery"] = delivery
    after = dict(doc.get("afterSalesServices") or {})
    for key in ("impliedWarranty", "returnPolicy"):
        if not (after.get(key) or {}).get("id") and defaults[key]:
            after[key] = {"id": defaults[key]}
    doc["afterSalesServices"] = after
    return doc


@_control("POST", "/_emulator/offers/bulk")
def control_bulk(req: Request) -> Response:
    """`{seller_login | seller_id, offers: [SaleProductOfferRequestV1...], validate?: false, events?: true}` →
    201 `{created, ids}`: every offer in one transaction (benchmark setup). `publication.status: ACTIVE`
    offers are ACTIVE at once (OFFER_ACTIVATED unless `events: false`). With `validate: true` each offer goes
    through the API's validation and the first invalid one answers 422 `{index, errors}` (nothing is stored)."""
    b = _control_body(req)
    seller = None
    if b.get("seller_id"):
        seller = db.one("SELECT id FROM sellers WHERE id = ?", (str(b["seller_id"]),))
    elif b.get("seller_login"):
        seller = db.one("SELECT id FROM sellers WHERE login = ?", (b["seller_login"],))
    if seller is None:
        return Response.json({"error": "unknown seller (seller_login or seller_id)"}, 404, media=JSON)
    seller_id = seller["id"]
    items = b.get("offers")
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        return Response.json({"error": "offers must be a list of offer objects"}, 400, media=JSON)
    check, events = bool(b.get("validate", False)), b.get("events", True) is not False
    defaults = {
        "shipping_rates": seller_settings.default_shipping_rates_id(seller_id),
        "impliedWarranty": (seller_settings.after_sales_condition(seller_id, "implied-warranties") or {}).get("id"),
        "returnPolicy": (seller_settings.after_sales_condition(seller_id, "return-policies") or {}).get("id"),
    }
    prepared = []
    for index, body in enumerate(items):
        wanted = (body.get("publication") or {}).get("status") or "INACTIVE"
        if check:
            try:
                _parse_errors(body)
                doc, soft = validate(seller_id, body, publish=wanted == "ACTIVE")
            except ApiError as exc:
                return Response.json({"index": index, **exc.body("en-US")}, 422, media=JSON)
        else:
            doc, soft = _unvalidated(seller_id, body, defaults), []
        prepared.append((doc, soft, wanted))
    sweep()
    created: list[str] = []
    with db.tx() as conn:
        now = clock.iso()
        for doc, soft, wanted in prepared:
            row = insert_offer(conn, seller_id, doc, validation_json=_validation_json(soft) if soft else None)
            created.append(row["id"])
            if wanted != "ACTIVE":
                continue
            seconds = duration_seconds(row["duration"])
            ending = _iso_plus(now, seconds) if seconds and seconds > 0 else None
            conn.execute(
                "UPDATE offers SET status = 'ACTIVE', starting_at = ?, started_at = ?, ending_at = ? WHERE id = ?",
                (now, now, ending, row["id"]),
            )
            if events:
                offer_events.emit(seller_id, "OFFER_ACTIVATED", row)
    return Response.json({"created": len(created), "ids": created}, 201, media=JSON)
