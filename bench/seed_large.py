"""Large data for the panel's scale benchmark ("Scale of the panel"): 100,000 products, 50,000 offers,
100,000 orders and 1,000,000 event-log rows on PostgreSQL, in a few minutes.

    python bench/seed_large.py [--products 100000 --offers 50000 --orders 100000 --events 1000000]
                               [--customers 60000] [--database-url postgres://...] [--reset]

Without --database-url (or DATABASE_URL) it starts a throw-away PostgreSQL cluster (initdb) and drops it at the
end, which only makes sense as a timing run; pass a URL to keep the data for ``bench/admin_pages.py``.
Rows go in with COPY (explicit primary keys, sequences moved past them afterwards), so the tables must be
empty: the script refuses when there is data, unless --reset (TRUNCATE ... CASCADE of the seeded tables).
Prints a table of rows and seconds per table; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import io
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# -------------------------------------------------------------------------------------------------------------
# Settings and database
# -------------------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_scratch_postgres() -> str:
    """A throw-away PostgreSQL cluster on a free loopback port (stopped and removed at exit)."""
    folder = Path(tempfile.mkdtemp(prefix="selly-bench-pg-"))
    data = folder / "data"
    port = _free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(folder, "postgres", "postgres")
    subprocess.run(
        [*as_postgres, "initdb", "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    subprocess.run(
        [*as_postgres, "pg_ctl", "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )

    def stop() -> None:
        subprocess.run([*as_postgres, "pg_ctl", "-D", str(data), "-m", "fast", "stop"], stdout=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-qc", "create database selly_bench"], check=True
    )
    return f"postgres://postgres@127.0.0.1:{port}/selly_bench"


def configure(database_url: str | None) -> str:
    """Point Django at the benchmark database with production-like settings (DEBUG off)."""
    url = database_url or os.environ.get("DATABASE_URL") or start_scratch_postgres()
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "selly_allegro.settings_test"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    return url


def django_ready() -> None:
    """Set Django up and migrate."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


# -------------------------------------------------------------------------------------------------------------
# COPY
# -------------------------------------------------------------------------------------------------------------
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value).translate(_ESCAPES)


class Copier:
    """COPY rows (dicts by field name) into a model's table; fields a row leaves out get the model default."""

    def __init__(self, model, chunk: int = 50_000):
        from django.db import models

        self.model = model
        self.chunk = chunk
        self.fields = [f for f in model._meta.concrete_fields]
        self.defaults = {}
        for f in self.fields:
            if f.has_default():
                default = f.get_default()
                if isinstance(f, models.JSONField):
                    default = default if default is not None else None
                self.defaults[f.attname] = default
            else:
                self.defaults[f.attname] = None if f.null else ""
        self.columns = ", ".join(f'"{f.column}"' for f in self.fields)
        self.names = [f.attname for f in self.fields]
        self.rows = 0

    def copy(self, rows) -> int:
        from django.db import connection

        buffer = io.StringIO()
        pending = 0
        names, defaults = self.names, self.defaults
        with connection.cursor() as cursor:
            raw = cursor.cursor
            for row in rows:
                buffer.write("\t".join(_text(row[n] if n in row else defaults[n]) for n in names))
                buffer.write("\n")
                pending += 1
                if pending >= self.chunk:
                    self._flush(raw, buffer)
                    self.rows += pending
                    buffer, pending = io.StringIO(), 0
            if pending:
                self._flush(raw, buffer)
                self.rows += pending
            self._move_sequence(cursor)
        return self.rows

    def _flush(self, raw, buffer: io.StringIO) -> None:
        buffer.seek(0)
        raw.copy_expert(f'COPY "{self.model._meta.db_table}" ({self.columns}) FROM STDIN', buffer)

    def _move_sequence(self, cursor) -> None:
        table, pk = self.model._meta.db_table, self.model._meta.pk.column
        cursor.execute(
            f'SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE((SELECT MAX("{pk}") FROM "{table}"), 0) + 1,'
            " false)",
            [table, pk],
        )


