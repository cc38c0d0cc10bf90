"""Login throttling (django-axes): repeated failures lock the user name out for that client address;
the address is REMOTE_ADDR unless trusted proxies are configured, so a forged X-Forwarded-For
neither escapes the lock nor locks someone else out."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("magazyn", password="poprawne-haslo-123", is_staff=True)


def _attempt(client, password, **headers):
    return client.post(LOGIN, {"username": "magazyn", "password": password, "next": "/admin/"}, **headers)


def test_five_failures_lock_the_login_even_with_the_right_password(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _attempt(client, "zle").status_code == 200  # the login form again, with an error
    assert _attempt(client, "zle").status_code == 429  # the failure that reaches the limit locks
    response = _attempt(client, "poprawne-haslo-123")
    assert response.status_code == 429
    assert "Zbyt wiele nieudanych logowań" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_resets_the_count(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _attempt(client, "zle")
    assert _attempt(client, "poprawne-haslo-123").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _attempt(client, "zle")
    assert _attempt(client, "poprawne-haslo-123").status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_lock(client, staff, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "zle", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    response = _attempt(client, "poprawne-haslo-123", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429


def test_another_address_is_not_locked_out(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "zle", REMOTE_ADDR="192.0.2.10")
    response = _attempt(client, "poprawne-haslo-123", REMOTE_ADDR="192.0.2.20")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
