"""The public offer page /oferta/<id> and its "Kup teraz" test purchase."""

from __future__ import annotations

import re

from tests.emulator_support import make_offer, offer_row

DESCRIPTION = {
    "sections": [
        {
            "items": [
                {"type": "TEXT", "content": "<h1>Aparat Lumix</h1><p>Świetny <b>aparat</b> dla każdego.</p>"},
                {"type": "IMAGE", "url": "https://a.allegroimg.com/original/11/opis.jpg"},
            ]
        },
        {
            "items": [
                {
                    "type": "TEXT",
                    "content": '<p onclick="x()">Zestaw:</p><ul><li>korpus</li></ul>'
                    "<script>alert('xss')</script><img src=x onerror=alert(1)><a href=\"javascript:1\">link</a>",
                }
            ]
        },
    ]
}
IMAGES = ["https://a.allegroimg.com/original/11/front.jpg", "https://a.allegroimg.com/original/11/back.jpg"]


def test_offer_page_renders_like_allegro_and_escapes_foreign_html(emulator):
    offer_id = make_offer(
        emulator,
        price="1299.00",
        stock=7,
        name="Aparat Lumix G7 <nowy>",
        data={"images": IMAGES, "description": DESCRIPTION},
    )
    resp = emulator.http.get(emulator.url(f"/oferta/{offer_id}"), timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")
    page = resp.text
    assert "<h1>Aparat Lumix G7 &lt;nowy&gt;</h1>" in page
    assert "1 299,00 zł" in page
    assert "Dostępnych sztuk: 7" in page
    for url in IMAGES + ["https://a.allegroimg.com/original/11/opis.jpg"]:
        assert f'src="{url}"' in page
    assert "<p>Świetny <b>aparat</b> dla każdego.</p>" in page
    assert "<ul><li>korpus</li></ul>" in page
    assert "<script" not in page.lower() and "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in page
    assert "onerror" not in re.sub(r"&lt;.*?&gt;", "", page)  # only inside escaped text
    assert "onclick" not in re.sub(r"&lt;.*?&gt;", "", page)
    assert '<a href="javascript' not in page
    assert f'action="/oferta/{offer_id}/kup"' in page and "Kup teraz" in page

    assert emulator.http.get(emulator.url("/oferta/123"), timeout=10).status_code == 404


def test_kup_teraz_makes_a_purchase(emulator):
    offer_id = make_offer(emulator, price="25.50", stock=3, data={"images": IMAGES})
    resp = emulator.http.post(emulator.url(f"/oferta/{offer_id}/kup"), data={"quantity": "2"}, timeout=10)
    assert resp.status_code == 200, resp.text
    assert "Dziękujemy za zakup" in resp.text
    form_id = re.search(r'id="checkout-form-id">([0-9a-f-]{36})<', resp.text).group(1)

    api = emulator.api(emulator.user_token()["access_token"])
    form = api.get(emulator.url(f"/order/checkout-forms/{form_id}")).json()
    assert form["lineItems"][0]["offer"]["id"] == offer_id and form["lineItems"][0]["quantity"] == 2
    assert form["buyer"]["email"].endswith("@allegromail.pl")
    assert offer_row(emulator, offer_id)["stock_available"] == 1

    too_many = emulator.http.post(emulator.url(f"/oferta/{offer_id}/kup"), data={"quantity": "5"}, timeout=10)
    assert too_many.status_code == 422 and "Nie udało się kupić" in too_many.text
    emulator.http.post(emulator.url(f"/oferta/{offer_id}/kup"), data={"quantity": "1"}, timeout=10)
    ended = emulator.http.get(emulator.url(f"/oferta/{offer_id}"), timeout=10).text
    assert "Oferta zakończona" in ended and "Kup teraz" not in ended