# -------------------------------------------------------------------------------------------------------------
# Polish-looking data
# -------------------------------------------------------------------------------------------------------------
TREE = {
    "Elektronika": ["Telefony i akcesoria", "Komputery", "RTV", "Fotografia", "Konsole i gry"],
    "Dom i ogród": ["Meble", "Oświetlenie", "Narzędzia", "Ogród", "Wyposażenie kuchni"],
    "Moda": ["Odzież damska", "Odzież męska", "Obuwie", "Torby i walizki", "Biżuteria"],
    "Dziecko": ["Zabawki", "Wózki", "Odzież dziecięca", "Karmienie", "Pokój dziecka"],
    "Sport i turystyka": ["Rowery", "Siłownia i fitness", "Turystyka", "Sporty zimowe", "Sporty wodne"],
    "Motoryzacja": ["Części samochodowe", "Opony i felgi", "Akcesoria samochodowe", "Chemia", "Motocykle"],
    "Zdrowie": ["Suplementy", "Sprzęt medyczny", "Higiena", "Dermokosmetyki", "Ortopedia"],
    "Uroda": ["Makijaż", "Pielęgnacja twarzy", "Perfumy", "Włosy", "Manicure"],
    "Kultura i rozrywka": ["Książki", "Muzyka", "Filmy", "Instrumenty", "Gry planszowe"],
    "Supermarket": ["Kawa i herbata", "Słodycze", "Napoje", "Chemia domowa", "Karma dla zwierząt"],
    "Biuro i reklama": ["Artykuły biurowe", "Papier", "Drukarki", "Meble biurowe", "Opakowania"],
    "Kolekcje i sztuka": ["Monety", "Znaczki", "Antyki", "Obrazy", "Modele"],
}
LEAF_WORDS = ["Premium", "Standard", "Dla domu", "Profesjonalne", "Używane"]
NOUNS = [
    "Lampa",
    "Kurtka",
    "Słuchawki",
    "Rower",
    "Czajnik",
    "Plecak",
    "Krzesło",
    "Kubek",
    "Zegarek",
    "Koszulka",
    "Buty",
    "Ładowarka",
    "Głośnik",
    "Torba",
    "Pościel",
    "Kabel",
    "Wiertarka",
    "Patelnia",
    "Piłka",
    "Książka",
]
ADJECTIVES = [
    "czarny",
    "biały",
    "czerwony",
    "zielony",
    "niebieski",
    "składany",
    "bezprzewodowy",
    "skórzany",
    "drewniany",
    "stalowy",
    "wodoodporny",
    "dziecięcy",
    "męski",
    "damski",
    "klasyczny",
    "nowoczesny",
]
BRANDS = [
    "Kross",
    "Amica",
    "Wittchen",
    "Vistula",
    "Zelmer",
    "Gerlach",
    "Inglot",
    "Wólczanka",
    "Krosno",
    "Bolesławiec",
    "Ziaja",
    "Mokate",
    "Solaris",
    "Tatra",
    "Fakro",
]
FIRST = [
    "Anna",
    "Piotr",
    "Katarzyna",
    "Tomasz",
    "Agnieszka",
    "Paweł",
    "Magdalena",
    "Michał",
    "Joanna",
    "Krzysztof",
    "Ewa",
    "Marcin",
    "Monika",
    "Łukasz",
    "Małgorzata",
    "Jakub",
]
LAST = [
    "Nowak",
    "Kowalski",
    "Wiśniewski",
    "Wójcik",
    "Kowalczyk",
    "Kamiński",
    "Lewandowski",
    "Zieliński",
    "Szymański",
    "Woźniak",
    "Dąbrowski",
    "Kozłowski",
    "Jankowski",
    "Mazur",
    "Kwiatkowski",
    "Krawczyk",
]
CITIES = [
    ("Warszawa", "00-950"),
    ("Kraków", "30-001"),
    ("Łódź", "90-001"),
    ("Wrocław", "50-001"),
    ("Poznań", "60-001"),
    ("Gdańsk", "80-001"),
    ("Szczecin", "70-001"),
    ("Lublin", "20-001"),
]
STREETS = ["Marszałkowska", "Długa", "Polna", "Leśna", "Słoneczna", "Krótka", "Szkolna", "Ogrodowa", "Lipowa"]


def ean13(n: int) -> str:
    from shop.validators import gtin_check_digit

    body = f"590{n:09d}"
    return body + str(gtin_check_digit(body))


