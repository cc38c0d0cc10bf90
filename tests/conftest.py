"""Fixtures every test can use: staff users, the offline Allegro emulator (one process per test session,
from tests/emulator_support.py, shared by integration and browser tests) and an Allegro app and account
pointing at it (built by tests/factories.py)."""

import pytest
from django.db import connection

from tests.factories import connect_account, make_emulator_app

pytest_plugins = ["tests.emulator_support"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache: what one test cached (the banner's heartbeat, an account's
    choices) must not change another's pages or query counts."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def staff_user(django_user_model):
    """A staff member with every permission of the shop, orders and Allegro apps (not a superuser)."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(
        "pracownik", "pracownik@example.com", "haslo-pracownika", is_staff=True
    )
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["shop", "orders", "allegro"]))
    return user


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def allegro_app(emulator, db, settings):
    """An AllegroApp pointing at the freshly reset emulator (Allegro's 429 waits cut short)."""
    settings.ALLEGRO_429_WAIT_SECONDS = 0.2
    return make_emulator_app(emulator)


@pytest.fixture
def connected_account(emulator, allegro_app):
    """The emulator's demo seller, connected to `allegro_app` (tokens stored as the OAuth callback would)."""
    return connect_account(emulator, allegro_app)


def pytest_generate_tests(metafunc):
    """Tests marked `untidy` run once more against untidy emulator answers (tests/emulator_support.py)."""
    from tests.emulator_support import parametrize_untidy

    parametrize_untidy(metafunc)
