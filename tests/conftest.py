import pytest
from django.db import connection


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


# The offline Allegro emulator (one process per test session), shared by integration and browser tests.
from tests.emulator_support import contract, emulator, emulator_server, parametrize_untidy  # noqa: E402,F401


def pytest_generate_tests(metafunc):
    parametrize_untidy(metafunc)
