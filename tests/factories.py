"""Small builders for test data (plain functions: the models are simple enough). The one way to build
products, their images, Allegro offer rows and an Allegro app and account pointing at the test emulator;
the fixtures built on them (`allegro_app`, `connected_account`) are in tests/conftest.py."""

import io
import itertools
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from shop.models import Category, Customer, Product, ProductImage
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


def image_bytes(*, size: tuple[int, int] = (40, 30), color=(200, 30, 30), format: str = "PNG") -> bytes:
    """A small plain picture (Pillow), as a product photo or an upload."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=format)
    return buffer.getvalue()


def add_product_image(product: Product, *, position: int = 0, name: str | None = None, **image) -> ProductImage:
    """A stored photo of `product` (listing needs one); `image` goes to image_bytes()."""
    extension = image.get("format", "PNG").lower().replace("jpeg", "jpg")
    picture = ProductImage(product=product, position=position)
    picture.image.save(
        name or f"czajnik-{product.pk}-{position}.{extension}", ContentFile(image_bytes(**image)), save=True
    )
    return picture


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


def connect_account(emulator, app, *, login: str = "demo-seller", name: str = "Konto testowe"):
    """An account connected the short way: a token from the emulator's consent flow, stored as the callback would."""
    from allegro.accounts.models import AllegroAccount, ConnectionState

    tokens = emulator.user_token(login=login)
    me = emulator.api(tokens["access_token"]).get(emulator.url("/me")).json()
    account = AllegroAccount(app=app, name=name, seller_id=str(me["id"]), login=me.get("login") or login)
    account.access_token = tokens["access_token"]
    account.refresh_token = tokens["refresh_token"]
    account.token_expires_at = timezone.now() + timedelta(seconds=tokens["expires_in"])
    account.scopes = tokens.get("scope", "")
    account.state = ConnectionState.CONNECTED
    account.save()
    return account


def make_ready_to_list(account, **fields):
    """The settings listing needs, taken from Allegro's own choices (the first implied warranty, return policy
    and delivery price list of the seller) and a province; `fields` set the rest (city, GPSR data, markup...)."""
    from allegro.accounts.services.settings import account_fetch_choices

    choices = account_fetch_choices(account=account)
    account.implied_warranty_id = choices["implied-warranties"][0]["id"]
    account.return_policy_id = choices["return-policies"][0]["id"]
    account.shipping_rates_id = choices["shipping-rates"][0]["id"]
    account.location_province = "WIELKOPOLSKIE"
    for field, value in fields.items():
        setattr(account, field, value)
    account.save()
    return account


def make_allegro_offer(*, account, product: Product | None = None, **fields):
    """An Offer row of the panel (not in the emulator: see tests.emulator_support.make_offer for that)."""
    from allegro.offers.models import Offer

    defaults = {"title": "Oferta", "category_id": "257933", "price": Decimal("10")}
    if product is not None:
        defaults.update(external_id=product.sku, title=product.name[:75], price=product.price)
    defaults.update(fields)
    return Offer.objects.create(account=account, product=product, **defaults)
