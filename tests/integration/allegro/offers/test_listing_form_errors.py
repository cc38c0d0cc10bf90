# ruff: noqa: F811 - the listing fixtures (account, kettles) are shared with test_offers.py by import
"""The "Wystaw na Allegro" form reports every problem in one pass, each under its own field: the form's
type errors and the offer's rules together; a long title is named, never cut; nothing reaches Allegro."""

from decimal import Decimal

import pytest
from django.urls import reverse

from allegro.categories.models import CategoryForm
from allegro.offers.models import Offer
from tests.integration.allegro.offers.test_offers import GPSR, KETTLE, NOWY, STAN, account, kettle, kettles  # noqa: F401
from tests.integration.allegro.offers.test_offers_admin import form_data, staff  # noqa: F401

LONG_TITLE = "Czajnik elektryczny Bosch TWK 1,7 l ze stali nierdzewnej z filtrem i podświetleniem wody"  # 87


def _post_posts(emulator, since):
    return [r for r in emulator.requests(since) if r["method"] in ("POST", "PUT", "PATCH")]


@pytest.fixture
def listing(staff, kettles, account):
    CategoryForm.objects.filter(allegro_category_id=KETTLE).update(values=[])
    product = kettle(kettles, name="Czajnik Bosch TWK", price=Decimal("100.00"), stock=4)
    url = reverse("admin:allegro_offer_list_product", args=[product.pk])
    page = staff.get(url)
    assert page.status_code == 200
    return url, form_data(page.context, **GPSR)


def test_every_error_is_shown_at_once_under_its_field(staff, listing, emulator):
    url, data = listing
    assert len(LONG_TITLE) > 75
    data.update(title=LONG_TITLE, quantity="9", price="abc", new_producer="Nowy Producent Sp. z o.o.")
    data.pop(f"param-{STAN}", None)  # the required "Stan" left empty
    since = emulator.requests()[-1]["seq"]

    response = staff.post(url, data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert f"Tytuł: najwyżej 75 znaków (ma {len(LONG_TITLE)})." in errors["title"]
    assert "Liczba sztuk: w magazynie jest tylko 4 szt." in errors["quantity"]
    assert "Wpisz liczbę." in errors["price"]
    assert any(f.id == STAN and f.errors for f in response.context["parameter_fields"])
    assert "Popraw poniższe błędy. Nic nie zostało wysłane." in response.context["other_errors"]
    # The long title is kept as typed: no maxlength cut in the browser, no silent cut on the server.
    html = response.content.decode()
    assert f'value="{LONG_TITLE}"' in html and 'maxlength="' not in html.split('name="title"')[1].split(">")[0]
    assert not _post_posts(emulator, since)  # no offer and no new responsible producer on Allegro
    assert Offer.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"quantity": "-3"}, "quantity", "Liczba sztuk: do wystawienia potrzebna jest co najmniej 1 sztuka."),
        ({"quantity": "0"}, "quantity", "Liczba sztuk: do wystawienia potrzebna jest co najmniej 1 sztuka."),
        ({"quantity": "dwa"}, "quantity", "Podaj liczbę całkowitą."),
        ({"price": "-5"}, "price", "Cena musi być większa od zera."),
        ({"price": "10.001"}, "price", "Cena: najwyżej 2 cyfry po przecinku."),
        ({"title": ""}, "title", "To pole jest wymagane."),
    ],
)
def test_each_bound_has_one_polish_message_on_its_field(staff, listing, changes, field, message):
    url, data = listing
    data[f"param-{STAN}"] = [NOWY]
    data.update(changes)
    response = staff.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert Offer.objects.count() == 0


def test_a_title_of_exactly_75_characters_is_listed(staff, listing):
    url, data = listing
    data[f"param-{STAN}"] = [NOWY]
    data["title"] = ("Czajnik elektryczny Bosch TWK ze stali nierdzewnej, 1,7 l, filtr " + "x" * 20)[:75]
    response = staff.post(url, data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert len(Offer.objects.get().title) == 75
