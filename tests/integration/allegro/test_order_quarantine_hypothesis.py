"""Malformed checkout forms (missing fields, wrong types, unknown enums, huge strings, NUL bytes) are
quarantined with their id and never half-written; emoji and decomposed (NFD) Polish letters are
imported, stored as NFC. Property-based: Hypothesis mutates a valid Allegro checkout form."""

from __future__ import annotations

import copy
import unicodedata
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allegro.accounts.models import AllegroAccount, AllegroApp, ConnectionState, Environment
from allegro.checkouts.models import AllegroCheckout, CheckoutQuarantine, CustomerAllegroIdentity
from allegro.checkouts.services.order_import import order_import_checkout_forms
from orders.models import Order, OrderLine
from shop.models import Customer, Product, StockMovement
from tests.factories import make_product

pytestmark = pytest.mark.django_db

FORM_ID = "29f0e5a4-6d1b-4c3a-9e7f-0a1b2c3d4e5f"


def valid_form() -> dict:
    return {
        "id": FORM_ID,
        "status": "READY_FOR_PROCESSING",
        "revision": "a1b2c3d4",
        "updatedAt": "2026-03-01T10:00:00.000Z",
        "messageToSeller": "Proszę zapakować na prezent",
        "buyer": {
            "id": "98765432",
            "email": "anna.kowalska+3f2a@allegromail.pl",
            "login": "anna_k",
            "firstName": "Anna",
            "lastName": "Kowalska",
            "guest": False,
            "phoneNumber": "+48 600 100 200",
            "address": {"street": "ul. Długa 5", "city": "Gdańsk", "postCode": "80-001", "countryCode": "PL"},
        },
        "payment": {
            "id": "5c8a0f5e-1111-4222-8333-944455556666",
            "type": "ONLINE",
            "provider": "P24",
            "finishedAt": "2026-03-01T10:00:00.000Z",
            "paidAmount": {"amount": "114.97", "currency": "PLN"},
        },
        "fulfillment": {"status": "NEW"},
        "delivery": {
            "address": {
                "firstName": "Anna",
                "lastName": "Kowalska",
                "street": "ul. Długa 5",
                "city": "Gdańsk",
                "zipCode": "80-001",
                "countryCode": "PL",
                "phoneNumber": "+48 600 100 200",
            },
            "method": {"id": "5d9c7838-e05f-4dec-afdd-58e884170ba7", "name": "Allegro Kurier24 InPost"},
            "cost": {"amount": "14.99", "currency": "PLN"},
        },
        "invoice": {"required": False},
        "lineItems": [
            {
                "id": "0f0e0d0c-1111-4222-8333-944455556666",
                "offer": {"id": "18000000001", "name": "Słuchawki bezprzewodowe", "external": {"id": "HYP-1"}},
                "quantity": 2,
                "price": {"amount": "49.99", "currency": "PLN"},
                "originalPrice": {"amount": "49.99", "currency": "PLN"},
                "boughtAt": "2026-03-01T09:59:00.000Z",
            }
        ],
        "surcharges": [],
        "summary": {"totalToPay": {"amount": "114.97", "currency": "PLN"}},
    }


REQUIRED = [
    ("status",),
    ("buyer",),
    ("buyer", "id"),
    ("buyer", "email"),
    ("buyer", "login"),
    ("lineItems",),
    ("lineItems", 0, "id"),
    ("lineItems", 0, "offer"),
    ("lineItems", 0, "offer", "name"),
    ("lineItems", 0, "quantity"),
    ("lineItems", 0, "price"),
    ("payment", "type"),
]
TEXTS = [
    ("messageToSeller",),
    ("buyer", "login"),
    ("buyer", "firstName"),
    ("buyer", "lastName"),
    ("delivery", "address", "street"),
    ("delivery", "address", "city"),
    ("lineItems", 0, "offer", "name"),
]
LIMITS = {"messageToSeller": 10_000, "login": 100, "firstName": 100, "lastName": 100, "street": 200, "city": 100}
ENUMS = [("status",), ("payment", "type"), ("fulfillment", "status")]
TYPED = [
    ("status",),
    ("revision",),
    ("buyer",),
    ("buyer", "id"),
    ("buyer", "email"),
    ("lineItems",),
    ("lineItems", 0, "quantity"),
    ("lineItems", 0, "price", "amount"),
    ("payment", "paidAmount"),
    ("delivery", "address"),
    ("summary", "totalToPay", "amount"),
]
NFD_TEXT = unicodedata.normalize("NFD", "Zażółć gęślą jaźń – Łódź")
EMOJI_TEXT = "Dzięki! 🎁🚀 Proszę o szybką wysyłkę 👍🏽"


def _set(doc, path, value):
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def _delete(doc, path):
    for key in path[:-1]:
        doc = doc[key]
    del doc[path[-1]]


