"""Paid promotion options of offers ("opcje promowania"): the packages on offer, the batch command that sets
them on offers (idempotent by the client's UUID: same body → same report, other body → 409), an offer's
packages, and the fee preview that prices them before anything is bought.

Packages: one base package per offer (``emphasized1d``, ``emphasized10d``, ``promoPackage``) and any number of
different extra packages (``departmentPage``). A command applies at once (``modificationTime`` NOW or
END_OF_CYCLE alike: the emulator has no billing cycles to wait for); an offer that is not the seller's, or
archived, fails its task. The request log (``GET /_emulator/requests``) shows every call.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

import jsonschema_rs

from . import clock, db, openapi
from .errors import ApiError, error, validation
from .routing import Request, Response, route

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MARKETPLACE = "allegro-pl"

# id → (name, cycle, fee in PLN per cycle)
BASE_PACKAGES = {
    "emphasized1d": ("Wyróżnienie elastyczne", "PT24H", Decimal("1.49")),
    "emphasized10d": ("Wyróżnienie", "PT240H", Decimal("12.90")),
    "promoPackage": ("Pakiet Promo", "PT240H", Decimal("19.90")),
}
EXTRA_PACKAGES = {
    "departmentPage": ("Strona działu", "PT240H", Decimal("39.90")),
}
# The fee preview prices the options its `promotion` object names.
PRICED = ("emphasized1d", "emphasized10d", "departmentPage")
COMMISSION = Decimal("0.10")

db.add_schema(
    """
