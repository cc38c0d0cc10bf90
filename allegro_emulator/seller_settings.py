"""Seller settings: shipping-rate sets, after-sales conditions, responsible producers and persons."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation

from . import catalogue, clock, db
from .errors import ApiError, error, validation
from .routing import JSON, Request, Response, route

NAME_RE = re.compile(r"^[0-9A-Za-zĄĆĘŁŃÓŚŹŻąćęłńóśźż\-., ]{1,64}$")
DURATION_RE = re.compile(r"^PT(\d+)H$")


# Shipping rates --------------------------------------------------------------------------------------
def _validate_rates(doc: dict) -> list:
    items = []
    name = doc.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        items.append(
            validation(
                "name",
                "Name must have 1-64 characters: letters, digits, space, '-', '.', ','",
                "Nazwa cennika musi mieć od 1 do 64 znaków: litery, cyfry, spacja, myślnik, kropka, przecinek.",
            )
        )
    rates = doc.get("rates")
    if not isinstance(rates, list) or not rates:
        items.append(validation("rates", "At least one rate is required", "Dodaj co najmniej jedną metodę dostawy."))
        return items
    seen = set()
    for i, rate in enumerate(rates):
        p = f"rates[{i}]"
        method_id = (rate.get("deliveryMethod") or {}).get("id")
        method = catalogue.delivery_method(method_id or "")
        if method is None:
            items.append(
                validation(
                    f"{p}.deliveryMethod.id",
                    f"Delivery method {method_id} does not exist",
                    "Wybrana metoda dostawy nie istnieje.",
                )
            )
            continue
        if method_id in seen:
            items.append(
                validation(
                    f"{p}.deliveryMethod.id", "Delivery method used twice", "Metoda dostawy powtarza się w cenniku."
                )
            )
        seen.add(method_id)
        c = method["shippingRatesConstraints"]
        if not c["allowed"]:
            items.append(
                validation(
                    f"{p}.deliveryMethod.id",
                    "Delivery method not allowed in shipping rates",
                    "Tej metody dostawy nie można użyć w cenniku.",
                )
            )
        qty = rate.get("maxQuantityPerPackage")
        if not isinstance(qty, int) or qty < 1 or qty > c["maxQuantityPerPackage"]["max"]:
            items.append(
                validation(
                    f"{p}.maxQuantityPerPackage",
                    f"maxQuantityPerPackage must be between 1 and {c['maxQuantityPerPackage']['max']}",
                    f"Maksymalna liczba sztuk w paczce musi mieścić się w zakresie 1–{c['maxQuantityPerPackage']['max']}.",
                )
            )
        for field in ("firstItemRate", "nextItemRate"):
            money = rate.get(field) or {}
            lo, hi = Decimal(c[field]["min"]), Decimal(c[field]["max"])
            try:
                amount = Decimal(str(money.get("amount")))
                ok = amount.is_finite() and lo <= amount <= hi and amount == amount.quantize(Decimal("0.01"))
            except InvalidOperation:
                ok = False
            if not ok or money.get("currency") != c[field]["currency"]:
                items.append(
                    validation(
                        f"{p}.{field}.amount",
                        f"{field} must be between {lo} and {hi} {c[field]['currency']}",
                        f"Koszt dostawy musi mieścić się w zakresie {lo}–{hi} {c[field]['currency']}.",
                    )
                )
        st = rate.get("shippingTime")
        if st:
            if not c["shippingTime"]["customizable"]:
                items.append(
                    validation(
                        f"{p}.shippingTime",
                        "Shipping time of this method can't be changed",
                        "Czasu dostawy tej metody nie można zmienić.",
                    )
                )
            else:
                m_from, m_to = DURATION_RE.match(st.get("from") or ""), DURATION_RE.match(st.get("to") or "")
                if not m_from or not m_to or int(m_from[1]) > int(m_to[1]):
                    items.append(
                        validation(
                            f"{p}.shippingTime",
                            "shippingTime must be PT<n>H with from ≤ to",
                            "Czas dostawy musi mieć postać PT<n>H, a „od” nie może być większe niż „do”.",
                        )
                    )
    return items


def _rates_doc(row) -> dict:
    return db.loads(row["data"])


def _own(table: str, item_id: str, seller_id: str, kind: str | None = None):
    sql = f"SELECT * FROM {table} WHERE id = ? AND seller_id = ?" + (" AND kind = ?" if kind else "")
    row = db.one(sql, (item_id, seller_id, kind) if kind else (item_id, seller_id))
    if row is None:
        raise error(404, "NOT_FOUND", "Resource not found", pl="Nie znaleziono zasobu.")
    return row


@route("GET", "/sale/shipping-rates", auth="user")
def shipping_rates_list(req: Request) -> Response:
    rows = db.query("SELECT * FROM shipping_rate_sets WHERE seller_id = ? ORDER BY created_at", (req.seller_id,))
    return Response.json({"shippingRates": [{"id": r["id"], "name": r["name"]} for r in rows]})


def _store_rates(req: Request, set_id: str | None) -> Response:
    doc = req.json()
    items = _validate_rates(doc)
    if items:
        raise ApiError(422, items)
    now = clock.iso()
    with db.tx() as conn:
        if set_id is None:
            if (
                conn.execute(
                    "SELECT COUNT(*) FROM shipping_rate_sets WHERE seller_id = ?", (req.seller_id,)
                ).fetchone()[0]
                >= 250
            ):
                raise error(
                    422, "LIMIT_EXCEEDED", "At most 250 shipping rate sets", pl="Możesz mieć najwyżej 250 cenników."
                )
            set_id = str(uuid.uuid4())
            is_default = (
                conn.execute(
                    "SELECT COUNT(*) FROM shipping_rate_sets WHERE seller_id = ?", (req.seller_id,)
                ).fetchone()[0]
                == 0
            )
            status = 201
        else:
            _own("shipping_rate_sets", set_id, req.seller_id)
            is_default = None
            status = 200
        out = {
            "id": set_id,
            "name": doc["name"],
            "rates": doc["rates"],
            "lastModified": now,
            "type": doc.get("type") or "PHYSICAL",
            "dispatchCountry": doc.get("dispatchCountry") or "PL",
        }
        if is_default is None:
            conn.execute(
                "UPDATE shipping_rate_sets SET name=?, data=?, last_modified=? WHERE id=?",
                (doc["name"], db.dumps(out), now, set_id),
            )
        else:
            conn.execute(
                "INSERT INTO shipping_rate_sets(id, seller_id, name, data, is_default, created_at, last_modified) VALUES (?,?,?,?,?,?,?)",
                (set_id, req.seller_id, doc["name"], db.dumps(out), int(is_default), now, now),
            )
    return Response.json(out, status)


@route("POST", "/sale/shipping-rates", auth="user")
def shipping_rates_create(req: Request) -> Response:
    return _store_rates(req, None)


@route("GET", "/sale/shipping-rates/{id}", auth="user")
def shipping_rates_get(req: Request) -> Response:
    return Response.json(_rates_doc(_own("shipping_rate_sets", req.params["id"], req.seller_id)))


@route("PUT", "/sale/shipping-rates/{id}", auth="user")
def shipping_rates_put(req: Request) -> Response:
    return _store_rates(req, req.params["id"])


def default_shipping_rates_id(seller_id: str) -> str | None:
    """The account's default shipping-rate set (helper for offers)."""
    row = db.one(
        "SELECT id FROM shipping_rate_sets WHERE seller_id = ? ORDER BY is_default DESC, created_at LIMIT 1",
        (seller_id,),
    )
    return row["id"] if row else None