wrong_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just("nie-liczba"),
    st.just(float("inf")),
)


@st.composite
def mutations(draw):
    kind = draw(st.sampled_from(["missing", "wrong_type", "enum", "huge", "nul", "emoji", "nfd"]))
    form = valid_form()
    if kind == "missing":
        path = draw(st.sampled_from(REQUIRED))
        _delete(form, path)
    elif kind == "wrong_type":
        path = draw(st.sampled_from(TYPED))
        _set(form, path, draw(wrong_values))
    elif kind == "enum":
        path = draw(st.sampled_from(ENUMS))
        _set(form, path, draw(st.text(min_size=1, max_size=20).filter(lambda s: s.strip() not in ("NEW",))) + "_X")
    elif kind == "huge":
        path = draw(st.sampled_from(TEXTS))
        limit = LIMITS.get(path[-1], 1000)
        _set(form, path, "ż" * (limit + draw(st.integers(min_value=1, max_value=50_000))))
    elif kind == "nul":
        path = draw(st.sampled_from(TEXTS))
        text = "Tekst"
        at = draw(st.integers(min_value=0, max_value=len(text)))
        _set(form, path, text[:at] + "\x00" + text[at:])
    else:
        path = draw(st.sampled_from(TEXTS))
        _set(form, path, NFD_TEXT if kind == "nfd" else EMOJI_TEXT)
    return kind, path, form


@pytest.fixture
def account(db):
    app = AllegroApp(name="Emu", environment=Environment.CUSTOM, client_id="c", api_url="http://127.0.0.1:9")
    app.client_secret = "s"
    app.save()
    return AllegroAccount.objects.create(
        app=app, name="Konto", seller_id="44556677", login="demo-seller", state=ConnectionState.CONNECTED
    )


class _Rollback(Exception):
    pass


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mutations())
def test_malformed_forms_are_quarantined_and_nothing_is_half_written(account, case):
    kind, path, form = case
    payload = copy.deepcopy(form)
    try:
        with transaction.atomic():
            make_product(sku="HYP-1", stock=10)
            result = order_import_checkout_forms(account=account, payloads=[payload])
            _check(kind, path, form, result)
            raise _Rollback()
    except _Rollback:
        pass


def _check(kind, path, form, result):
    must_quarantine = kind in ("missing", "enum", "huge", "nul")
    quarantined = CheckoutQuarantine.objects.filter(resolved_at__isnull=True)
    if must_quarantine or result.quarantined:
        assert result.quarantined == 1, (kind, path)
        assert quarantined.get().checkout_form_id == FORM_ID
        assert quarantined.get().reason
        # Nothing half-written.
        assert not Order.objects.exists() and not OrderLine.objects.exists()
        assert not AllegroCheckout.objects.exists()
        assert not Customer.objects.exists() and not CustomerAllegroIdentity.objects.exists()
        assert not StockMovement.objects.exists()
        assert Product.objects.get().stock == 10
        return
    assert not quarantined.exists()
    order = Order.objects.get()
    assert order.lines.count() == len(form["lineItems"])
    # Stock taken for what fits; a line that does not fit (a quantity over the stock) is kept and flagged.
    lines = list(order.lines.all())
    reserved = sum(line.quantity for line in lines if line.stock_reserved)
    assert Product.objects.get().stock == 10 - reserved >= 0
    assert all(line.stock_reserved or line.problem for line in lines)
    if sum(li["quantity"] for li in form["lineItems"]) <= 10:
        assert reserved == sum(li["quantity"] for li in form["lineItems"])
    assert AllegroCheckout.objects.get().order == order
    assert Customer.objects.count() == 1
    if kind in ("emoji", "nfd"):
        expected = unicodedata.normalize("NFC", NFD_TEXT if kind == "nfd" else EMOJI_TEXT)
        stored = {
            ("messageToSeller",): order.buyer_message,
            ("buyer", "login"): CustomerAllegroIdentity.objects.get().login,
            ("buyer", "firstName"): Customer.objects.get().first_name,
            ("buyer", "lastName"): Customer.objects.get().last_name,
            ("delivery", "address", "street"): order.delivery_street,
            ("delivery", "address", "city"): order.delivery_city,
            ("lineItems", 0, "offer", "name"): order.lines.get().name,
        }[path]
        assert stored == expected[: len(stored)] and unicodedata.is_normalized("NFC", stored)
    assert order.total >= Decimal("0")


def test_a_valid_form_imports(account):
    make_product(sku="HYP-1", stock=10)
    result = order_import_checkout_forms(account=account, payloads=[valid_form()])
    assert result.created == 1
    again = order_import_checkout_forms(account=account, payloads=[valid_form()])
    assert again.unchanged == 1 and Order.objects.count() == 1
