"""What the description normaliser makes of arbitrary HTML is accepted by the emulator's Allegro-like
validation (the description grammar, byte and section limits) — property-based, on real requests."""

from hypothesis import HealthCheck, given, settings

from allegro.descriptions.services.descriptions import description_from_html
from tests.integration.emulator.test_offers import H, offer_body
from tests.unit.allegro.test_descriptions import html_documents


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(html_documents)
def test_normalised_descriptions_are_accepted_by_allegro(emulator_server, contract, html):
    from tests.emulator_support import Emulator

    emulator = Emulator(emulator_server, contract)
    description = description_from_html(html)
    if not description["sections"]:
        return  # text-free input gives no description; the panel asks for one instead
    api = _api(emulator)
    # An image the description shows must also be in the offer's gallery (Allegro's rule): the panel puts
    # it there when it publishes, so the offer sent here does too.
    pictures = [i["url"] for s in description["sections"] for i in s["items"] if i["type"] == "IMAGE"]
    body = offer_body(
        description=description,
        publication={"status": "INACTIVE"},
        images=["https://cdn.example.pl/a.jpg", *dict.fromkeys(pictures)],
    )
    response = api.post(emulator.url("/sale/product-offers"), json=body, headers=H)
    assert response.status_code == 201, (html, description, response.text)
    errors = [e for e in response.json().get("validation", {}).get("errors", []) if "description" in e.get("path", "")]
    assert errors == [], (html, errors)


_tokens: dict[str, str] = {}


def _api(emulator):
    # One token for the whole property run (the emulator is reset only once, by the first test using it).
    if "token" not in _tokens:
        emulator.reset()
        _tokens["token"] = emulator.user_token()["access_token"]
    return emulator.api(_tokens["token"])
