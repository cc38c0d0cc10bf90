"""Public catalogue data (work with app-only tokens too): categories, parameters, matching categories,
delivery methods, tax settings, carriers."""

from __future__ import annotations

import re
import unicodedata

from . import db
from .errors import error
from .routing import BETA, PUBLIC, Request, Response, route


def _category(row) -> dict:
    return {
        "id": row["id"],
        "name": row["name"],
        "parent": {"id": row["parent_id"]} if row["parent_id"] else None,
        "leaf": bool(row["leaf"]),
        "options": db.loads(row["options"]),
    }


def category_row(category_id: str):
    """The categories row or None (helper for other areas: check `row["leaf"]`). Cached until reset."""
    return db.cached(("category", category_id), lambda: db.one("SELECT * FROM categories WHERE id = ?", (category_id,)))


def _load_parameters(category_id: str) -> list[dict]:
    rows = db.query("SELECT data FROM category_parameters WHERE category_id = ? ORDER BY position", (category_id,))
    return [db.loads(r["data"]) for r in rows]


def category_parameters(category_id: str) -> list[dict]:
    """The parameter definitions of a leaf (helper for offer validation).

    Parsed once per category until the next reset (Aparaty cyfrowe's 39 parameters took ~2.5 ms to parse on
    every offer create): the list and its dicts are shared, so callers must not modify them."""
    return db.cached(("category_parameters", category_id), lambda: _load_parameters(category_id))


def _not_found(category_id: str):
    return error(
        404,
        "NOT_FOUND",
        f"Category {category_id} not found",
        pl=f"Kategoria {category_id} nie istnieje.",
    )


@route("GET", "/sale/categories", auth="any")
def categories(req: Request) -> Response:
    parent = req.arg("parent.id")
    if parent:
        if category_row(parent) is None:
            raise _not_found(parent)
        rows = db.query("SELECT * FROM categories WHERE parent_id = ? ORDER BY position", (parent,))
    else:
        rows = db.query("SELECT * FROM categories WHERE parent_id IS NULL ORDER BY position")
    return Response.json({"categories": [_category(r) for r in rows]})


@route("GET", "/sale/categories/{categoryId}", auth="any")
def category(req: Request) -> Response:
    row = category_row(req.params["categoryId"])
    if row is None:
        raise _not_found(req.params["categoryId"])
    return Response.json(_category(row))


@route("GET", "/sale/categories/{categoryId}/parameters", auth="any")
def parameters(req: Request) -> Response:
    cid = req.params["categoryId"]
    if category_row(cid) is None:
        raise _not_found(cid)
    return Response.json({"parameters": category_parameters(cid)})


PRODUCT_PARAM_KEYS = (
    "id",
    "name",
    "type",
    "required",
    "requiredIf",
    "displayedIf",
    "unit",
    "formerData",
    "restrictions",
    "dictionary",
)


@route("GET", "/sale/categories/{categoryId}/product-parameters", auth="any")
def product_parameters(req: Request) -> Response:
    cid = req.params["categoryId"]
    if category_row(cid) is None:
        raise _not_found(cid)
    out = []
    for p in category_parameters(cid):
        if not p.get("options", {}).get("describesProduct"):
            continue
        item = {k: p[k] for k in PRODUCT_PARAM_KEYS if k in p}
        item["required"] = bool(p.get("requiredForProduct"))
        if "dictionary" in item:
            item["dictionary"] = [{"id": d["id"], "value": d["value"]} for d in item["dictionary"]]
        if item.get("formerData") is None:
            item.pop("formerData", None)
        out.append(item)
    return Response.json({"parameters": out})


def _words(text: str) -> set[str]:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).replace("ł", "l")
    return {w for w in re.split(r"[^0-9a-z]+", text) if len(w) >= 3}


def _stem_match(a: str, b: str) -> bool:
    n = min(len(a), len(b), 5)
    return n >= 3 and a[:n] == b[:n]


