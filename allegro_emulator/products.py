"""The product catalogue: `GET /sale/products`, `GET /sale/products/{productId}`, `POST /sale/product-proposals`,
and how an offer's `productSet[].product` is matched against it (`resolve_offer_product`, used by offers.py).

Allegro's behaviour, as its API team described it in the allegro-api issue tracker:
- an offer with `product: {id: <GTIN>, idType: GTIN}` and nothing else, for a GTIN the catalogue does not know:
  422 `MatchingProductNotFoundException` at `productSet[0].product` ("Matching product not found for the given
  ID. The data necessary to create the offer and/or to propose the product was not provided.");
- the same GTIN with the product's data (name, category, parameters, images): a new product is proposed from
  the data and the offer is linked to it ("when you want to create a new product or are not sure it exists");
- a GTIN of several products: Allegro first tries to tell them apart by the parameters sent; when it cannot,
  422 `MultipleProductsFoundException` at `productSet[0].product` ("Could not find a precisely matching
  product."); the seller then picks one with `GET /sale/products?phrase=<GTIN>&mode=GTIN` and sends its id;
- a product id that is no product: 422 `ProductNotFoundException` ("Product not found for the given ID.");
- an offer without a product in a category that needs one: 422 `ConstraintViolationException.ValidProductization`
  ("You cannot list or edit an offer without a linked product in this category."). Allegro publishes no
  flag for it and says it is "almost all categories"; the emulator lets offers go without a product only in
  the catch-all categories of its tree (`catalogue_data` leaves of the "generic" template);
- `POST /sale/product-proposals` for a GTIN that is already a product: 409 with the existing product's URL in
  `Location`; missing required product parameters: 422 `ProductValidationException`.
"""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

from . import catalogue, clock, db, ids
from .errors import ApiError, ErrorItem, error, validation
from .routing import Request, Response, route

PAGE_SIZE = 30
GTIN_RE = re.compile(r"^\d{8}$|^\d{12,14}$")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
GTIN_PARAMETER = "225693"
MPN_PARAMETER = "224017"


def _gtin_key(value: Any) -> str:
    """GTINs compare without leading zeros (a UPC-A and its EAN-13 form are one code)."""
    return str(value or "").strip().lstrip("0")


def _rows_by_gtin(gtin: str) -> list:
    key = _gtin_key(gtin)
    if not key:
        return []
    rows = db.query("SELECT * FROM products WHERE gtins LIKE ? ORDER BY position", (f"% %{key} %",))
    return [r for r in rows if any(_gtin_key(g) == key for g in r["gtins"].split())]


def _row(product_id: str):
    return db.one("SELECT * FROM products WHERE id = ?", (product_id,))


def _category_path(category_id: str) -> list[dict]:
    path = []
    current = catalogue.category_row(category_id)
    while current is not None and len(path) < 10:
        path.append({"id": current["id"], "name": current["name"]})
        current = catalogue.category_row(current["parent_id"]) if current["parent_id"] else None
    return list(reversed(path))


def _ancestors(category_id: str) -> set[str]:
    return {c["id"] for c in _category_path(category_id)}


def _doc(row, *, full: bool) -> dict:
    data = db.loads(row["data"])
    doc = {
        "id": row["id"],
        "name": row["name"],
        "category": {"id": row["category_id"], "path": _category_path(row["category_id"]), "similar": []},
        "images": data.get("images") or [],
        "parameters": data.get("parameters") or [],
        "hasProtectedBrand": False,
        "productSafety": None,  # nullable in the spec: no GPSR data in the catalogue
        "publication": {"status": row["status"]},
    }
    if data.get("description"):
        doc["description"] = data["description"]
    if full:
        doc["offerRequirements"] = {"parameters": []}
    return doc


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"\W+", text.casefold()) if w]


