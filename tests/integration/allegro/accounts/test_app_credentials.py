"""Saving an Allegro application tries its Client ID and Client Secret against Allegro (the emulator here,
which answers a wrong secret with 401 invalid_client): a refused secret is an error under the field in
Polish with what to do, and nothing is saved; an unreachable Allegro saves with a warning."""

import pytest
from django.urls import reverse

from allegro.accounts.models import AllegroApp, Environment
from allegro.accounts.services.accounts import app_credentials_check
from tests.factories import make_emulator_app

pytestmark = pytest.mark.django_db


def _form(emulator, **changes) -> dict:
    data = {
        "name": "Mój sklep",
        "environment": Environment.CUSTOM,
        "client_id": "demo-client",
        "client_secret": "demo-secret",
        "api_url": emulator.base_url,
        "auth_url": emulator.base_url,
        "upload_url": emulator.base_url,
    }
    data.update(changes)
    return data


def _token_calls(emulator, since):
    return [r for r in emulator.requests(since) if r["path"] == "/auth/oauth/token"]


def test_a_wrong_secret_is_refused_under_its_field_in_polish(staff_client, emulator):
    since = emulator.requests()[-1]["seq"] if emulator.requests() else 0
    response = staff_client.post(reverse("admin:allegro_allegroapp_add"), _form(emulator, client_secret="zly-sekret"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["client_secret"]
    assert len(errors) == 1
    assert "Allegro nie przyjęło tego Client ID i Client Secret (401: Unauthorized)." in errors[0]
    assert "Sprawdź Client Secret w REST API – aplikacje" in errors[0]
    assert "zly-sekret" not in response.content.decode()
    assert not AllegroApp.objects.exists()
    calls = _token_calls(emulator, since)
    assert [c["status"] for c in calls] == [401]


def test_the_right_secret_is_saved_after_one_check(staff_client, emulator):
    since = emulator.requests()[-1]["seq"] if emulator.requests() else 0
    response = staff_client.post(reverse("admin:allegro_allegroapp_add"), _form(emulator))
    assert response.status_code == 302
    assert AllegroApp.objects.get().client_secret == "demo-secret"
    assert [c["status"] for c in _token_calls(emulator, since)] == [200]


def test_changing_only_the_name_does_not_call_allegro_and_a_new_secret_is_checked(staff_client, emulator):
    app = make_emulator_app(emulator)
    url = reverse("admin:allegro_allegroapp_change", args=[app.pk])
    since = emulator.requests()[-1]["seq"] if emulator.requests() else 0
    assert staff_client.post(url, _form(emulator, name="Nowa nazwa", client_secret="")).status_code == 302
    assert _token_calls(emulator, since) == []

    refused = staff_client.post(url, _form(emulator, client_secret="inny-zly"))
    assert refused.status_code == 200
    assert "Sprawdź Client Secret" in refused.context["adminform"].form.errors["client_secret"][0]
    app.refresh_from_db()
    assert app.client_secret == "demo-secret" and app.name == "Nowa nazwa"


def test_an_unreachable_allegro_saves_with_a_polish_warning(staff_client, emulator):
    emulator.add_fault("^/auth/oauth/token$", status=503, times=1)
    response = staff_client.post(reverse("admin:allegro_allegroapp_add"), _form(emulator), follow=True)
    assert response.status_code == 200
    assert AllegroApp.objects.exists()
    warnings = [str(m) for m in response.context["messages"]]
    assert any("nie można było sprawdzić" in m for m in warnings), warnings


def test_the_service_answers_refused_for_a_wrong_secret(emulator):
    app = AllegroApp(environment=Environment.CUSTOM, client_id="demo-client", api_url=emulator.base_url)
    app.client_secret = "zly"
    outcome = app_credentials_check(app=app)
    assert outcome.refused and not outcome.unchecked
    app.client_secret = "demo-secret"
    assert app_credentials_check(app=app) == type(outcome)()
