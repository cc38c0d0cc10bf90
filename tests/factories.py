"""Small builders for test data (plain functions: the models are simple enough)."""

import itertools
from decimal import Decimal

from shop.models import Category, Customer, Product
from shop.validators import gtin_check_digit

_counter = itertools.count(1)


def make_ean(n: int) -> str:
    body = f"590{n:09d}"
    return body + str(gtin_check_digit(body))


def make_category(name: str = "Elektronika", parent: Category | None = None) -> Category:
    if parent is None:
        return Category.objects.add_root({"name": name})
    return Category.objects.add_child(parent, {"name": name})


def make_product(*, category: Category | None = None, stock: int | None = 10, **fields) -> Product:
    n = next(_counter)
    category = category or Category.objects.get_root_nodes().first() or make_category()
    defaults = {
        "name": f"Produkt testowy {n}",
        "sku": f"TEST-{n:05d}",
        "ean": make_ean(n),
        "brand": "Marka",
        "price": Decimal("99.99"),
        "stock": stock,
        "category": category,
    }
    defaults.update(fields)
    return Product.objects.create(**defaults)


def make_customer(**fields) -> Customer:
    n = next(_counter)
    defaults = {"email": f"klient{n}@example.com", "first_name": "Jan", "last_name": f"Kowalski{n}"}
    defaults.update(fields)
    return Customer.objects.create(**defaults)


def make_emulator_app(emulator, *, client_id: str = "demo-client", client_secret: str = "demo-secret"):
    """An AllegroApp of environment "custom" with all three addresses pointing at the test emulator."""
    from allegro.accounts.models import AllegroApp, Environment

    app = AllegroApp(
        name="Emulator",
        environment=Environment.CUSTOM,
        client_id=client_id,
        api_url=emulator.base_url,
        auth_url=emulator.base_url,
        upload_url=emulator.base_url,
    )
    app.client_secret = client_secret
    app.save()
    return app