# After-sales conditions ----------------------------------------------------------------------------
KINDS = {
    "return-policies": ("returnPolicies", "returnPolicyId"),
    "implied-warranties": ("impliedWarranties", "impliedWarrantyId"),
    "warranties": ("warranties", "warrantyId"),
}
YEARS_RE = re.compile(r"^P(\d+)Y$")
MONTHS_RE = re.compile(r"^P(\d+)([MY])$")


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def _validate_condition(kind: str, doc: dict) -> list:
    items = []
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        items.append(validation("name", "Name is required (max 200 characters)", "Podaj nazwę (najwyżej 200 znaków)."))
    if kind == "implied-warranties":
        for who in ("individual", "corporate"):
            m = YEARS_RE.match(((doc.get(who) or {}).get("period")) or "")
            if not m or int(m[1]) < 2:
                items.append(
                    validation(
                        f"{who}.period",
                        "Implied warranty period must be whole years, at least P2Y for individuals",
                        "Okres rękojmi podaj w pełnych latach, co najmniej 2 lata (P2Y).",
                    )
                )
        if not doc.get("address"):
            items.append(validation("address", "Address is required", "Podaj adres do reklamacji."))
    elif kind == "warranties":
        if doc.get("type") not in ("MANUFACTURER", "SELLER"):
            items.append(
                validation(
                    "type",
                    "type must be MANUFACTURER or SELLER",
                    "Wybierz rodzaj gwarancji (producenta lub sprzedawcy).",
                )
            )
        attachment = doc.get("attachment")
        if isinstance(attachment, dict) and not _is_uuid(attachment.get("id")):
            # an attachment is one uploaded with POST /sale/offer-attachments: its id is a UUID
            items.append(validation("attachment.id", "Attachment not found", "Nie znaleziono załącznika gwarancji."))
        for who in ("individual", "corporate"):
            period = doc.get(who) or {}
            if not period.get("lifetime") and not MONTHS_RE.match(period.get("period") or ""):
                items.append(
                    validation(
                        f"{who}.period",
                        "Warranty period is required for individual and corporate buyers (e.g. P12M)",
                        "Podaj okres gwarancji dla konsumentów i firm (np. 12 miesięcy).",
                    )
                )
    else:
        rng = (doc.get("availability") or {}).get("range")
        if rng not in ("FULL", "RESTRICTED", "DISABLED"):
            items.append(
                validation("availability.range", "availability.range is required", "Określ dostępność zwrotów.")
            )
        if rng in ("FULL", "RESTRICTED"):
            if not re.match(r"^P\d+D$", doc.get("withdrawalPeriod") or ""):
                items.append(
                    validation(
                        "withdrawalPeriod",
                        "withdrawalPeriod is required (e.g. P14D)",
                        "Podaj czas na odstąpienie od umowy (np. 14 dni).",
                    )
                )
            elif int(doc["withdrawalPeriod"][1:-1]) < 14:
                items.append(
                    validation(
                        "withdrawalPeriod",
                        "withdrawalPeriod must be at least 14 days",
                        "Czas na odstąpienie od umowy to co najmniej 14 dni.",
                    )
                )
            if not doc.get("address"):
                items.append(validation("address", "Return address is required", "Podaj adres do zwrotów."))
            if not (doc.get("returnCost") or {}).get("coveredBy"):
                items.append(
                    validation(
                        "returnCost.coveredBy", "returnCost.coveredBy is required", "Określ, kto pokrywa koszt zwrotu."
                    )
                )
            opts = doc.get("options")
            required = (
                "cashOnDeliveryNotAllowed",
                "freeAccessoriesReturnRequired",
                "refundLoweredByReceivedDiscount",
                "businessReturnAllowed",
                "collectBySellerOnly",
            )
            if not isinstance(opts, dict) or any(not isinstance(opts.get(k), bool) for k in required):
                items.append(
                    validation(
                        "options",
                        "All return options are required when returns are available",
                        "Uzupełnij wszystkie opcje zwrotów.",
                    )
                )
    return items


