"""AllegroClient against scripted HTTP (responses): exact call sequences for auth, limits and errors."""

import logging

import pytest
import responses
from responses import matchers

from allegro.integration.client import (
    PUBLIC_MEDIA,
    AllegroClient,
    AllegroRateLimited,
    AllegroRetryLater,
    AllegroValidationError,
    Endpoints,
)

API = "https://api.allegro.test"
ENDPOINTS = Endpoints(api=API, auth="https://auth.allegro.test", upload="https://upload.allegro.test")


class FakeTokens:
    """Hands out token-1, then token-2 after a refresh is asked for."""

    def __init__(self):
        self.current = "token-1"
        self.refreshes = []

    def get(self, *, stale=None):
        if stale is not None:
            self.refreshes.append(stale)
            self.current = f"token-{len(self.refreshes) + 1}"
        return self.current


def make_client(**kwargs):
    sleeps: list[float] = []
    client = AllegroClient(
        endpoints=ENDPOINTS,
        client_id="cid",
        client_secret=lambda: "csecret",
        token_provider=kwargs.pop("tokens", FakeTokens()),
        sleep=sleeps.append,
        **kwargs,
    )
    return client, sleeps


def _auth(token):
    return matchers.header_matcher({"Authorization": f"Bearer {token}"})


@responses.activate
def test_401_refreshes_once_and_retries_with_the_new_token():
    tokens = FakeTokens()
    client, _ = make_client(tokens=tokens)
    responses.get(f"{API}/me", status=401, json={"error": "invalid_token"}, match=[_auth("token-1")])
    responses.get(f"{API}/me", json={"id": "42", "login": "sprzedawca"}, match=[_auth("token-2")])

    me = client.get_me()

    assert me.id == "42"
    assert tokens.refreshes == ["token-1"]
    assert [c.request.headers["Authorization"] for c in responses.calls] == ["Bearer token-1", "Bearer token-2"]
    assert responses.calls[0].request.headers["Accept"] == PUBLIC_MEDIA
    assert responses.calls[0].request.headers["Accept-Language"] == "pl-PL"


@responses.activate
def test_a_second_401_is_not_refreshed_again():
    tokens = FakeTokens()
    client, _ = make_client(tokens=tokens)
    responses.get(f"{API}/me", status=401, json={"error": "invalid_token"})
    with pytest.raises(Exception) as error:
        client.get_me()
    assert type(error.value).__name__ == "AllegroAuthError"
    assert tokens.refreshes == ["token-1"]
    assert len(responses.calls) == 2


@responses.activate
def test_429_waits_then_retries():
    client, sleeps = make_client(rate_limited_wait=60)
    responses.get(f"{API}/sale/shipping-rates", status=429, json={"errors": [{"code": "TooManyRequests"}]})
    responses.get(f"{API}/sale/shipping-rates", status=429, json={"errors": []}, headers={"Retry-After": "7"})
    responses.get(f"{API}/sale/shipping-rates", json={"shippingRates": [{"id": "s1", "name": "Standard"}]})

    assert client.get_shipping_rates() == [{"id": "s1", "name": "Standard"}]
    assert sleeps == [60, 7.0]
    assert len(responses.calls) == 3


@responses.activate
def test_429_that_does_not_stop_raises_rate_limited():
    client, sleeps = make_client(max_attempts=3, rate_limited_wait=1)
    responses.get(f"{API}/me", status=429, json={"errors": []})
    with pytest.raises(AllegroRateLimited):
        client.get_me()
    assert len(responses.calls) == 3
    assert sleeps == [1, 1]


@responses.activate
def test_5xx_is_retried_a_bounded_number_of_times_with_growing_backoff():
    client, sleeps = make_client(max_attempts=4, backoff_base=0.5)
    responses.get(f"{API}/me", status=503, json={"errors": [{"message": "maintenance"}]})
    with pytest.raises(AllegroRetryLater):
        client.get_me()
    assert len(responses.calls) == 4
    assert len(sleeps) == 3
    assert sleeps[0] < sleeps[2]  # exponential, with jitter of at most ±50%


@responses.activate
def test_post_is_not_repeated_after_a_5xx():
    client, sleeps = make_client()
    responses.post(f"{API}/sale/product-offers", status=500, json={"errors": []})
    with pytest.raises(AllegroRetryLater):
        client.request("POST", "/sale/product-offers", json={"name": "x"})
    assert len(responses.calls) == 1  # the offer may exist now: the caller looks it up by external.id
    assert sleeps == []


@responses.activate
def test_validation_error_carries_path_and_user_message():
    client, _ = make_client()
    responses.post(
        f"{API}/sale/product-offers",
        status=422,
        json={
            "errors": [
                {
                    "code": "VALIDATION_ERROR",
                    "message": "name too long",
                    "path": "name",
                    "userMessage": "Tytuł oferty jest za długi",
                    "details": None,
                }
            ]
        },
        headers={"trace-id": "abc-123"},
    )
    with pytest.raises(AllegroValidationError) as error:
        client.request("POST", "/sale/product-offers", json={"name": "x" * 100})
    assert error.value.errors[0].path == "name"
    assert error.value.user_messages == ["Tytuł oferty jest za długi"]
    assert error.value.trace_id == "abc-123"


@responses.activate
def test_operation_is_followed_by_hand_keeping_the_authorization_header():
    client, sleeps = make_client()
    responses.post(
        f"{API}/sale/product-offers",
        status=202,
        headers={"Location": f"{API}/sale/product-offers/77/operations/op1", "Retry-After": "2"},
        json={"id": "77"},
    )
    responses.get(f"{API}/sale/product-offers/77/operations/op1", status=202, headers={"Retry-After": "1"}, json={})
    responses.get(
        f"{API}/sale/product-offers/77/operations/op1",
        status=303,
        headers={"Location": f"{API}/sale/product-offers/77"},
    )
    responses.get(f"{API}/sale/product-offers/77", json={"id": "77", "publication": {"status": "ACTIVE"}})

    first = client.request("POST", "/sale/product-offers", json={})
    final = client.wait_for_operation(first)

    assert final.data["publication"]["status"] == "ACTIVE"
    assert sleeps == [2.0, 1.0]
    assert all(c.request.headers.get("Authorization") == "Bearer token-1" for c in responses.calls)


@responses.activate
def test_logs_never_contain_tokens_or_the_client_secret(caplog):
    client, _ = make_client()
    responses.get(f"{API}/me", json={"id": "1", "login": "x"}, headers={"trace-id": "t-1"})
    responses.post(
        "https://auth.allegro.test/auth/oauth/token",
        json={"access_token": "SECRET-ACCESS", "refresh_token": "SECRET-REFRESH", "expires_in": 43199, "scope": "a"},
    )
    with caplog.at_level(logging.DEBUG):
        client.get_me()
        tokens = client.refresh_tokens(refresh_token="OLD-REFRESH")
    text = caplog.text + repr(tokens)
    for secret in ("token-1", "csecret", "SECRET-ACCESS", "SECRET-REFRESH", "OLD-REFRESH"):
        assert secret not in text
    assert "trace-id=t-1" in caplog.text