@route("GET", "/sale/matching-categories", auth="any")
def matching(req: Request) -> Response:
    name = req.arg("name") or ""
    if not name.strip():
        raise error(422, "VALIDATION_ERROR", "Parameter 'name' is required", pl="Podaj nazwę produktu.", path="name")
    query = _words(name)
    scored = []
    for row in db.query("SELECT * FROM categories WHERE leaf = 1"):
        leaf_words = _words(row["name"])
        path_words = _words(row["path"])
        score = 3 * sum(1 for q in query for w in leaf_words if _stem_match(q, w))
        score += sum(1 for q in query for w in path_words if _stem_match(q, w))
        if score:
            scored.append((score, row["position"], row))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return Response.json({"matchingCategories": [_suggestion(r["id"]) for _, _, r in scored[:5]]})


def _suggestion(category_id: str) -> dict:
    row = category_row(category_id)
    node = {"id": row["id"], "name": row["name"]}
    if row["parent_id"]:
        node["parent"] = _suggestion(row["parent_id"])
    return node


@route("GET", "/sale/delivery-methods", auth="any")
def delivery_methods(req: Request) -> Response:
    rows = db.query("SELECT data FROM delivery_methods ORDER BY position")
    methods = [db.loads(r["data"]) for r in rows]
    marketplace = req.arg("marketplace")
    if marketplace:
        methods = [m for m in methods if marketplace in m["marketplaces"]]
    return Response.json({"deliveryMethods": methods})


def delivery_method(method_id: str) -> dict | None:
    """A delivery method document or None (helper for shipping rates and orders)."""
    row = db.one("SELECT data FROM delivery_methods WHERE id = ?", (method_id,))
    return db.loads(row["data"]) if row else None


REDUCED_RATE_ROOTS = {"258832", "KULTURA"}  # food, books: 5 %; everything else 23 %


@route("GET", "/sale/tax-settings", auth="user", media=(PUBLIC, BETA))
def tax_settings(req: Request) -> Response:
    cid = req.arg("category.id")
    country = req.arg("countryCode", "PL")
    if not cid:
        raise error(
            400, "MISSING_PARAMETER", "category.id is required", pl="Podaj kategorię (category.id).", path="category.id"
        )
    row = category_row(cid)
    if row is None:
        raise _not_found(cid)
    if country not in ("PL", "CZ", "SK", "HU"):
        raise error(
            400, "INVALID_COUNTRY", f"Unsupported country {country}", pl="Nieobsługiwany kraj.", path="countryCode"
        )
    path = row["path"]
    reduced = path.startswith("Supermarket") or path.startswith("Kultura")
    rates = [{"value": "23.00", "label": "23%", "exemptionRequired": False}]
    rates += [{"value": v, "label": f"{v[:-3]}%", "exemptionRequired": False} for v in ("8.00", "5.00")]
    rates += [
        {"value": "0.00", "label": "0%", "exemptionRequired": False},
        {"value": "ZW", "label": "zw.", "exemptionRequired": True},
    ]
    if reduced:
        rates.insert(0, rates.pop(2))
    media = BETA if BETA in (req.headers.get("Accept") or "") else PUBLIC
    return Response.json(
        {
            "subjects": [{"label": "Towar", "value": "GOODS"}, {"label": "Usługa", "value": "SERVICES"}],
            "rates": [{"countryCode": country, "values": rates}],
            "exemptions": [
                {
                    "label": "Zwolnienie ze względu na rodzaj prowadzonej działalności (art. 43 ust 1 ustawy o VAT)",
                    "value": "MONEY_EQUIVALENT",
                },
                {
                    "label": "Zwolnienie ze względu na nieprzekroczenie 200 000 PLN obrotu (art. 113 ust 1 i 9 ustawy o VAT)",
                    "value": "TURNOVER_LIMIT",
                },
            ],
        },
        media=media,
    )


@route("GET", "/order/carriers", auth="user")
def carriers(req: Request) -> Response:
    rows = db.query("SELECT id, name FROM carriers ORDER BY position")
    return Response.json({"carriers": [{"id": r["id"], "name": r["name"]} for r in rows]})
