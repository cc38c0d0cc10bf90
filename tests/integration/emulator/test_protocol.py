"""Media types, trace ids, error bodies and languages, unknown paths and methods."""

from tests.integration.conftest import BETA, PUBLIC


def test_every_response_has_a_trace_id(emulator):
    token = emulator.user_token()["access_token"]
    ok = emulator.api(token).get(emulator.url("/sale/categories"))
    unauthorized = emulator.api().get(emulator.url("/me"))
    missing = emulator.api(token).get(emulator.url("/sale/categories/nope"))
    traces = {r.headers["trace-id"] for r in (ok, unauthorized, missing)}
    assert len(traces) == 3 and all(traces)


def test_wrong_accept_gets_406_not_acceptable(emulator):
    token = emulator.user_token()["access_token"]
    for accept in ("application/json", BETA, "*/*"):
        resp = emulator.api(token, accept=accept).get(emulator.url("/sale/categories"))
        assert resp.status_code == 406
        assert resp.json()["errors"][0]["code"] == "NotAcceptableException"
    # tax settings accept both public and beta
    beta = emulator.api(token, accept=BETA).get(
        emulator.url("/sale/tax-settings"), params={"category.id": "257933", "countryCode": "PL"}
    )
    assert beta.status_code == 200 and beta.headers["Content-Type"] == BETA


def test_wrong_content_type_gets_415(emulator):
    token = emulator.user_token()["access_token"]
    resp = emulator.api(token).post(
        emulator.url("/sale/shipping-rates"),
        data=b'{"name": "x", "rates": []}',
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 415


def test_user_message_is_polish_for_pl_and_english_otherwise(emulator):
    token = emulator.user_token()["access_token"]
    pl = emulator.api(token, lang="pl-PL").get(emulator.url("/sale/categories/999999999"))
    en = emulator.api(token, lang="en-US").get(emulator.url("/sale/categories/999999999"))
    assert pl.status_code == en.status_code == 404
    pl_error, en_error = pl.json()["errors"][0], en.json()["errors"][0]
    assert pl_error["message"] == en_error["message"]  # message is always English
    assert "Kategoria" in pl_error["userMessage"] and "Category" in en_error["userMessage"]
    assert set(pl_error) == {"code", "message", "details", "path", "userMessage", "metadata"}


def test_method_not_allowed_and_no_delete_of_shipping_rates(emulator):
    token = emulator.user_token()["access_token"]
    api = emulator.api(token)
    rate_id = api.get(emulator.url("/sale/shipping-rates")).json()["shippingRates"][0]["id"]
    resp = api.delete(emulator.url(f"/sale/shipping-rates/{rate_id}"))
    assert resp.status_code == 405


def test_malformed_json_is_400(emulator):
    token = emulator.user_token()["access_token"]
    resp = emulator.api(token).post(
        emulator.url("/sale/shipping-rates"), data=b"{not json", headers={"Content-Type": PUBLIC}
    )
    assert resp.status_code == 400 and resp.json()["errors"][0]["code"] == "JsonMappingException"


def test_other_methods_get_a_json_405_with_allow(emulator):
    token = emulator.user_token()["access_token"]
    for method in ("OPTIONS", "TRACE", "PUT"):
        resp = emulator.api(token).request(method, emulator.url("/sale/product-offers"))
        assert resp.status_code == 405, (method, resp.text)
        assert resp.headers["Allow"] == "POST"
        assert resp.json()["errors"][0]["code"] == "MethodNotAllowed"


def test_wrongly_typed_bodies_are_400_and_nothing_is_stored(emulator):
    token = emulator.user_token()["access_token"]
    api = emulator.api(token)
    before = api.get(emulator.url("/sale/shipping-rates")).json()["shippingRates"]
    for path in ("/sale/product-offers", "/sale/shipping-rates", "/sale/responsible-producers"):
        for body in (b"[]", b"null", b'"text"', b"12"):
            resp = api.post(emulator.url(path), data=body, headers={"Content-Type": PUBLIC})
            assert resp.status_code == 400, (path, body, resp.text)
            assert resp.json()["errors"][0]["code"] == "JsonMappingException"
    resp = api.post(
        emulator.url("/sale/shipping-rates"), json={"name": ["a"], "rates": {}}, headers={"Content-Type": PUBLIC}
    )
    assert resp.status_code == 400
    assert {e["path"] for e in resp.json()["errors"]} == {"name", "rates"}
    assert api.get(emulator.url("/sale/shipping-rates")).json()["shippingRates"] == before


def test_spec_rules_are_422_with_path_and_unknown_properties_are_named(emulator):
    token = emulator.user_token()["access_token"]
    api = emulator.api(token, lang="pl-PL")
    producer = {
        "name": "Producent",
        "producerData": {
            "tradeName": "Firma",
            "address": {"countryCode": "PL", "street": "Ulica 1", "postalCode": "00-001", "city": "Warszawa"},
            "contact": {"formUrl": "https://example.com/" + "x" * 300},
        },
    }
    resp = api.post(emulator.url("/sale/responsible-producers"), json=producer, headers={"Content-Type": PUBLIC})
    assert resp.status_code == 422, resp.text
    error = resp.json()["errors"][0]
    assert error["path"] == "producerData.contact.formUrl" and error["userMessage"].startswith("Wartość może")
    producer["producerData"]["contact"] = {"email": "a@example.com", "fax": "1"}
    resp = api.post(emulator.url("/sale/responsible-producers"), json=producer, headers={"Content-Type": PUBLIC})
    assert resp.status_code == 422
    error = resp.json()["errors"][0]
    assert error["code"] == "UnknownJSONProperty"
    assert error["metadata"] == {"unknownProperties": "producerData.contact.fax"}
    listed = api.get(emulator.url("/sale/responsible-producers")).json()["responsibleProducers"]
    assert all(p["name"] != "Producent" for p in listed)
