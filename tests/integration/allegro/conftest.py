"""Allegro integration fixtures: an AllegroApp pointing at the emulator and a connected account."""

from datetime import timedelta

import pytest
from django.utils import timezone

from allegro.accounts.models import AllegroAccount, AllegroApp, ConnectionState
from tests.factories import make_emulator_app


@pytest.fixture
def allegro_app(emulator, db, settings):
    settings.ALLEGRO_429_WAIT_SECONDS = 0.2
    return make_emulator_app(emulator)


def connect_account(
    emulator, app: AllegroApp, *, login: str = "demo-seller", name: str = "Konto testowe"
) -> AllegroAccount:
    """An account connected the short way: a token from the emulator's consent flow, stored as the callback would."""
    tokens = emulator.user_token(login=login)
    me = emulator.api(tokens["access_token"]).get(emulator.url("/me")).json()
    account = AllegroAccount(app=app, name=name, seller_id=str(me["id"]), login=me.get("login") or login)
    account.access_token = tokens["access_token"]
    account.refresh_token = tokens["refresh_token"]
    account.token_expires_at = timezone.now() + timedelta(seconds=tokens["expires_in"])
    account.scopes = tokens.get("scope", "")
    account.state = ConnectionState.CONNECTED
    account.save()
    return account


@pytest.fixture
def connected_account(emulator, allegro_app):
    return connect_account(emulator, allegro_app)