# A return policy without these answers them as null (all nullable in the spec; so do captured answers)
RETURN_POLICY_NULLS = ("withdrawalPeriod", "returnCost", "address", "contact", "options")


def _condition_out(kind: str, doc: dict) -> dict:
    if kind != "return-policies":
        return doc
    out = {key: None for key in RETURN_POLICY_NULLS}
    out.update(doc)
    availability = out.get("availability")
    if isinstance(availability, dict):
        out["availability"] = {"restrictionCause": None, **availability}
    return out


def _register_conditions(kind: str) -> None:
    list_key, id_param = KINDS[kind]
    base = f"/after-sales-service-conditions/{kind}"

    def list_(req: Request) -> Response:
        limit = req.int_arg("limit", 60, minimum=1, maximum=60)
        offset = req.int_arg("offset", 0, minimum=0, maximum=59)
        rows = db.query(
            "SELECT data FROM after_sales_conditions WHERE seller_id = ? AND kind = ? ORDER BY created_at, id LIMIT ? OFFSET ?",
            (req.seller_id, kind, limit, offset),
        )
        docs = [_condition_out(kind, db.loads(r["data"])) for r in rows]
        if kind != "return-policies":
            docs = [{"id": d["id"], "name": d["name"]} for d in docs]
        return Response.json({list_key: docs, "count": len(docs)})

    def create(req: Request) -> Response:
        return _store_condition(req, kind, None)

    def get(req: Request) -> Response:
        return Response.json(
            _condition_out(
                kind, db.loads(_own("after_sales_conditions", req.params[id_param], req.seller_id, kind)["data"])
            )
        )

    def put(req: Request) -> Response:
        return _store_condition(req, kind, req.params[id_param])

    route("GET", base)(list_)
    route("POST", base)(create)
    route("GET", f"{base}/{{{id_param}}}")(get)
    route("PUT", f"{base}/{{{id_param}}}")(put)
    if kind == "return-policies":

        def delete(req: Request) -> Response:
            _own("after_sales_conditions", req.params[id_param], req.seller_id, kind)
            db.execute("DELETE FROM after_sales_conditions WHERE id = ?", (req.params[id_param],))
            return Response.empty(204)

        route("DELETE", f"{base}/{{{id_param}}}")(delete)


