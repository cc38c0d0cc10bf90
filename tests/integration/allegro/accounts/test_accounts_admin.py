"""Account pages against the emulator: checklist (panel and command), settings dropdowns,
secrets kept out of the HTML, the re-authorisation notice and the account switcher."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.accounts.services.checklist import account_checklist
from allegro.accounts.services.settings import account_fetch_choices
from allegro.core.models import EventLogEntry, WorkerHeartbeat
from tests.factories import connect_account

pytestmark = pytest.mark.django_db


def _by_name(checks):
    return {str(c.name): c for c in checks}


def test_checklist_is_green_for_a_configured_account(emulator, connected_account):
    choices = account_fetch_choices(account=connected_account)
    connected_account.implied_warranty_id = choices["implied-warranties"][0]["id"]
    connected_account.return_policy_id = choices["return-policies"][0]["id"]
    connected_account.shipping_rates_id = choices["shipping-rates"][0]["id"]
    connected_account.save()
    WorkerHeartbeat.objects.create(name="worker", seen_at=timezone.now())

    checks = account_checklist(account=connected_account)

    failed = [f"{c.name}: {c.message}" for c in checks if not c.ok]
    assert failed == []
    assert {"Dane aplikacji", "Autoryzacja", "Uprawnienia", "Praca w tle", "Cennik dostaw"} <= set(_by_name(checks))


def test_checklist_tells_what_to_do_for_a_new_seller(emulator, allegro_app):
    emulator.add_seller("nowy-sprzedawca")  # no conditions, no shipping rates
    account = connect_account(emulator, allegro_app, login="nowy-sprzedawca")
    checks = _by_name(account_checklist(account=account))

    assert not checks["Warunki zwrotów"].ok and "Brak zdefiniowanych" in checks["Warunki zwrotów"].message
    assert checks["Warunki zwrotów"].fix
    assert not checks["Cennik dostaw"].ok
    assert not checks["Praca w tle"].ok
    assert checks["Autoryzacja"].ok


def test_checklist_reports_wrong_credentials_and_unreachable_allegro(emulator, allegro_app):
    account = AllegroAccount.objects.create(app=allegro_app, name="Bez autoryzacji")
    allegro_app.client_secret = "zly-sekret"
    allegro_app.save()
    checks = _by_name(account_checklist(account=account))
    assert not checks["Dane aplikacji"].ok
    assert not checks["Autoryzacja"].ok

    allegro_app.api_url = allegro_app.auth_url = "http://127.0.0.1:9"  # nothing listens there
    allegro_app.save()
    checks = _by_name(account_checklist(account=account))
    assert not checks["Allegro osiągalne"].ok


def test_allegro_check_command_prints_lines_and_fails_on_red(emulator, connected_account):
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("allegro_check", "--account", connected_account.login, stdout=out)
    text = out.getvalue()
    assert "OK" in text and "FAIL" in text and "Praca w tle" in text

    with pytest.raises(CommandError):
        call_command("allegro_check", "--account", "nie-ma-takiego")


def test_settings_dropdowns_come_from_allegro_and_changes_are_logged(admin_client, emulator, connected_account):
    url = reverse("admin:allegro_allegroaccount_change", args=[connected_account.pk])
    admin_client.post(reverse("admin:allegro_allegroaccount_refresh_lists", args=[connected_account.pk]))
    connected_account.refresh_from_db()
    policy = connected_account.choices_cache["return-policies"][0]
    page = admin_client.get(url).content.decode()
    assert policy["name"] in page

    form = {
        "name": connected_account.name,
        "app": connected_account.app_id,
        "return_policy_id": policy["id"],
        "warranty_id": "",
        "implied_warranty_id": "",
        "shipping_rates_id": "",
        "default_duration": "",
        "default_quantity": "1",
        "location_province": "MAZOWIECKIE",
        "location_city": "Warszawa",
        "location_post_code": "00950",  # malformed
        "invoice_type": "VAT",
        "handling_time": "PT24H",
        "price_markup_percent": "0",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 200
    assert "Kod pocztowy musi mieć postać 00-000" in response.content.decode()
    unchanged = AllegroAccount.objects.get(pk=connected_account.pk)
    assert (unchanged.location_city, unchanged.location_province) == ("", "")  # nothing of the bad form saved
    # The seller has one return policy: fetching the lists chose it already.
    assert unchanged.return_policy_id == policy["id"]

    form["location_post_code"] = "00-950"
    response = admin_client.post(url, form)
    assert response.status_code == 302
    saved = AllegroAccount.objects.get(pk=connected_account.pk)
    assert (saved.return_policy_id, saved.location_city, saved.location_post_code) == (
        policy["id"],
        "Warszawa",
        "00-950",
    )
    assert EventLogEntry.objects.filter(action="account_settings_changed", account=connected_account).exists()


def test_secrets_never_reach_the_html(admin_client, emulator, connected_account):
    pages = [
        reverse("admin:allegro_allegroapp_change", args=[connected_account.app_id]),
        reverse("admin:allegro_allegroapp_changelist"),
        reverse("admin:allegro_allegroaccount_change", args=[connected_account.pk]),
        reverse("admin:allegro_allegroaccount_changelist"),
        reverse("admin:allegro_eventlogentry_changelist"),
    ]
    for url in pages:
        html = admin_client.get(url).content.decode()
        for secret in ("demo-secret", connected_account.access_token, connected_account.refresh_token):
            assert secret not in html, url
        assert "encrypted" not in html


def test_needs_reauth_shows_a_notice_with_a_one_click_link(admin_client, emulator, connected_account):
    AllegroAccount.objects.filter(pk=connected_account.pk).update(state=ConnectionState.NEEDS_REAUTH)
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "wymaga ponownej autoryzacji" in page
    assert reverse("admin:allegro_allegroaccount_authorize", args=[connected_account.pk]) in page


def test_account_switcher_remembers_the_current_account(admin_client, emulator, allegro_app):
    first = AllegroAccount.objects.create(app=allegro_app, name="Pierwsze")
    second = AllegroAccount.objects.create(app=allegro_app, name="Drugie")
    response = admin_client.post(reverse("allegro:switch_account"), {"account": second.pk, "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert f'<option value="{second.pk}" selected>' in page
    assert f'<option value="{first.pk}">' in page

    response = admin_client.post(
        reverse("allegro:switch_account"), {"account": second.pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("admin:index")


def test_expiring_tokens_are_refreshed_by_the_periodic_task(emulator, connected_account):
    from allegro.accounts.tasks import accounts_refresh_tokens

    AllegroAccount.objects.filter(pk=connected_account.pk).update(
        token_expires_at=timezone.now() + timedelta(minutes=30)
    )
    old = connected_account.access_token
    before = emulator.stats()["token_refreshes"]
    assert accounts_refresh_tokens() == 1
    assert emulator.stats()["token_refreshes"] == before + 1
    assert AllegroAccount.objects.get(pk=connected_account.pk).access_token != old