@route("GET", "/sale/products", auth="any")
def products_search(req: Request) -> Response:
    phrase = (req.arg("phrase") or req.arg("ean") or "").strip()
    mode = req.arg("mode")
    if not phrase:
        raise error(422, "VALIDATION_ERROR", "Phrase or ean is required", pl="Podaj frazę lub kod EAN.", path="phrase")
    if mode not in (None, "GTIN", "MPN"):
        raise error(
            422, "VALIDATION_ERROR", f"Invalid mode '{mode}'", pl="Nieprawidłowy tryb wyszukiwania.", path="mode"
        )
    category_id = req.arg("category.id")
    if category_id and catalogue.category_row(category_id) is None:
        raise error(
            422,
            "VALIDATION_ERROR",
            f"Category {category_id} not found",
            pl="Nie ma takiej kategorii.",
            path="category.id",
        )
    offset = 0
    page_id = req.arg("page.id")
    if page_id:
        try:
            offset = int(base64.urlsafe_b64decode(page_id.encode() + b"==").decode().removeprefix("offset:"))
        except (ValueError, UnicodeDecodeError):
            raise error(422, "VALIDATION_ERROR", "Invalid page.id", pl="Nieprawidłowy kursor strony.", path="page.id")
    if mode == "GTIN" or (mode is None and GTIN_RE.match(phrase)):
        rows = _rows_by_gtin(phrase)
        if mode is None and not rows:
            rows = _by_words(phrase)
    elif mode == "MPN":
        wanted = phrase.casefold()
        rows = [
            r for r in db.query("SELECT * FROM products ORDER BY position") if (r["mpn"] or "").casefold() == wanted
        ]
    else:
        rows = _by_words(phrase)
    if category_id:
        rows = [r for r in rows if category_id in _ancestors(r["category_id"])]
    page = rows[offset : offset + PAGE_SIZE]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["category_id"]] = counts.get(r["category_id"], 0) + 1
    subcategories = []
    for cid, count in counts.items():
        cat = catalogue.category_row(cid)
        subcategories.append({"id": cid, "name": cat["name"] if cat else cid, "count": count})
    body: dict[str, Any] = {
        "products": [_doc(r, full=False) for r in page],
        "categories": {"subcategories": subcategories},
        "filters": [],
    }
    if offset + PAGE_SIZE < len(rows):
        body["nextPage"] = {
            "id": base64.urlsafe_b64encode(f"offset:{offset + PAGE_SIZE}".encode()).decode().rstrip("=")
        }
    return Response.json(body)


def _by_words(phrase: str) -> list:
    query = _words(phrase)
    out = []
    for r in db.query("SELECT * FROM products ORDER BY position"):
        path = " ".join(c["name"] for c in _category_path(r["category_id"]))
        words = _words(f"{r['name']} {r['mpn'] or ''} {path}")
        if all(any(w.startswith(q) for w in words) for q in query):
            out.append(r)
    return out


@route("GET", "/sale/products/{productId}", auth="any")
def product_get(req: Request) -> Response:
    row = _row(req.params["productId"])
    if row is None:
        raise error(
            404, "ProductNotFoundException", "Product not found for the given ID.", pl="Nie znaleziono produktu."
        )
    return Response.json(_doc(row, full=True))


# Proposals ---------------------------------------------------------------------------------------------
def _proposal_problems(
    body: dict, prefix: str, *, need_images: bool, check_parameters: bool = True
) -> tuple[list[ErrorItem], dict | None]:
    """Problems of a product proposal (name, category, parameters, images) and its leaf category row.
    In an offer the product parameters are checked with the offer's (check_parameters=False)."""
    errs: list[ErrorItem] = []
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        errs.append(validation(f"{prefix}name", "Product name is required (1-200 characters)", "Podaj nazwę produktu."))
    category_id = str((body.get("category") or {}).get("id") or "")
    row = catalogue.category_row(category_id) if category_id else None
    if row is None or not row["leaf"]:
        errs.append(
            validation(
                f"{prefix}category.id",
                "Product category is required. Enter the category ID.",
                "Podaj kategorię produktu (liść drzewa).",
            )
        )
        return errs, None
    options = db.loads(row["options"]) or {}
    if options.get("productCreationEnabled") is False:
        errs.append(
            validation(
                f"{prefix}category.id",
                "Products cannot be created in this category",
                "W tej kategorii nie można tworzyć produktów.",
            )
        )
    images = body.get("images")
    if need_images and (not isinstance(images, list) or not images):
        errs.append(
            validation(
                f"{prefix}images", "A product needs at least one image", "Produkt musi mieć co najmniej jedno zdjęcie."
            )
        )
    given = {str(p.get("id")): p for p in body.get("parameters") or [] if isinstance(p, dict)}
    missing = []
    for d in catalogue.category_parameters(category_id) if check_parameters else []:
        if not d["options"].get("describesProduct") or not d.get("requiredForProduct") or d.get("requiredIf"):
            continue
        p = given.get(d["id"])
        if p is None or not (p.get("values") or p.get("valuesIds") or p.get("rangeValue")):
            missing.append(d)
    if missing:
        item = error(
            422,
            "ProductValidationException",
            "Unable to create product without proper values in all required parameters: "
            f"[{', '.join(d['id'] for d in missing)}] in category: {category_id}",
            pl="Nie można stworzyć produktu bez podania poprawnych wartości wszystkich parametrów wymaganych: "
            f"[{', '.join(d['name'] for d in missing)}]",
            path=f"{prefix}parameters",
        ).errors[0]
        errs.append(item)
    return errs, row


