"""Token refresh of an account against scripted HTTP: rotation stored before use, invalid_grant stops all calls."""

from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from allegro.accounts.models import AllegroAccount, AllegroApp, ConnectionState, Environment
from allegro.accounts.services.accounts import account_client
from allegro.core.models import EventLogEntry
from allegro.integration.client import AllegroReauthRequired

pytestmark = pytest.mark.django_db
BASE = "https://emu.test"


@pytest.fixture
def account():
    app = AllegroApp(
        name="A", environment=Environment.CUSTOM, client_id="cid", api_url=BASE, auth_url=BASE, upload_url=BASE
    )
    app.client_secret = "csecret"
    app.save()
    account = AllegroAccount(app=app, name="Konto", seller_id="5", login="sprzedawca", state=ConnectionState.CONNECTED)
    account.access_token = "old-access"
    account.refresh_token = "old-refresh"
    account.token_expires_at = timezone.now() + timedelta(seconds=30)  # inside the refresh margin
    account.save()
    return account


def _token_body(n):
    return {"access_token": f"access-{n}", "refresh_token": f"refresh-{n}", "expires_in": 43199, "scope": "s"}


@responses.activate
def test_token_is_refreshed_ahead_of_expiry_and_stored_before_use(account):
    responses.post(f"{BASE}/auth/oauth/token", json=_token_body(2))
    responses.get(f"{BASE}/me", json={"id": "5", "login": "sprzedawca"})

    account_client(account=account).get_me()

    assert [c.request.url.split("?")[0] for c in responses.calls] == [f"{BASE}/auth/oauth/token", f"{BASE}/me"]
    assert "refresh_token=old-refresh" in responses.calls[0].request.body
    assert responses.calls[1].request.headers["Authorization"] == "Bearer access-2"
    stored = AllegroAccount.objects.get(pk=account.pk)
    assert (stored.access_token, stored.refresh_token) == ("access-2", "refresh-2")
    assert stored.token_expires_at > timezone.now() + timedelta(hours=11)
    entry = EventLogEntry.objects.get(action="token_refreshed")
    assert "access-2" not in entry.message and "refresh" not in str(entry.request_summary)


@responses.activate
def test_rejected_refresh_marks_needs_reauth_and_makes_no_further_calls(account):
    responses.post(
        f"{BASE}/auth/oauth/token",
        status=400,
        json={"error": "invalid_grant", "error_description": "Invalid refresh token"},
    )
    client = account_client(account=account)
    with pytest.raises(AllegroReauthRequired):
        client.get_me()
    calls_after_failure = len(responses.calls)
    with pytest.raises(AllegroReauthRequired):
        client.get_me()
    with pytest.raises(AllegroReauthRequired):
        account_client(account=AllegroAccount.objects.get(pk=account.pk))

    assert calls_after_failure == 1
    assert len(responses.calls) == 1  # nothing else went to Allegro
    stored = AllegroAccount.objects.get(pk=account.pk)
    assert stored.state == ConnectionState.NEEDS_REAUTH
    assert "invalid_grant" in stored.last_error
    assert EventLogEntry.objects.filter(action="token_refresh_rejected", success=False).exists()


@responses.activate
def test_a_token_refreshed_by_another_worker_is_reused(account):
    # Another worker refreshed while we waited for the lock: the stored token is fresh, no second refresh.
    AllegroAccount.objects.filter(pk=account.pk).update(token_expires_at=timezone.now() + timedelta(hours=12))
    fresh = AllegroAccount.objects.get(pk=account.pk)
    fresh.access_token = "access-from-other-worker"
    fresh.save(update_fields=["access_token_encrypted"])
    responses.get(f"{BASE}/me", json={"id": "5", "login": "sprzedawca"})

    account_client(account=account).get_me()  # our copy still thinks the old token is about to expire

    assert [c.request.url for c in responses.calls] == [f"{BASE}/me"]
    assert responses.calls[0].request.headers["Authorization"] == "Bearer access-from-other-worker"
