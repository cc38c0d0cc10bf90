"""A staff member clicks "Autoryzacja", confirms on the emulator's consent page ("Zezwól") and
comes back to a connected account — in a real Chromium."""

import pytest
from django.urls import reverse

from allegro.accounts.models import AllegroAccount, ConnectionState
from tests.factories import make_emulator_app

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_authorisation_through_the_consent_page(page, live_server, admin_login, emulator, settings, screenshot):
    settings.SELLY_PUBLIC_URL = live_server.url
    emulator.post(
        "apps",
        {
            "client_id": "browser-client",
            "client_secret": "browser-secret",
            "redirect_uris": [f"{live_server.url}/allegro/oauth/callback/"],
        },
    )
    app = make_emulator_app(emulator, client_id="browser-client", client_secret="browser-secret")
    account = AllegroAccount.objects.create(app=app, name="Mój sklep")

    base = admin_login()
    page.goto(base + reverse("admin:allegro_allegroaccount_changelist"))
    screenshot("01-konta-allegro")
    page.get_by_role("link", name="Autoryzacja").first.click()
    page.get_by_role("button", name="Autoryzacja").click()

    page.wait_for_url(f"{emulator.base_url}/auth/oauth/authorize*")
    assert "prosi o dostęp" in page.content()
    screenshot("02-zgoda-allegro")
    page.get_by_role("button", name="Zezwól").click()

    page.wait_for_url(f"{base}/admin/allegro/allegroaccount/{account.pk}/change/")
    assert "zostało połączone z Allegro" in page.content()
    screenshot("03-konto-polaczone")
    account.refresh_from_db()
    assert account.state == ConnectionState.CONNECTED
    assert account.login == "demo-seller"
    # The after-sales conditions were fetched on the way back: the dropdowns offer the seller's own.
    assert page.locator("#id_return_policy_id option").count() > 1
    # The token never reaches the page.
    assert account.access_token not in page.content()
    assert account.refresh_token not in page.content()
