"""OAuth: authorization code + PKCE, refresh rotation with grace, client credentials, /me."""

import base64
import json
from urllib.parse import parse_qs, urlsplit

from tests.integration.conftest import DEMO_REDIRECT


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _code_grant(emulator, code, verifier, redirect_uri=DEMO_REDIRECT):
    return emulator.token_request(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    )


def test_consent_page_is_polish_and_deny_redirects_with_access_denied(emulator):
    params = {"response_type": "code", "client_id": "demo-client", "redirect_uri": DEMO_REDIRECT, "state": "abc"}
    page = emulator.http.get(emulator.url("/auth/oauth/authorize"), params=params, timeout=5)
    assert page.status_code == 200
    assert "Zezwól" in page.text and "Odmów" in page.text and 'method="post"' in page.text
    denied = emulator.http.post(
        emulator.url("/auth/oauth/authorize"), data={**params, "decision": "deny"}, allow_redirects=False, timeout=5
    )
    assert denied.status_code == 302
    query = parse_qs(urlsplit(denied.headers["Location"]).query)
    assert query == {"error": ["access_denied"], "state": ["abc"]}


def test_code_flow_gives_a_12h_jwt_with_the_seller_id_and_me_answers(emulator):
    token = emulator.user_token()
    assert token["expires_in"] == 43199 and token["token_type"] == "bearer" and token["refresh_token"]
    claims = _claims(token["access_token"])
    assert {"user_name", "client_id", "scope", "exp", "jti"} <= set(claims)
    me = emulator.api(token["access_token"]).get(emulator.url("/me"))
    assert me.status_code == 200
    body = me.json()
    assert body["id"] == claims["user_name"] and body["login"] == "demo-seller"
    assert body["baseMarketplace"] == {"id": "allegro-pl"}


def test_auto_approve_redirects_straight_back_with_code_and_state(emulator):
    emulator.set_settings(auto_approve=True)
    resp = emulator.http.get(
        emulator.url("/auth/oauth/authorize"),
        params={"response_type": "code", "client_id": "demo-client", "redirect_uri": DEMO_REDIRECT, "state": "s1"},
        allow_redirects=False,
        timeout=5,
    )
    assert resp.status_code == 302
    query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert query["state"] == ["s1"] and query["code"]


def test_pkce_wrong_verifier_is_rejected(emulator):
    code, _ = emulator.authorize()
    resp = _code_grant(emulator, code, "not-the-verifier-" + "x" * 40)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_code_is_single_use(emulator):
    code, verifier = emulator.authorize()
    assert _code_grant(emulator, code, verifier).status_code == 200
    again = _code_grant(emulator, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_code_expires_after_its_ttl(emulator):
    code, verifier = emulator.authorize()
    emulator.clock(11)
    resp = _code_grant(emulator, code, verifier)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_a_registered_one(emulator):
    resp = emulator.http.get(
        emulator.url("/auth/oauth/authorize"),
        params={"response_type": "code", "client_id": "demo-client", "redirect_uri": "http://evil.example/cb"},
        allow_redirects=False,
        timeout=5,
    )
    assert resp.status_code == 400 and "Location" not in resp.headers
    code, verifier = emulator.authorize()
    other = _code_grant(emulator, code, verifier, redirect_uri="http://localhost:8000/allegro/oauth/callback/")
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"


def test_bad_client_credentials_get_401_unauthorized(emulator):
    resp = emulator.token_request({"grant_type": "client_credentials"}, client=("demo-client", "wrong"))
    assert resp.status_code == 401 and resp.json()["error"] == "Unauthorized"
    missing = emulator.http.post(emulator.url("/auth/oauth/token"), params={"grant_type": "client_credentials"})
    assert missing.status_code == 401


def test_refresh_rotates_with_grace_then_invalid_grant_and_kills_old_access_token(emulator):
    first = emulator.user_token()
    refreshed = emulator.token_request({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    # the refreshed pair's old access token is dead at once
    old = emulator.api(first["access_token"]).get(emulator.url("/me"))
    assert old.status_code == 401 and old.json()["error"] == "invalid_token"
    assert emulator.api(second["access_token"]).get(emulator.url("/me")).status_code == 200
    # the used refresh token still works inside the 60 s grace (a retry after a dropped connection) ...
    emulator.clock(30)
    retry = emulator.token_request({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert retry.status_code == 200
    # ... and not after it
    emulator.clock(31)
    late = emulator.token_request({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    assert emulator.stats()["token_refreshes"] == 2


def test_access_token_expires_after_12_hours(emulator):
    token = emulator.user_token()["access_token"]
    emulator.clock(43200)
    resp = emulator.api(token).get(emulator.url("/me"))
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_token"


def test_client_credentials_token_reads_catalogue_but_not_me(emulator):
    token = emulator.app_token()
    api = emulator.api(token)
    assert api.get(emulator.url("/sale/categories")).status_code == 200
    assert api.get(emulator.url("/sale/delivery-methods")).status_code == 200
    assert api.get(emulator.url("/sale/categories/257933/parameters")).status_code == 200
    assert api.get(emulator.url("/sale/matching-categories"), params={"name": "słuchawki"}).status_code == 200
    assert api.get(emulator.url("/me")).status_code == 500
    assert api.get(emulator.url("/sale/shipping-rates")).status_code == 403


def test_missing_or_garbage_bearer_gets_401(emulator):
    assert emulator.api().get(emulator.url("/me")).status_code == 401
    assert emulator.api("abc.def.ghi").get(emulator.url("/me")).json()["error"] == "invalid_token"


def test_registered_app_and_new_seller_can_authorize(emulator):
    emulator.post("apps", {"client_id": "shop-2", "client_secret": "s2", "redirect_uris": [DEMO_REDIRECT]})
    seller_id = emulator.add_seller("sklep-nowy")
    token = emulator.user_token(login="sklep-nowy", client=("shop-2", "s2"))
    assert _claims(token["access_token"])["user_name"] == seller_id
    assert _claims(token["access_token"])["client_id"] == "shop-2"


def test_device_flow_pending_then_token_after_confirmation(emulator):
    start = emulator.http.post(
        emulator.url("/auth/oauth/device"),
        data={"client_id": "demo-client"},
        auth=("demo-client", "demo-secret"),
        timeout=5,
    )
    assert start.status_code == 200
    body = start.json()
    grant = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": body["device_code"]}
    assert emulator.token_request(grant).json()["error"] == "authorization_pending"
    confirm = emulator.http.post(
        emulator.url("/skojarz-aplikacje"),
        data={"code": body["user_code"], "login": "demo-seller", "decision": "allow"},
        timeout=5,
    )
    assert confirm.status_code == 200
    token = emulator.token_request(grant)
    assert token.status_code == 200 and token.json()["refresh_token"]
