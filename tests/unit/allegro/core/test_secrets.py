"""Secrets at rest: bound to their row, rotatable, never readable from another row."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from allegro.accounts.models import AllegroAccount, AllegroApp, Environment
from allegro.core.crypto import SecretUnreadable, secret_is_on_primary_key

pytestmark = pytest.mark.django_db


def _app(name="A", client_id="cid", secret="sekret-aplikacji"):
    app = AllegroApp(name=name, environment=Environment.SANDBOX, client_id=client_id)
    app.client_secret = secret
    app.save()
    return app


def test_secret_is_stored_encrypted_and_read_back():
    app = _app()
    raw = AllegroApp.objects.filter(pk=app.pk).values_list("client_secret_encrypted", flat=True).get()
    assert "sekret-aplikacji" not in raw
    assert AllegroApp.objects.get(pk=app.pk).client_secret == "sekret-aplikacji"


def test_a_ciphertext_copied_into_another_row_does_not_decrypt():
    first, second = _app("A", "c1", "pierwszy"), _app("B", "c2", "drugi")
    AllegroApp.objects.filter(pk=second.pk).update(client_secret_encrypted=first.client_secret_encrypted)
    with pytest.raises(SecretUnreadable):
        AllegroApp.objects.get(pk=second.pk).client_secret


def test_a_ciphertext_moved_to_another_column_does_not_decrypt():
    app = _app()
    account = AllegroAccount(app=app, name="x")
    account.access_token = "dostep"
    account.save()
    AllegroAccount.objects.filter(pk=account.pk).update(refresh_token_encrypted=account.access_token_encrypted)
    with pytest.raises(SecretUnreadable):
        AllegroAccount.objects.get(pk=account.pk).refresh_token


def test_rotation_moves_every_secret_to_the_new_key_and_the_old_key_can_go(settings):
    old_key = settings.SELLY_ENCRYPTION_KEYS[0]
    app = _app(secret="tajne")
    account = AllegroAccount(app=app, name="konto")
    account.access_token, account.refresh_token = "access-1", "refresh-1"
    account.save()

    new_key = Fernet.generate_key().decode()
    settings.SELLY_ENCRYPTION_KEYS = [new_key, old_key]
    assert not secret_is_on_primary_key(AllegroApp.objects.get(pk=app.pk).client_secret_encrypted)
    call_command("rotate_encryption_keys")
    call_command("rotate_encryption_keys")  # resumable: a second run finds nothing to do

    settings.SELLY_ENCRYPTION_KEYS = [new_key]  # the old key removed
    assert AllegroApp.objects.get(pk=app.pk).client_secret == "tajne"
    account = AllegroAccount.objects.get(pk=account.pk)
    assert (account.access_token, account.refresh_token) == ("access-1", "refresh-1")


def test_rotation_is_resumable_after_an_interruption(settings):
    old_key = settings.SELLY_ENCRYPTION_KEYS[0]
    apps = [_app(f"A{i}", f"c{i}", f"s{i}") for i in range(3)]
    new_key = Fernet.generate_key().decode()
    settings.SELLY_ENCRYPTION_KEYS = [new_key, old_key]
    # Interrupted after the first row: only it is on the new key.
    from allegro.core.crypto import secret_rotate

    first = AllegroApp.objects.get(pk=apps[0].pk)
    AllegroApp.objects.filter(pk=first.pk).update(client_secret_encrypted=secret_rotate(first.client_secret_encrypted))
    call_command("rotate_encryption_keys")
    settings.SELLY_ENCRYPTION_KEYS = [new_key]
    assert [AllegroApp.objects.get(pk=a.pk).client_secret for a in apps] == ["s0", "s1", "s2"]


def test_without_the_key_nothing_decrypts(settings):
    app = _app()
    settings.SELLY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(SecretUnreadable):
        AllegroApp.objects.get(pk=app.pk).client_secret