def _gtins_of(parameters: Any) -> list[str]:
    for p in parameters or []:
        if isinstance(p, dict) and str(p.get("id")) == GTIN_PARAMETER:
            return [str(v) for v in p.get("values") or [] if str(v).strip()]
    return []


def _mpn_of(parameters: Any) -> str | None:
    for p in parameters or []:
        if isinstance(p, dict) and str(p.get("id")) == MPN_PARAMETER and p.get("values"):
            return str(p["values"][0])
    return None


def store_product(conn, seller_id: str | None, body: dict, *, gtins: list[str]) -> str:
    """A new PROPOSED product from a proposal's data (inside db.tx()); returns its id."""
    pid = str(uuid.uuid4())
    params = [dict(p) for p in body.get("parameters") or [] if isinstance(p, dict)]
    images = [{"url": i} if isinstance(i, str) else i for i in body.get("images") or []]
    doc = {
        "id": pid,
        "name": body["name"].strip(),
        "category": {"id": str(body["category"]["id"])},
        "images": images,
        "parameters": params,
        "description": body.get("description"),
        "gtins": gtins,
        "mpn": _mpn_of(params),
    }
    position = conn.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM products").fetchone()[0]
    conn.execute(
        "INSERT INTO products(id, name, category_id, gtins, mpn, status, seller_id, position, data, created_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            pid,
            doc["name"],
            doc["category"]["id"],
            " " + " ".join(gtins) + " ",
            doc["mpn"],
            "PROPOSED",
            seller_id,
            position,
            db.dumps(doc),
            clock.iso(),
        ),
    )
    return pid


@route("POST", "/sale/product-proposals", auth="user")
def product_propose(req: Request) -> Response:
    body = req.json()
    if not isinstance(body, dict):
        raise error(400, "JsonMappingException", "Object expected", pl="Nieprawidłowy format danych.")
    errs, _ = _proposal_problems(body, "", need_images=True)
    if not body.get("language"):
        errs.append(validation("language", "language is required", "Podaj język produktu (np. pl-PL)."))
    if errs:
        raise ApiError(422, errs)
    gtins = _gtins_of(body.get("parameters"))
    for gtin in gtins:
        existing = _rows_by_gtin(gtin)
        if existing:
            location = f"{req.base_url}/sale/products/{existing[0]['id']}"
            raise ApiError(
                409,
                [
                    error(
                        409,
                        "ProductDuplicate",
                        f"Product with GTIN {gtin} already exists",
                        pl="Produkt z takimi danymi już istnieje.",
                        path="parameters",
                    ).errors[0]
                ],
                headers={"Location": location},
            )
    with db.tx() as conn:
        pid = store_product(conn, req.seller_id, body, gtins=gtins)
    doc = _doc(_row(pid), full=False)
    out = {
        "id": pid,
        "name": doc["name"],
        "category": {"id": doc["category"]["id"], "similar": []},
        "images": doc["images"],
        "parameters": [
            {k: v for k, v in p.items() if k in ("id", "rangeValue", "values", "valuesIds")} for p in doc["parameters"]
        ],
        "description": doc.get("description") or {"sections": []},
        "language": body.get("language"),
        "publication": {"status": "PROPOSED"},
    }
    return Response.json(out, 201)


# Offers ------------------------------------------------------------------------------------------------
def _values(p: dict) -> set[str]:
    return {str(v).casefold() for v in (p.get("values") or []) + (p.get("valuesIds") or [])}


def _narrow(rows: list, params: Any) -> list:
    """The candidates whose identifying parameters agree with every one the offer sent (Allegro tries this
    before it gives up with MultipleProductsFoundException)."""
    sent = {str(p.get("id")): _values(p) for p in params or [] if isinstance(p, dict) and _values(p)}
    sent.pop(GTIN_PARAMETER, None)
    if not sent:
        return rows
    out = []
    for r in rows:
        own = {str(p.get("id")): _values(p) for p in db.loads(r["data"]).get("parameters") or []}
        shared = [k for k in sent if k in own]
        if shared and all(sent[k] == own[k] for k in shared):
            out.append(r)
    return out


def without_product_allowed(category_id: str) -> bool:
    """Allegro asks for a product in "almost all categories"; the emulator's exceptions are its catch-all leaves."""
    from . import catalogue_data

    return category_id in catalogue_data.leaves_of_template("generic")