def _path_segment(i: int) -> str:
    """Treebeard's MP_Node step (steplen 4, alphabet 0-9A-Z) for the i-th child, 1-based."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    digits = ""
    while i:
        i, r = divmod(i, 36)
        digits = alphabet[r] + digits
    return digits.rjust(4, "0")


# -------------------------------------------------------------------------------------------------------------
# Seeding
# -------------------------------------------------------------------------------------------------------------
SEEDED_TABLES = [
    "allegro.EventLogEntry",
    "allegro.AllegroCheckout",
    "allegro.Offer",
    "orders.OrderLine",
    "orders.Order",
    "allegro.CustomerAllegroIdentity",
    "shop.Customer",
    "shop.Product",
    "shop.Category",
]


def seed(*, products: int, offers: int, orders: int, events: int, customers: int, reset: bool, out=print) -> dict:
    """Create the data; returns {table: {"rows": n, "seconds": s}}."""
    from django.apps import apps
    from django.db import connection, transaction

    from allegro.accounts.models import AllegroAccount, AllegroApp, Environment
    from shop.models import DeliveryMethod

    models = [apps.get_model(label) for label in SEEDED_TABLES]
    existing = {m._meta.label: m.objects.exists() for m in models}
    if any(existing.values()):
        if not reset:
            raise SystemExit(
                "The database already holds data in "
                + ", ".join(k for k, v in existing.items() if v)
                + ": run with --reset to wipe those tables first."
            )
        with connection.cursor() as cursor:
            tables = ", ".join(f'"{m._meta.db_table}"' for m in models)
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")

    rnd = random.Random(2026)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    timings: dict[str, dict] = {}

    def timed(name: str, fn) -> None:
        start = time.perf_counter()
        with transaction.atomic():
            rows = fn()
        timings[name] = {"rows": rows, "seconds": round(time.perf_counter() - start, 2)}
        out(f"  {name:<28} {rows:>10,}  {timings[name]['seconds']:>8.2f} s")

    # -- Allegro app, accounts, delivery methods (few rows, through the ORM) --
    app = AllegroApp.objects.filter(client_id="bench-client").first()
    if app is None:
        app = AllegroApp(name="Sklep (bench)", environment=Environment.SANDBOX, client_id="bench-client")
        app.client_secret = "bench-secret"
        app.save()
    accounts = []
    for i, (name, login) in enumerate(
        [("Sklep główny", "sklep_glowny"), ("Outlet", "sklep_outlet"), ("Hurt", "sklep_hurt")], start=1
    ):
        account, _ = AllegroAccount.objects.get_or_create(
            app=app, seller_id=f"9000{i}", defaults={"name": name, "login": login, "state": "connected"}
        )
        accounts.append(account)
    deliveries = [
        DeliveryMethod.objects.get_or_create(name=name, defaults={"price": Decimal(price), "position": i})[0]
        for i, (name, price) in enumerate(
            [
                ("Kurier DPD", "14.99"),
                ("InPost Paczkomat", "11.99"),
                ("Poczta Polska", "9.99"),
                ("Odbiór osobisty", "0.00"),
                ("Kurier za pobraniem", "19.99"),
            ]
        )
    ]

    # -- categories: 12 roots × 5 × 5 = 372 nodes with treebeard paths --
    from allegro.checkouts.models import CustomerAllegroIdentity
    from shop.models import Category, Customer, Product

    category_rows: list[dict] = []
    leaves: list[int] = []
    middles: list[int] = []

    def categories() -> int:
        pk = 0
        for r, root in enumerate(sorted(TREE), start=1):
            pk += 1
            root_path = _path_segment(r)
            category_rows.append(
                {"id": pk, "path": root_path, "depth": 1, "numchild": len(TREE[root]), "name": root, "visible": True}
            )
            for c, child in enumerate(sorted(TREE[root]), start=1):
                pk += 1
                child_pk, child_path = pk, root_path + _path_segment(c)
                middles.append(child_pk)
                category_rows.append(
                    {
                        "id": child_pk,
                        "path": child_path,
                        "depth": 2,
                        "numchild": len(LEAF_WORDS),
                        "name": child,
                        "visible": True,
                    }
                )
                for g, word in enumerate(sorted(f"{child} – {w}" for w in LEAF_WORDS), start=1):
                    pk += 1
                    leaves.append(pk)
                    category_rows.append(
                        {
                            "id": pk,
                            "path": child_path + _path_segment(g),
                            "depth": 3,
                            "numchild": 0,
                            "name": word,
                            "visible": rnd.random() > 0.03,
                        }
                    )
        return Copier(Category).copy(category_rows)

    timed("shop_category", categories)

    # -- products --
    product_info: list[tuple[str, str, Decimal]] = []  # (sku, name, price) by pk-1

    def product_rows():
        for pk in range(1, products + 1):
            noun, adj, brand = rnd.choice(NOUNS), rnd.choice(ADJECTIVES), rnd.choice(BRANDS)
            name = f"{noun} {adj} {brand} {rnd.choice('ABCDEFGHKLMNPRSTWZ')}{rnd.randint(10, 999)}"
            sku = f"SKU-{pk:07d}"
            price = Decimal(rnd.randint(499, 499_999)) / 100
            product_info.append((sku, name, price))
            roll = rnd.random()
            stock = (
                0 if roll < 0.08 else None if roll < 0.12 else rnd.randint(1, 5) if roll < 0.2 else rnd.randint(6, 500)
            )
            created = now - dt.timedelta(minutes=rnd.randint(0, 1_000_000))
            yield {
                "id": pk,
                "name": name,
                "sku": sku,
                "ean": ean13(pk) if rnd.random() < 0.9 else "",
                "brand": brand,
                "price": price,
                "vat_rate": "23" if rnd.random() < 0.85 else rnd.choice(["8", "5"]),
                "stock": stock,
                "visible": rnd.random() > 0.07,
                "weight": Decimal(rnd.randint(50, 20_000)) / 1000,
                "description": f"<p>{name}. Produkt marki {brand}, wysyłka w 24 godziny.</p>",
                "category_id": rnd.choice(leaves) if rnd.random() < 0.9 else rnd.choice(middles),
                "created_at": created,
                "updated_at": created,
            }

    timed("shop_product", lambda: Copier(Product).copy(product_rows()))

    # -- customers and their Allegro identities --
    identity_rows: list[dict] = []
    customer_buyer: dict[int, tuple[int, str, str]] = {}  # customer pk -> (account index, buyer id, login)
    customer_search: dict[int, tuple[str, str]] = {}  # customer pk -> (e-mail, surname) for orders' search text

    def customer_rows():
        for pk in range(1, customers + 1):
            first, last = rnd.choice(FIRST), rnd.choice(LAST)
            city, post = rnd.choice(CITIES)
            street = f"ul. {rnd.choice(STREETS)} {rnd.randint(1, 150)}"
            if rnd.random() < 0.45:
                a = rnd.randrange(len(accounts))
                login = f"{first.lower()}_{last.lower()}{pk}".translate(str.maketrans("ąćęłńóśźż", "acelnoszz"))
                buyer = str(40_000_000 + pk)
                customer_buyer[pk] = (a, buyer, login)
                identity_rows.append(
                    {
                        "id": len(identity_rows) + 1,
                        "customer_id": pk,
                        "seller_id": accounts[a].seller_id,
                        "buyer_id": buyer,
                        "login": login,
                    }
                )
            customer_search[pk] = (f"klient{pk}@example.pl", last)
            yield {
                "id": pk,
                "email": f"klient{pk}@example.pl",
                "first_name": first,
                "last_name": last,
                "phone": f"+48 {rnd.randint(500, 899)} {rnd.randint(100, 999)} {rnd.randint(100, 999)}",
                "company": f"{last} sp. z o.o." if rnd.random() < 0.1 else "",
                "billing_street": street,
                "billing_post_code": post,
                "billing_city": city,
                "shipping_name": f"{first} {last}",
                "shipping_street": street,
                "shipping_post_code": post,
                "shipping_city": city,
                "created_at": now - dt.timedelta(minutes=rnd.randint(0, 1_000_000)),
            }

    timed("shop_customer", lambda: Copier(Customer).copy(customer_rows()))
    timed("allegro_customerallegroidentity", lambda: Copier(CustomerAllegroIdentity).copy(identity_rows))

    # -- orders, lines, checkout forms --
    from allegro.checkouts.models import AllegroCheckout
    from orders.models import Order, OrderLine

    line_rows: list[dict] = []
    checkout_rows: list[dict] = []
    statuses = (
        ["new"] * 10
        + ["awaiting_payment"] * 5
        + ["ready_to_ship"] * 10
        + ["processing"] * 5
        + ["sent"] * 30
        + ["delivered"] * 30
        + ["cancelled"] * 7
        + ["returned"] * 3
    )

    def order_rows():
        for pk in range(1, orders + 1):
            placed = now - dt.timedelta(seconds=rnd.randint(0, 730 * 86400))
            allegro = rnd.random() < 0.6
            customer = rnd.randint(1, customers) if customers else None
            total = Decimal("0.00")
            for _ in range(rnd.randint(1, 3)):
                product_pk = rnd.randint(1, products)
                sku, name, price = product_info[product_pk - 1]
                qty = rnd.randint(1, 3)
                total += price * qty
                line_rows.append(
                    {
                        "id": len(line_rows) + 1,
                        "order_id": pk,
                        "product_id": product_pk,
                        "name": name,
                        "sku": sku,
                        "quantity": qty,
                        "unit_price": price,
                        "stock_reserved": True,
                        "external_id": uuid.UUID(int=rnd.getrandbits(128)).hex if allegro else "",
                    }
                )
            delivery = rnd.choice(deliveries)
            status = rnd.choice(statuses)
            external_key = ""
            if allegro:
                a = customer_buyer.get(customer, (rnd.randrange(len(accounts)),))[0]
                form_id = str(uuid.UUID(int=rnd.getrandbits(128)))
                external_key = f"{accounts[a].pk}:{form_id}"
                buyer = customer_buyer.get(customer, (a, str(50_000_000 + pk), f"kupujacy{pk}"))
                checkout_rows.append(
                    {
                        "id": len(checkout_rows) + 1,
                        "account_id": accounts[a].pk,
                        "checkout_form_id": form_id,
                        "revision": "1",
                        "status": "READY_FOR_PROCESSING",
                        "fulfillment_status": "SENT",
                        "buyer_id": buyer[1],
                        "buyer_login": buyer[2],
                        "order_id": pk,
                        "payload": {},
                        "first_seen_at": placed,
                        "last_seen_at": placed,
                    }
                )
            recipient = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
            yield {
                "id": pk,
                "number": f"{placed:%Y}/{pk:06d}",
                "customer_id": customer,
                "source": "allegro" if allegro else "shop",
                "external_key": external_key,
                "status": status,
                "needs_attention": rnd.random() < 0.01,
                "payment_type": "online",
                "payment_provider": "P24" if allegro else "",
                "payment_status": "unpaid" if status in ("new", "awaiting_payment") else "paid",
                "paid_amount": total,
                "delivery_method_id": delivery.pk,
                "delivery_method_name": delivery.name,
                "delivery_cost": delivery.price,
                "delivery_name": recipient,
                "search_text": "\n".join([*customer_search.get(customer, ()), recipient]).upper(),
                "delivery_street": f"ul. {rnd.choice(STREETS)} {rnd.randint(1, 150)}",
                "delivery_post_code": "00-950",
                "delivery_city": rnd.choice(CITIES)[0],
                "items_total": total,
                "total": total + delivery.price,
                "tracking_number": f"PL{rnd.randint(10**11, 10**12)}" if status in ("sent", "delivered") else "",
                "placed_at": placed,
                "updated_at": placed,
            }

    timed("orders_order", lambda: Copier(Order).copy(order_rows()))
    timed("orders_orderline", lambda: Copier(OrderLine).copy(line_rows))
    timed("allegro_allegrocheckout", lambda: Copier(AllegroCheckout).copy(checkout_rows))

    # -- offers: each (account, product) at most once --
    from allegro.offers.models import Offer

    offer_ids: list[str] = []
    offer_statuses = (
        ["active"] * 60 + ["ended"] * 20 + ["archived"] * 5 + ["draft"] * 5 + ["error"] * 5 + ["activating"] * 5
    )

    def offer_rows():
        per_account = [offers // len(accounts) + (1 if i < offers % len(accounts) else 0) for i in range(len(accounts))]
        pk = 0
        for a, count in enumerate(per_account):
            for product_pk in rnd.sample(range(1, products + 1), min(count, products)):
                pk += 1
                sku, name, price = product_info[product_pk - 1]
                status = rnd.choice(offer_statuses)
                allegro_id = None if status in ("draft", "error") else str(17_000_000_000 + pk)
                if allegro_id:
                    offer_ids.append(allegro_id)
                created = now - dt.timedelta(seconds=rnd.randint(0, 365 * 86400))
                yield {
                    "id": pk,
                    "account_id": accounts[a].pk,
                    "product_id": product_pk,
                    "allegro_id": allegro_id,
                    "external_id": sku,
                    "format": "BUY_NOW",
                    "status": status,
                    "title": name[:75],
                    "category_id": str(rnd.choice([257933, 165, 4, 8845, 122233, 259431])),
                    "price": price,
                    "quantity": rnd.randint(0, 50),
                    "confirmed_price": price if allegro_id else None,
                    "confirmed_status": status.upper() if allegro_id else "",
                    "last_error": "Brak parametru: Stan" if status == "error" else "",
                    "created_at": created,
                    "updated_at": created,
                }

    timed("allegro_offer", lambda: Copier(Offer).copy(offer_rows()))

    # -- the event log --
    from allegro.core.models import EventLogEntry

    kinds = ["offer"] * 50 + ["order"] * 25 + ["sync"] * 15 + ["token"] * 5 + ["error"] * 3 + ["connection"] * 2
    actions = {
        "offer": ["offer_publish", "offer_price_changed", "offer_quantity_changed", "offer_end", "offer_renew"],
        "order": ["order_imported", "order_status_written", "shipment_sent"],
        "sync": ["sync_run", "sync_reconcile", "sync_flush"],
        "token": ["token_refreshed"],
        "error": ["allegro_error"],
        "connection": ["account_connected"],
    }
    span = 730 * 86400

    def event_rows():
        for pk in range(1, events + 1):
            kind = rnd.choice(kinds)
            account = accounts[rnd.randrange(len(accounts))].pk if rnd.random() < 0.97 else None
            offer = rnd.choice(offer_ids) if kind == "offer" and offer_ids else ""
            yield {
                "id": pk,
                "created_at": now - dt.timedelta(seconds=span * (events - pk) // max(events, 1)),
                "account_id": account,
                "kind": kind,
                "action": rnd.choice(actions[kind]),
                "message": f"Oferta {offer}: zmiana ceny" if offer else "Import zamówień: 3 nowe",
                "rule": "sync_prices" if kind == "sync" else "",
                "offer_id": offer,
                "product_id": rnd.randint(1, products) if kind == "offer" else None,
                "order_id": rnd.randint(1, orders) if kind == "order" and orders else None,
                "success": kind != "error",
                "request_summary": {},
                "response_summary": {},
                "trace_id": "",
            }

    timed("allegro_eventlogentry", lambda: Copier(EventLogEntry, chunk=100_000).copy(event_rows()))

    start = time.perf_counter()
    with connection.cursor() as cursor:
        for m in models:
            cursor.execute(f'VACUUM ANALYZE "{m._meta.db_table}"')
    timings["vacuum_analyze"] = {"rows": 0, "seconds": round(time.perf_counter() - start, 2)}
    out(f"  {'VACUUM ANALYZE':<28} {'':>10}  {timings['vacuum_analyze']['seconds']:>8.2f} s")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--offers", type=int, default=50_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=60_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--reset", action="store_true", help="wipe the seeded tables first")
    parser.add_argument("--target-seconds", type=float, default=300.0)
    args = parser.parse_args()

    url = configure(args.database_url)
    started = time.perf_counter()
    django_ready()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("seed_large needs PostgreSQL (COPY): pass --database-url postgres://...")
    print(f"Seeding {url.rsplit('@', 1)[-1]}")
    print(f"  {'table':<28} {'rows':>10}  {'time':>10}")
    timings = seed(
        products=args.products,
        offers=args.offers,
        orders=args.orders,
        events=args.events,
        customers=args.customers,
        reset=args.reset,
    )
    total = round(time.perf_counter() - started, 2)
    print(f"  {'total (with migrate)':<28} {'':>10}  {total:>8.2f} s")
    print(
        json.dumps(
            {
                "benchmark": "seed_large",
                "tables": timings,
                "total_seconds": total,
                "target_seconds": args.target_seconds,
                "pass": total <= args.target_seconds,
            }
        )
    )


if __name__ == "__main__":
    main()