def _store_condition(req: Request, kind: str, item_id: str | None) -> Response:
    doc = req.json()
    if not isinstance(doc, dict):
        raise error(400, "JsonMappingException", "Object expected", pl="Nieprawidłowy format danych.")
    items = _validate_condition(kind, doc)
    if items:
        raise ApiError(422, items)
    if item_id is not None:
        old = db.loads(_own("after_sales_conditions", item_id, req.seller_id, kind)["data"])
        if kind == "return-policies":
            doc.setdefault("isFulfillment", old.get("isFulfillment", False))
    out = {"id": item_id or str(uuid.uuid4()), "seller": {"id": req.seller_id}}
    out.update({k: v for k, v in doc.items() if k not in ("id", "seller")})
    if kind == "return-policies":
        out.setdefault("isFulfillment", False)
    with db.tx() as conn:
        if item_id is None:
            conn.execute(
                "INSERT INTO after_sales_conditions(id, seller_id, kind, name, data, created_at) VALUES (?,?,?,?,?,?)",
                (out["id"], req.seller_id, kind, out["name"], db.dumps(out), clock.iso()),
            )
        else:
            conn.execute(
                "UPDATE after_sales_conditions SET name=?, data=? WHERE id=?", (out["name"], db.dumps(out), item_id)
            )
    return Response.json(_condition_out(kind, out), 201 if item_id is None else 200)


for _kind in KINDS:
    _register_conditions(_kind)


def after_sales_condition(seller_id: str, kind: str, *, id: str | None = None, name: str | None = None) -> dict | None:
    """A seller's condition by id or name, or the first one defined (helper for offers; kind as in KINDS)."""
    sql = "SELECT data FROM after_sales_conditions WHERE seller_id = ? AND kind = ?"
    params: list = [seller_id, kind]
    if id:
        sql += " AND id = ?"
        params.append(id)
    elif name:
        sql += " AND name = ?"
        params.append(name)
    row = db.one(sql + " ORDER BY created_at LIMIT 1", params)
    return db.loads(row["data"]) if row else None


# Responsible producers / persons (errors in plain application/json, like Allegro) ---------------------
def _register_parties(kind: str, plural: str, data_key: str) -> None:
    base = f"/sale/responsible-{plural}"
    list_key = "responsibleProducers" if kind == "producer" else "responsiblePersons"

    def list_(req: Request) -> Response:
        limit = req.int_arg("limit", 100, minimum=1, maximum=1000)
        offset = req.int_arg("offset", 0, minimum=0)
        total = db.one(
            "SELECT COUNT(*) AS n FROM responsible_parties WHERE seller_id=? AND kind=?", (req.seller_id, kind)
        )["n"]
        rows = db.query(
            "SELECT data FROM responsible_parties WHERE seller_id=? AND kind=? ORDER BY created_at, id LIMIT ? OFFSET ?",
            (req.seller_id, kind, limit, offset),
        )
        docs = [db.loads(r["data"]) for r in rows]
        return Response.json({list_key: docs, "count": len(docs), "totalCount": total})

    def store(req: Request, item_id: str | None) -> Response:
        doc = req.json()
        items = []
        name = doc.get("name") if isinstance(doc, dict) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 50:
            items.append(validation("name", "name is required (1-50 characters)", "Podaj nazwę (1–50 znaków)."))
        data = (doc or {}).get(data_key) if isinstance(doc, dict) else None
        label = "tradeName" if kind == "producer" else "name"
        if not isinstance(data, dict) or not data.get(label):
            items.append(validation(f"{data_key}.{label}", f"{data_key}.{label} is required", "Podaj nazwę firmy."))
        else:
            if not (data.get("address") or {}).get("countryCode"):
                items.append(validation(f"{data_key}.address.countryCode", "address is required", "Podaj adres."))
            contact = data.get("contact") or {}
            if not (contact.get("email") or contact.get("formUrl")):
                items.append(
                    validation(
                        f"{data_key}.contact",
                        "email or formUrl is required",
                        "Podaj e-mail lub adres formularza kontaktowego.",
                    )
                )
        if items:
            raise ApiError(422, items)
        if item_id:
            _own("responsible_parties", item_id, req.seller_id, kind)
        out = {"id": item_id or str(uuid.uuid4()), "name": name, data_key: data}
        with db.tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO responsible_parties(id, seller_id, kind, name, data, created_at) VALUES (?,?,?,?,?,?)",
                (out["id"], req.seller_id, kind, name, db.dumps(out), clock.iso()),
            )
        status = 201 if (item_id is None and kind == "producer") else 200
        return Response.json(out, status)

    route("GET", base, error_media=JSON)(list_)
    route("POST", base, error_media=JSON)(lambda req: store(req, None))
    route("GET", f"{base}/{{id}}", error_media=JSON)(
        lambda req: Response.json(db.loads(_own("responsible_parties", req.params["id"], req.seller_id, kind)["data"]))
    )
    route("PUT", f"{base}/{{id}}", error_media=JSON)(lambda req: store(req, req.params["id"]))


_register_parties("producer", "producers", "producerData")
_register_parties("person", "persons", "personalData")
