"""Control API: rate limits, faults, clock, latency, stats, request log, persistence across restarts."""

import threading
import time

import pytest
import requests

from tests.integration.conftest import EmulatorProcess


def test_client_rate_limit_gives_429_and_blocks_until_a_minute_passes(emulator):
    emulator.set_settings(rate_limits={"client_per_minute": 5})
    api = emulator.api(emulator.app_token())
    statuses = [api.get(emulator.url("/sale/delivery-methods")).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    assert api.get(emulator.url("/sale/delivery-methods")).json()["errors"][0]["code"] == "TooManyRequestsException"
    emulator.clock(61)
    assert api.get(emulator.url("/sale/delivery-methods")).status_code == 200


def test_fault_with_status_and_times_counts_down(emulator):
    api = emulator.api(emulator.app_token())
    emulator.add_fault(r"^/sale/delivery-methods$", method="GET", status=503, times=2)
    assert [api.get(emulator.url("/sale/delivery-methods")).status_code for _ in range(3)] == [503, 503, 200]


def test_fault_with_custom_body_and_delay(emulator):
    api = emulator.api(emulator.app_token())
    body = {"errors": [{"code": "InternalServerError", "message": "boom", "userMessage": "Błąd"}]}
    emulator.add_fault(r"^/sale/categories", status=500, body=body, delay_ms=200, times=1)
    started = time.monotonic()
    resp = api.get(emulator.url("/sale/categories"))
    assert resp.status_code == 500 and resp.json() == body and time.monotonic() - started >= 0.2
    emulator.add_fault(r"^/sale/categories")  # delay-only/no-status faults pass through
    assert api.get(emulator.url("/sale/categories")).status_code == 200
    emulator.clear_faults()
    assert emulator.get("faults")["faults"] == []


def test_reset_waits_for_a_delayed_request_whose_client_gave_up(emulator):
    api = emulator.api(emulator.app_token())
    emulator.add_fault(r"^/sale/delivery-methods$", method="GET", delay_ms=1000, times=1)
    with pytest.raises(requests.Timeout):
        api.get(emulator.url("/sale/delivery-methods"), timeout=0.2)
    started = time.monotonic()
    emulator.reset()
    assert time.monotonic() - started >= 0.5  # it waited for the sleeping answer to finish...
    time.sleep(0.3)
    assert emulator.requests() == []  # ...so nothing from before the reset lands after it


def test_clock_moves_forward(emulator):
    before = emulator.get("health")["clock_offset_seconds"]
    after = emulator.clock(3600)
    assert after["clock_offset_seconds"] == before + 3600


def test_latency_applies_to_api_calls_and_parallel_calls_overlap(emulator):
    emulator.set_settings(latency_ms=300)
    api = emulator.api(emulator.app_token())
    started = time.monotonic()
    threads = [threading.Thread(target=api.get, args=(emulator.url("/sale/delivery-methods"),)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 1.0
    control_started = time.monotonic()
    emulator.stats()
    assert time.monotonic() - control_started < 0.3


def test_stats_and_request_log_without_secrets(emulator):
    token = emulator.user_token()
    since = emulator.requests()[-1]["seq"]
    api = emulator.api(token["access_token"])
    api.get(emulator.url("/me"))
    api.get(emulator.url("/sale/categories/nope"))
    emulator.token_request({"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    log = emulator.requests(since)
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/me", 200),
        ("GET", "/sale/categories/nope", 404),
        ("POST", "/auth/oauth/token", 200),
    ]
    assert all("duration_ms" in e for e in log)
    text = str(emulator.requests(0))
    assert token["refresh_token"] not in text and token["access_token"] not in text and "demo-secret" not in text
    stats = emulator.stats()
    assert stats["by_route"]["GET /me"] == 1 and stats["by_status"]["404"] == 1
    assert stats["by_seller"] and stats["token_refreshes"] == 1


@pytest.mark.slow
def test_state_persists_across_restart(emulator, tmp_path):
    server = EmulatorProcess(tmp_path / "state.sqlite3")
    server.start()
    try:
        from tests.integration.conftest import Emulator

        other = Emulator(server, emulator.contract)
        token = other.user_token()
        seller_id = other.add_seller("trwaly-sklep")
        other.set_settings(auto_approve=True)
        other.clock(100)
        server.restart()
        me = other.api(token["access_token"]).get(other.url("/me"))
        assert me.status_code == 200
        assert other.get("settings")["auto_approve"] is True
        assert other.get("health")["clock_offset_seconds"] >= 100
        refreshed = other.token_request({"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
        assert refreshed.status_code == 200
        assert other.post("sellers", {"login": "inny"})["id"] != seller_id
    finally:
        server.stop()


def test_parallel_writers_do_not_trip_over_each_other(emulator):
    from concurrent.futures import ThreadPoolExecutor

    tokens = [emulator.user_token()["access_token"] for _ in range(3)]

    def create(i: int) -> int:
        api = emulator.api(tokens[i % 3])
        rate = {
            "deliveryMethod": {"id": "2488f7b7-5d1c-4d65-b85c-4cbcf253fd93"},
            "maxQuantityPerPackage": 1,
            "firstItemRate": {"amount": "9.99", "currency": "PLN"},
            "nextItemRate": {"amount": "0.00", "currency": "PLN"},
        }
        resp = api.post(
            emulator.url("/sale/shipping-rates"),
            json={"name": f"Cennik {i}", "rates": [rate]},
            headers={"Content-Type": "application/vnd.allegro.public.v1+json"},
        )
        return resp.status_code

    with ThreadPoolExecutor(16) as pool:
        assert set(pool.map(create, range(48))) == {201}
    listed = emulator.api(tokens[0]).get(emulator.url("/sale/shipping-rates")).json()["shippingRates"]
    assert len(listed) == 49