def resolve_offer_product(seller_id: str, product: dict, category_id: str, errs: list) -> tuple[str | None, str]:
    """Match an offer's `productSet[0].product` against the catalogue.

    Returns (product id or None, publication status of the product: LISTED, PROPOSED or NOT_LISTED, or
    ERROR when the product could not be resolved) and appends Allegro's errors to `errs`. A proposal is stored only when the offer is stored (the caller
    calls `commit_offer_product`); here it is only checked.
    """
    where = "productSet[0].product"
    pid = product.get("id")
    id_type = product.get("idType")
    has_data = bool(product.get("name")) or bool(product.get("category"))
    if pid is not None and (id_type == "GTIN" or (id_type is None and GTIN_RE.match(str(pid)))):
        if not GTIN_RE.match(str(pid)):
            errs.append(validation(f"{where}.id", f"'{pid}' is not a valid GTIN", "Nieprawidłowy kod GTIN."))
            return None, "ERROR"
        rows = _rows_by_gtin(str(pid))
        if len(rows) > 1:
            # The parameters may tell the products apart; when they leave none or several, the GTIN is still
            # known, so no new product is proposed under it.
            narrowed = _narrow(rows, product.get("parameters"))
            rows = narrowed if len(narrowed) == 1 else rows
        if len(rows) == 1:
            return rows[0]["id"], rows[0]["status"]
        if rows:
            errs.append(
                error(
                    422,
                    "MultipleProductsFoundException",
                    "Unprocessable Entity",
                    pl="Nie udało się jednoznacznie dopasować produktu: pod tym numerem GTIN jest kilka produktów.",
                    path=where,
                    en="Could not find a precisely matching product.",
                ).errors[0]
            )
            return None, "ERROR"
        if not has_data:
            errs.append(
                error(
                    422,
                    "MatchingProductNotFoundException",
                    "Unprocessable Entity",
                    pl="Nie znaleziono pasującego produktu dla podanego identyfikatora. Nie przekazano danych potrzebnych "
                    "do wystawienia oferty lub zaproponowania produktu.",
                    path=where,
                    en="Matching product not found for the given ID. The data necessary to create the offer "
                    "and/or to propose the product was not provided.",
                ).errors[0]
            )
            return None, "ERROR"
        problems, _ = _proposal_problems(
            {"category": {"id": category_id}, **product}, f"{where}.", need_images=False, check_parameters=False
        )
        errs.extend(problems)
        return None, "PROPOSED"
    if pid is not None:
        row = _row(str(pid)) if UUID_RE.match(str(pid)) else None
        if row is None:
            errs.append(
                error(
                    422,
                    "ProductNotFoundException",
                    "Product not found for the given ID.",
                    pl="Nie znaleziono produktu o podanym identyfikatorze.",
                    path=f"{where}.id",
                ).errors[0]
            )
            return None, "ERROR"
        return row["id"], row["status"]
    if has_data:
        gtins = _gtins_of(product.get("parameters"))
        for gtin in gtins:
            rows = _narrow(_rows_by_gtin(gtin), product.get("parameters"))
            if len(rows) == 1:
                return rows[0]["id"], rows[0]["status"]
        problems, _ = _proposal_problems(
            {"category": {"id": category_id}, **product}, f"{where}.", need_images=False, check_parameters=False
        )
        errs.extend(problems)
        return None, "PROPOSED"
    if not without_product_allowed(category_id):
        errs.append(
            error(
                422,
                "ConstraintViolationException.ValidProductization",
                "You cannot list or edit an offer without a linked product in this category. Select a product from "
                "the catalog or create a new one and link it with your offer.",
                pl="W tej kategorii nie wystawisz oferty bez powiązanego produktu. Wybierz produkt z katalogu albo "
                "utwórz nowy i powiąż go z ofertą.",
                path="productSet",
            ).errors[0]
        )
    return None, "NOT_LISTED"


def commit_offer_product(conn, seller_id: str, product: dict, category_id: str) -> str:
    """Store the proposal an offer carried (inside the offer's db.tx()); returns the new product's id."""
    body = dict(product)
    body.setdefault("category", {"id": category_id})
    gtins = _gtins_of(product.get("parameters"))
    if product.get("idType") == "GTIN" and product.get("id"):
        gtins = [str(product["id"])] + [g for g in gtins if _gtin_key(g) != _gtin_key(product["id"])]
    return store_product(conn, seller_id, body, gtins=gtins)


def new_product_id() -> str:
    return ids.new_uuid()
