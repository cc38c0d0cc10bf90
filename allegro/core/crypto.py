"""Secrets at rest: MultiFernet with keys from SELLY_ENCRYPTION_KEYS (the first encrypts).

Each ciphertext is bound to the row and field it belongs to: the plaintext carries a context
("allegro.allegroaccount:<row uuid>:refresh_token") that is checked on decryption, so a ciphertext
copied into another row (or another column) does not decrypt there.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_SEPARATOR = "\x1f"


class SecretUnreadable(Exception):
    """The ciphertext is corrupt, belongs to another row, or no configured key opens it."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("SELLY_ENCRYPTION_KEYS is empty.")
    try:
        return MultiFernet([Fernet(key.strip().encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"SELLY_ENCRYPTION_KEYS holds an invalid Fernet key: {exc}") from None


def _current() -> MultiFernet:
    return _fernet(tuple(settings.SELLY_ENCRYPTION_KEYS))


def secret_encrypt(value: str, *, context: str) -> str:
    return _current().encrypt(f"{context}{_SEPARATOR}{value}".encode()).decode()


def secret_decrypt(token: str, *, context: str) -> str:
    try:
        plain = _current().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise SecretUnreadable("no configured key opens this secret") from None
    found, _, value = plain.partition(_SEPARATOR)
    if found != context:
        raise SecretUnreadable("this secret belongs to another row")
    return value


def secret_is_on_primary_key(token: str) -> bool:
    """True when the first (newest) key alone opens the ciphertext."""
    primary = Fernet(settings.SELLY_ENCRYPTION_KEYS[0].strip().encode())
    try:
        primary.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def secret_rotate(token: str) -> str:
    """Re-encrypt with the first key, keeping the bound context."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("no configured key opens this secret") from None


class EncryptedSecret:
    """A model attribute stored encrypted in ``column`` (a TextField), bound to the row's ``secret_uuid``.

    Reading gives the plain value ("" when empty); assigning encrypts. The plain value never
    reaches the database, forms, ``repr`` or the admin.
    """

    def __init__(self, column: str) -> None:
        self.column = column

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def context(self, obj) -> str:
        return f"{obj._meta.label_lower}:{obj.secret_uuid}:{self.name}"

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        token = getattr(obj, self.column)
        return secret_decrypt(token, context=self.context(obj)) if token else ""

    def __set__(self, obj, value: str) -> None:
        setattr(obj, self.column, secret_encrypt(value, context=self.context(obj)) if value else "")
