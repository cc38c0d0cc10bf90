"""The authorisation of an account against the emulator, through the panel's own views.

Every refused callback must be refused before the code is exchanged: the emulator's request log
shows zero calls to the token endpoint for it.
"""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.accounts.services.accounts import SESSION_KEY
from allegro.core.models import EventLogEntry
from allegro.shipping.models import ShippingRateSet

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(allegro_app):
    return AllegroAccount.objects.create(app=allegro_app, name="Sklep główny")


def _start(client, account) -> str:
    """POST "Autoryzacja" and return the emulator's authorize URL we were sent to."""
    response = client.post(reverse("admin:allegro_allegroaccount_authorize", args=[account.pk]))
    assert response.status_code == 302
    return response["Location"]


def _consent(authorize_url: str, *, decision: str = "allow", login: str = "demo-seller") -> dict:
    """Play the seller on the emulator's consent page; return the callback's query parameters."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    base = authorize_url.split("/auth/oauth/authorize")[0]
    page = requests.get(authorize_url, timeout=10)
    assert page.status_code == 200 and "Zezwól" in page.text
    response = requests.post(
        f"{base}/auth/oauth/authorize",
        data={**query, "login": login, "decision": decision},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith("http://127.0.0.1:8000/allegro/oauth/callback/")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _token_calls(emulator) -> int:
    return sum(1 for r in emulator.requests() if r["path"] == "/auth/oauth/token")


def test_full_authorisation_connects_the_account(admin_client, emulator, account, django_capture_on_commit_callbacks):
    authorize_url = _start(admin_client, account)
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/allegro/oauth/callback/"]
    assert len(query["state"][0]) >= 32

    params = _consent(authorize_url)
    with django_capture_on_commit_callbacks() as after_commit:
        response = admin_client.get(reverse("allegro:oauth_callback"), params)

    assert response.status_code == 302
    assert _token_calls(emulator) == 1  # the code, exchanged once
    for callback in after_commit:
        callback()
    # The seller's price lists on Allegro are in the panel at once (no "Pobierz z Allegro" needed).
    assert ShippingRateSet.objects.filter(account=account).exists()
    account.refresh_from_db()
    assert account.state == ConnectionState.CONNECTED
    assert account.login == "demo-seller" and account.seller_id
    assert account.access_token and account.refresh_token
    assert account.access_token not in account.access_token_encrypted
    entry = EventLogEntry.objects.get(action="authorized", account=account)
    assert account.access_token not in entry.message


def test_refusal_on_allegro_leaves_the_account_disconnected(admin_client, emulator, account):
    params = _consent(_start(admin_client, account), decision="deny")
    response = admin_client.get(reverse("allegro:oauth_callback"), params, follow=True)
    assert "Odmówiono dostępu" in response.content.decode()
    account.refresh_from_db()
    assert account.state == ConnectionState.DISCONNECTED
    assert _token_calls(emulator) == 0


@pytest.mark.parametrize("case", ["forged", "missing", "expired", "replayed", "other_session", "other_user"])
def test_bad_state_is_refused_without_exchanging_the_code(
    case, admin_client, client, django_user_model, emulator, account
):
    params = _consent(_start(admin_client, account))
    if case == "forged":
        params["state"] = "x" * 43
    elif case == "missing":
        params.pop("state")
    elif case == "expired":
        session = admin_client.session
        pending = session[SESSION_KEY]
        for value in pending.values():
            value["created"] = time.time() - 601
        session[SESSION_KEY] = pending
        session.save()
    elif case == "replayed":
        assert admin_client.get(reverse("allegro:oauth_callback"), params).status_code == 302
        AllegroAccount.objects.filter(pk=account.pk).update(state=ConnectionState.DISCONNECTED, seller_id="", login="")
    elif case == "other_session":
        other = django_user_model.objects.get(username="admin")
        client.force_login(other)  # the same user, but a different browser session
        admin_client = client
    elif case == "other_user":
        session = admin_client.session
        pending = session[SESSION_KEY]
        for value in pending.values():
            value["user"] = -1
        session[SESSION_KEY] = pending
        session.save()
    calls_before = _token_calls(emulator)

    response = admin_client.get(reverse("allegro:oauth_callback"), params, follow=True)

    assert response.status_code == 200
    assert "Zacznij od nowa" in response.content.decode()
    assert _token_calls(emulator) == calls_before
    account.refresh_from_db()
    assert account.state == ConnectionState.DISCONNECTED


def test_anonymous_callback_is_sent_to_the_login_page(client, emulator, account):
    response = client.get(reverse("allegro:oauth_callback"), {"code": "abc", "state": "def"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert _token_calls(emulator) == 0


def test_a_used_code_cannot_be_exchanged_again(emulator, allegro_app):
    from allegro.accounts.services.accounts import app_client
    from allegro.integration.client import AllegroReauthRequired

    code, verifier = emulator.authorize()
    client = app_client(app=allegro_app)
    redirect = "http://127.0.0.1:8000/allegro/oauth/callback/"
    client.exchange_code(code=code, redirect_uri=redirect, code_verifier=verifier)
    with pytest.raises(AllegroReauthRequired):
        client.exchange_code(code=code, redirect_uri=redirect, code_verifier=verifier)


def test_the_pkce_verifier_is_checked(admin_client, emulator, account):
    params = _consent(_start(admin_client, account))
    session = admin_client.session
    pending = session[SESSION_KEY]
    pending[params["state"]]["verifier"] = "a-verifier-that-does-not-match-the-challenge-" + "x" * 20
    session[SESSION_KEY] = pending
    session.save()

    response = admin_client.get(reverse("allegro:oauth_callback"), params, follow=True)

    assert "Allegro odrzuciło autoryzację" in response.content.decode()
    account.refresh_from_db()
    assert account.state == ConnectionState.DISCONNECTED


def test_reauthorising_as_another_seller_is_refused(admin_client, emulator, account):
    emulator.add_seller("inny-sprzedawca")
    params = _consent(_start(admin_client, account))
    admin_client.get(reverse("allegro:oauth_callback"), params)
    account.refresh_from_db()
    first_seller = account.seller_id

    params = _consent(_start(admin_client, account), login="inny-sprzedawca")
    response = admin_client.get(reverse("allegro:oauth_callback"), params, follow=True)

    assert "należy do innego sprzedawcy" in response.content.decode()
    account.refresh_from_db()
    assert account.seller_id == first_seller and account.login == "demo-seller"


def test_staff_without_the_permission_cannot_start(staff_client, emulator, account, staff_user):
    from django.contrib.auth.models import Permission

    staff_user.user_permissions.remove(Permission.objects.get(codename="authorize_account"))
    response = staff_client.post(reverse("admin:allegro_allegroaccount_authorize", args=[account.pk]))
    assert response.status_code == 403