CREATE TABLE IF NOT EXISTS promo_commands (
    id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, body_hash TEXT NOT NULL,
    total INTEGER NOT NULL, success INTEGER NOT NULL, failed INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS promo_options (
    offer_id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, base_package TEXT, extra_packages TEXT NOT NULL,
    valid_from TEXT NOT NULL, updated_at TEXT NOT NULL);
""",
    tables=["promo_commands", "promo_options"],
)


def _package(package_id: str) -> dict:
    name, cycle, _fee = BASE_PACKAGES.get(package_id) or EXTRA_PACKAGES[package_id]
    return {"id": package_id, "name": name, "cycleDuration": cycle}


@route("GET", "/sale/offer-promotion-packages", auth="any")
def promotion_packages(req: Request) -> Response:
    return Response.json(
        {
            "marketplaceId": MARKETPLACE,
            "basePackages": [_package(p) for p in BASE_PACKAGES],
            "extraPackages": [_package(p) for p in EXTRA_PACKAGES],
            "additionalMarketplaces": [],
        }
    )


def _offer_ids(body: dict) -> list[str]:
    ids: list[str] = []
    criteria = body.get("offerCriteria")
    if not isinstance(criteria, list) or not criteria:
        raise ApiError(422, validation("offerCriteria", "offerCriteria must not be empty", "Wskaż oferty."))
    for i, criterion in enumerate(criteria):
        if not isinstance(criterion, dict) or criterion.get("type") != "CONTAINS_OFFERS":
            raise ApiError(
                422,
                validation(
                    f"offerCriteria[{i}].type", "Only CONTAINS_OFFERS is supported", "Nieobsługiwane kryterium."
                ),
            )
        for j, offer in enumerate(criterion.get("offers") or []):
            offer_id = offer.get("id") if isinstance(offer, dict) else None
            if not isinstance(offer_id, str) or not offer_id:
                raise ApiError(
                    422, validation(f"offerCriteria[{i}].offers[{j}].id", "Offer id is required", "Brak id oferty.")
                )
            ids.append(offer_id)
    if not 1 <= len(ids) <= 1000:
        raise ApiError(
            422,
            validation(
                "offerCriteria",
                "Size of batch should be between 1 and 1000 offers",
                "Komenda obejmuje od 1 do 1000 ofert.",
            ),
        )
    return ids


def _modification(body: dict) -> tuple[str | None, bool, list[str] | None]:
    """(base package or None, whether the base is set, extra packages or None = keep them)."""
    mod = body.get("modification")
    if not isinstance(mod, dict):
        raise ApiError(422, validation("modification", "modification is required", "Brak zmiany pakietów."))
    if mod.get("modificationTime") not in ("NOW", "END_OF_CYCLE"):
        raise ApiError(
            422,
            validation(
                "modification.modificationTime",
                "Unsupported modification time",
                "Czas zmiany musi być NOW albo END_OF_CYCLE.",
            ),
        )
    items = []
    base_set = "basePackage" in mod and mod["basePackage"] is not None
    base = None
    if base_set:
        base = (mod["basePackage"] or {}).get("id")
        if base not in BASE_PACKAGES:
            items.append(
                validation("modification.basePackage.id", f"Unsupported package name {base}", "Nieznany pakiet.")
            )
    extras = None
    if mod.get("extraPackages") is not None:
        extras = []
        for i, package in enumerate(mod["extraPackages"]):
            package_id = (package or {}).get("id")
            if package_id not in EXTRA_PACKAGES:
                items.append(
                    validation(
                        f"modification.extraPackages[{i}].id",
                        f"Unsupported package name {package_id}",
                        "Nieznany pakiet.",
                    )
                )
            elif package_id in extras:
                items.append(
                    validation(f"modification.extraPackages[{i}].id", "Package given twice", "Pakiet powtarza się.")
                )
            else:
                extras.append(package_id)
    if not base_set and extras is None:
        items.append(validation("modification", "Nothing to modify", "Brak zmiany pakietów."))
    if items:
        raise ApiError(422, items)
    return base, base_set, extras


def _report(row: Any) -> dict:
    return {"id": row["id"], "taskCount": {"total": row["total"], "success": row["success"], "failed": row["failed"]}}


@route("PUT", "/sale/offers/promo-options-commands/{commandId}", auth="user")
def promo_command_put(req: Request) -> Response:
    command_id = req.params["commandId"]
    if not UUID_RE.match(command_id):
        raise error(422, "VALIDATION_ERROR", "The command id must be a UUID", pl="Identyfikator komendy musi być UUID.")
    body = req.json()
    if not isinstance(body, dict):
        raise error(400, "JsonMappingException", "A JSON object is expected", pl="Oczekiwano obiektu JSON.")
    # The same body whatever the order of its keys (a JSON object's order means nothing; a client that stored
    # the body in PostgreSQL's jsonb sends it back with its keys reordered).
    body_hash = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    existing = db.one("SELECT * FROM promo_commands WHERE id = ?", (command_id,))
    if existing is not None:
        if existing["seller_id"] == req.seller_id and existing["body_hash"] == body_hash:
            return Response.json(_report(existing), 201)
        raise error(409, "CommandAlreadyExistsException", f"Command {command_id} already in use",
                    pl="Komenda o tym identyfikatorze już istnieje.")  # fmt: skip
    ids = _offer_ids(body)
    base, base_set, extras = _modification(body)
    now = clock.iso()
    success = failed = 0
    with db.tx() as conn:
        if conn.execute("SELECT 1 FROM promo_commands WHERE id = ?", (command_id,)).fetchone():
            raise error(409, "CommandAlreadyExistsException", f"Command {command_id} already in use",
                        pl="Komenda o tym identyfikatorze już istnieje.")  # fmt: skip
        for offer_id in ids:
            offer = conn.execute("SELECT seller_id, archived_at FROM offers WHERE id = ?", (offer_id,)).fetchone()
            if offer is None or offer["seller_id"] != req.seller_id or offer["archived_at"] is not None:
                failed += 1
                continue
            current = conn.execute("SELECT * FROM promo_options WHERE offer_id = ?", (offer_id,)).fetchone()
            new_base = base if base_set else (current["base_package"] if current else None)
            new_extras = extras if extras is not None else (db.loads(current["extra_packages"]) if current else [])
            conn.execute(
                "INSERT INTO promo_options(offer_id, seller_id, base_package, extra_packages, valid_from, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(offer_id) DO UPDATE SET base_package = excluded.base_package, "
                "extra_packages = excluded.extra_packages, updated_at = excluded.updated_at",
                (offer_id, req.seller_id, new_base, db.dumps(new_extras), now, now),
            )
            success += 1
        conn.execute(
            "INSERT INTO promo_commands(id, seller_id, body_hash, total, success, failed, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (command_id, req.seller_id, body_hash, len(ids), success, failed, now),
        )
    return Response.json(_report(db.one("SELECT * FROM promo_commands WHERE id = ?", (command_id,))), 201)


@route("GET", "/sale/offers/promo-options-commands/{commandId}", auth="user")
def promo_command_get(req: Request) -> Response:
    row = db.one("SELECT * FROM promo_commands WHERE id = ?", (req.params["commandId"],))
    if row is None:
        raise error(404, "CommandNotFoundException", "Command not found", pl="Nie znaleziono komendy.")
    if row["seller_id"] != req.seller_id:
        raise error(403, "ACCESS_DENIED", "The command belongs to another seller", pl="Brak dostępu do komendy.")
    return Response.json(_report(row))


def _option(package_id: str, valid_from: str) -> dict:
    _name, cycle, _fee = BASE_PACKAGES.get(package_id) or EXTRA_PACKAGES[package_id]
    hours = int(cycle[2:-1])
    next_cycle = clock.iso(clock.parse_iso(valid_from).timestamp() + hours * 3600)
    return {"id": package_id, "validFrom": valid_from, "nextCycleDate": next_cycle}


@route("GET", "/sale/offers/{offerId}/promo-options", auth="user")
def offer_promo_options(req: Request) -> Response:
    offer_id = req.params["offerId"]
    offer = db.one("SELECT seller_id FROM offers WHERE id = ?", (offer_id,))
    if offer is None or offer["seller_id"] != req.seller_id:
        raise error(403, "ACCESS_DENIED", "Offer does not belong to seller", pl="Oferta nie należy do sprzedającego.")
    row = db.one("SELECT * FROM promo_options WHERE offer_id = ?", (offer_id,))
    base = row["base_package"] if row else None
    extras = db.loads(row["extra_packages"]) if row else []
    answer = {
        "offerId": offer_id,
        "marketplaceId": MARKETPLACE,
        "extraPackages": [_option(p, row["valid_from"]) for p in extras],
        "additionalMarketplaces": [],
    }
    if base:
        answer["basePackage"] = _option(base, row["valid_from"])
    return Response.json(answer)


def _fee(amount: Decimal) -> dict:
    return {"amount": f"{amount.quantize(Decimal('0.01'))}", "currency": "PLN"}


_FEE_PREVIEW = SimpleNamespace(name="promotions.fee_preview (offer.name defined)", method="POST",
                               pattern="/pricing/offer-fee-preview", raw_body=False)  # fmt: skip


def _fee_preview_operation() -> None:
    """The published schema requires ``offer.name`` yet does not define it, so a strict reading refuses every
    request (without the name it is missing, with it it is unknown). Allegro takes the offer's title there: the
    body is checked against the schema with ``name`` defined as that title (a string of 1–75 characters)."""
    if _FEE_PREVIEW.name in openapi._operations:
        return
    components = copy.deepcopy(openapi._converted_components())
    offer = components["PricingOffer"]
    offer.setdefault("properties", {})["name"] = {"type": "string", "minLength": 1, "maxLength": 75}
    root = {
        "components": {"schemas": components},
        "allOf": [{"$ref": "#/components/schemas/PublicOfferPreviewRequest"}],
    }
    validator = jsonschema_rs.Draft7Validator(root, validate_formats=True)
    statuses = openapi.operation(SimpleNamespace(**{**vars(_FEE_PREVIEW), "name": "promotions.fee_preview"})).statuses
    with openapi._lock:
        openapi._operations[_FEE_PREVIEW.name] = openapi.Operation(statuses, validator, root)


def _fee_preview_body(req: Request) -> dict:
    body = req.json()
    _fee_preview_operation()
    rules = openapi.validate_body(_FEE_PREVIEW, body)  # wrong types → 400, unknown properties → 422
    if rules:
        raise ApiError(422, rules)
    if not isinstance(body, dict) or not isinstance(body.get("offer"), dict):
        raise ApiError(422, validation("offer", "offer is required", "Brak danych oferty."))
    return body


@route("POST", "/pricing/offer-fee-preview", auth="user", raw_body=True)
def fee_preview(req: Request) -> Response:
    offer = _fee_preview_body(req)["offer"]
    commissions = []
    price = ((offer.get("sellingMode") or {}).get("price") or {}).get("amount")
    if price is not None:
        try:
            value = Decimal(str(price))
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value < 0:
            raise ApiError(422, validation("offer.sellingMode.price.amount", "Invalid price", "Nieprawidłowa cena."))
        commissions.append({"name": "Prowizja od sprzedaży", "type": "commissionFee", "fee": _fee(value * COMMISSION)})
    quotes = [
        {"name": "Opłata za wystawienie", "type": "listingFee", "fee": _fee(Decimal("0")), "cycleDuration": "PT240H"}
    ]
    promotion = offer.get("promotion") or {}
    for package_id in PRICED:
        if promotion.get(package_id) is True:
            name, cycle, fee = BASE_PACKAGES.get(package_id) or EXTRA_PACKAGES[package_id]
            quotes.append({"name": name, "type": package_id, "fee": _fee(fee), "cycleDuration": cycle})
    return Response.json({"commissions": commissions, "quotes": quotes})
