"""`reset()`: wipe every table and load the fixtures (catalogue, demo app, demo seller with settings)."""

from __future__ import annotations

import json

from . import catalogue_data, clock, db, products_data, ratelimit, state

DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"
DEMO_REDIRECT_URIS = [
    "http://127.0.0.1:8000/allegro/oauth/callback/",
    "http://localhost:8000/allegro/oauth/callback/",
]
DEMO_SELLER_ID = "44556677"
DEMO_SELLER_LOGIN = "demo-seller"


def reset() -> None:
    cats, params = catalogue_data.build()
    now = clock.iso()
    db.cache_clear()
    with db.tx() as conn:
        for table in db.TABLES_WIPED_ON_RESET:
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM sqlite_sequence") if conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'"
        ).fetchone() else None
        for pos, c in enumerate(cats):
            conn.execute(
                "INSERT INTO categories(id, parent_id, name, leaf, position, options, path) VALUES (?,?,?,?,?,?,?)",
                (
                    c["id"],
                    (c.get("parent") or {}).get("id"),
                    c["name"],
                    int(c["leaf"]),
                    pos,
                    db.dumps(c["options"]),
                    c["path"],
                ),
            )
        for cat_id, plist in params.items():
            for pos, p in enumerate(plist):
                conn.execute(
                    "INSERT INTO category_parameters(category_id, param_id, position, data) VALUES (?,?,?,?)",
                    (cat_id, p["id"], pos, db.dumps(p)),
                )
        for pos, product in enumerate(products_data.build(params)):
            conn.execute(
                "INSERT INTO products(id, name, category_id, gtins, mpn, status, seller_id, position, data, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    product["id"],
                    product["name"],
                    product["category"]["id"],
                    " " + " ".join(product["gtins"]) + " ",
                    product["mpn"],
                    "LISTED",
                    None,
                    pos,
                    db.dumps(product),
                    now,
                ),
            )
        for pos, m in enumerate(catalogue_data.delivery_methods()):
            conn.execute("INSERT INTO delivery_methods(id, position, data) VALUES (?,?,?)", (m["id"], pos, db.dumps(m)))
        for pos, (cid, name) in enumerate(catalogue_data.carriers()):
            conn.execute("INSERT INTO carriers(id, position, name) VALUES (?,?,?)", (cid, pos, name))
        add_app(conn, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URIS, name="Selly (demo)")
        add_seller(
            conn,
            DEMO_SELLER_LOGIN,
            seller_id=DEMO_SELLER_ID,
            first_name="Jan",
            last_name="Kowalski",
            email="demo-seller@example.pl",
            company_name="Sklep Demo Sp. z o.o.",
            tax_id="5260250995",
        )
        _demo_settings(conn, DEMO_SELLER_ID, now)
    state.reset_settings()
    state.clear_faults()
    state.reset_observations()
    ratelimit.reset()
    clock.reset()
    db.meta_set("seeded", True)
    db.cache_clear()


def add_app(conn, client_id: str, client_secret: str, redirect_uris: list[str], name: str = "") -> None:
    conn.execute(
        "INSERT OR REPLACE INTO apps(client_id, client_secret, name, redirect_uris, created_at) VALUES (?,?,?,?,?)",
        (client_id, client_secret, name or client_id, json.dumps(redirect_uris), clock.iso()),
    )


def add_seller(conn, login: str, *, seller_id: str | None = None, **fields) -> str:
    if seller_id is None:
        row = conn.execute("SELECT MAX(CAST(id AS INTEGER)) AS m FROM sellers").fetchone()
        seller_id = str(max(int(row["m"] or 0), 50000000) + 1)
    conn.execute(
        "INSERT INTO sellers(id, login, first_name, last_name, email, company_name, tax_id, features, created_at)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        (
            seller_id,
            login,
            fields.get("first_name", "Sprzedawca"),
            fields.get("last_name", login),
            fields.get("email", f"{login}@example.pl"),
            fields.get("company_name"),
            fields.get("tax_id"),
            json.dumps(fields.get("features", [])),
            clock.iso(),
        ),
    )
    return seller_id


def _demo_settings(conn, seller_id: str, now: str) -> None:
    address = {
        "name": "Sklep Demo",
        "street": "ul. Półwiejska 2",
        "postCode": "61-888",
        "city": "Poznań",
        "countryCode": "PL",
    }
    seller = {"id": seller_id}
    docs = [
        (
            "implied-warranties",
            catalogue_data.demo_uuid("implied-warranty"),
            {
                "name": "Reklamacje – 2 lata",
                "individual": {"period": "P2Y"},
                "corporate": {"period": "P2Y"},
                "address": address,
            },
        ),
        (
            "warranties",
            catalogue_data.demo_uuid("warranty"),
            {
                "name": "Gwarancja producenta 12 miesięcy",
                "type": "MANUFACTURER",
                "individual": {"period": "P12M", "lifetime": False},
                "corporate": {"period": "P12M", "lifetime": False},
            },
        ),
        (
            "return-policies",
            catalogue_data.demo_uuid("return-policy"),
            {
                "name": "Zwroty 14 dni",
                "isFulfillment": False,
                "availability": {"range": "FULL", "restrictionCause": None},
                "withdrawalPeriod": "P14D",
                "returnCost": {"coveredBy": "BUYER"},
                "address": address,
                "contact": {"phoneNumber": "+48 600 100 200", "email": "zwroty@sklep-demo.pl"},
                "options": {
                    "cashOnDeliveryNotAllowed": True,
                    "freeAccessoriesReturnRequired": True,
                    "refundLoweredByReceivedDiscount": True,
                    "businessReturnAllowed": False,
                    "collectBySellerOnly": False,
                },
            },
        ),
    ]
    for kind, cid, doc in docs:
        doc = {"id": cid, "seller": seller, **doc}
        conn.execute(
            "INSERT INTO after_sales_conditions(id, seller_id, kind, name, data, created_at) VALUES (?,?,?,?,?,?)",
            (cid, seller_id, kind, doc["name"], db.dumps(doc), now),
        )
    set_id = catalogue_data.demo_uuid("shipping-rates")
    rates = {
        "id": set_id,
        "name": "Cennik standardowy",
        "rates": [
            _rate("2488f7b7-5d1c-4d65-b85c-4cbcf253fd93", "12.99", 5),
            _rate("5d9c7838-e05f-4dec-afdd-58e884170ba7", "16.99", 10),
            _rate("85c3ad2f-4ec1-446c-866e-63473ed10e26", "22.99", 10),
        ],
        "lastModified": now,
        "type": "PHYSICAL",
        "dispatchCountry": "PL",
    }
    conn.execute(
        "INSERT INTO shipping_rate_sets(id, seller_id, name, data, is_default, created_at, last_modified)"
        " VALUES (?,?,?,?,1,?,?)",
        (set_id, seller_id, rates["name"], db.dumps(rates), now, now),
    )


def _rate(method_id: str, amount: str, per_package: int) -> dict:
    return {
        "deliveryMethod": {"id": method_id},
        "maxQuantityPerPackage": per_package,
        "firstItemRate": {"amount": amount, "currency": "PLN"},
        "nextItemRate": {"amount": "0.00", "currency": "PLN"},
    }
