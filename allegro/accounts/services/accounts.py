"""Allegro apps and accounts: the OAuth authorisation, safe token refresh, and the API client
bound to an account."""

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.accounts.models import AllegroAccount, AllegroApp, ConnectionState, token_fingerprint
from allegro.core.models import EventKind
from allegro.core.services.events import event_log
from allegro.core.services.leases import leases_check_held
from allegro.core.services.ratelimit_storage import DatabaseSlotStorage
from allegro.integration.client import (
    AllegroClient,
    AllegroError,
    AllegroRateLimited,
    AllegroReauthRequired,
    AllegroRetryLater,
    ApiResponse,
    Endpoints,
    TokenSet,
)
from allegro.integration.ratelimit import RateLimiter, RedisSlotStorage, configured_limits

# Refresh this long before the access token expires, so no call meets an expired token.
REFRESH_MARGIN = timedelta(minutes=5)
OAUTH_STATE_TTL = 600  # seconds a started authorisation stays valid
SESSION_KEY = "allegro_oauth_pending"


class AuthorizationRefused(Exception):
    """The OAuth callback could not be accepted; the message is for the staff member."""


def oauth_redirect_uri() -> str:
    """The one redirect URI to register at apps.developer.allegro.pl (a constant: Allegro matches it exactly)."""
    return settings.SELLY_PUBLIC_URL.rstrip("/") + reverse("allegro:oauth_callback")


_shared_limiter: RateLimiter | None = None
_shared_limiter_lock = threading.Lock()


def shared_limiter() -> RateLimiter:
    """The process's one rate limiter, given to every client it builds. Its slots are in Redis when REDIS_URL is
    set and in the database otherwise, so every web and worker process shares them either way."""
    global _shared_limiter
    with _shared_limiter_lock:
        if _shared_limiter is None:
            redis_url = getattr(settings, "REDIS_URL", "") or None
            storage = RedisSlotStorage(redis_url=redis_url) if redis_url else DatabaseSlotStorage()
            _shared_limiter = RateLimiter(storage=storage)
        return _shared_limiter


def _endpoints(app: AllegroApp) -> Endpoints:
    return Endpoints(api=app.url("api"), auth=app.url("auth"), upload=app.url("upload"))


def app_client(*, app: AllegroApp) -> AllegroClient:
    """A client for OAuth calls and app-only resources of ``app``."""
    return AllegroClient(
        endpoints=_endpoints(app),
        client_id=app.client_id,
        client_secret=lambda: app.client_secret,
        token_provider=AppTokenProvider(app=app),
        limiter=shared_limiter(),
        limits=configured_limits(),
        rate_limited_wait=getattr(settings, "ALLEGRO_429_WAIT_SECONDS", 60.0),
    )


@dataclass(frozen=True)
class CredentialsCheck:
    """The outcome of trying an application's credentials: ``refused`` when Allegro said they are wrong (the
    application must not be saved so), ``unchecked`` when Allegro could not be asked (saved, with a warning);
    ``message`` is what staff read, in their language, with what to do."""

    refused: bool = False
    unchecked: bool = False
    message: str = ""


def app_credentials_check(*, app: AllegroApp) -> CredentialsCheck:
    """Try ``app``'s Client ID and Client Secret (saved or not) with a client-credentials token call, the
    cheapest call that proves both: a wrong secret is caught when the application is saved, not at the first
    authorisation or listing."""
    try:
        app_client(app=app).client_credentials()
    except (AllegroRetryLater, AllegroRateLimited) as exc:
        return CredentialsCheck(
            unchecked=True,
            message=_(
                "Allegro did not answer at %(url)s, so Client ID and Client Secret could not be checked (%(error)s). "
                "The application is saved; open its setup checklist in a moment to check them."
            )
            % {"url": app.url("auth"), "error": exc.status or _("no answer")},
        )
    except AllegroError as exc:
        code = ": ".join(str(part) for part in (exc.status, next((e.code for e in exc.errors if e.code), "")) if part)
        return CredentialsCheck(
            refused=True,
            message=_(
                "Allegro did not accept this Client ID and Client Secret (%(code)s). Check the Client Secret in "
                "REST API – aplikacje at apps.developer.allegro.pl (“Zobacz” next to the application), copy it "
                "again without spaces, and check that the environment matches the application."
            )
            % {"code": code},
        )
    return CredentialsCheck()


class AppTokenProvider:
    """client_credentials tokens for public resources (categories, delivery methods), kept in memory."""

    def __init__(self, *, app: AllegroApp) -> None:
        self.app = app
        self._token = ""
        self._expires = 0.0

    def get(self, *, stale: str | None = None) -> str:
        if not self._token or stale == self._token or time.time() > self._expires - 300:
            client = AllegroClient(
                endpoints=_endpoints(self.app),
                client_id=self.app.client_id,
                client_secret=lambda: self.app.client_secret,
            )
            tokens = client.client_credentials()
            self._token, self._expires = tokens.access_token, time.time() + tokens.expires_in
        return self._token


class AccountTokenProvider:
    """Access tokens of one account; refreshes ahead of expiry, one refresh at a time across all
    processes (a row lock), re-reading the stored token after the lock: a used refresh token dies 60 s later,
    so two processes must not both spend it."""

    def __init__(self, *, account: AllegroAccount) -> None:
        self.account_id = account.pk
        self._token = account.access_token if account.access_token_encrypted else ""
        self._expires_at = account.token_expires_at

    def _fresh_enough(self, token: str, expires_at) -> bool:
        return bool(token) and expires_at is not None and expires_at - REFRESH_MARGIN > timezone.now()

    def get(self, *, stale: str | None = None) -> str:
        if stale is None and self._fresh_enough(self._token, self._expires_at):
            return self._token
        token, expires_at = account_refresh_token(account_id=self.account_id, stale=stale)
        self._token, self._expires_at = token, expires_at
        return token


def account_refresh_token(
    *, account_id: int, stale: str | None = None, force: bool = False
) -> tuple[str, datetime | None]:
    """Return a valid access token of the account, refreshing it if it is stale or about to expire.

    Under a row lock: the first caller refreshes and stores the new pair before anyone uses it;
    the others wait for the lock, re-read, and find the fresh token. ``invalid_grant`` marks the
    account "needs re-authorisation" and raises AllegroReauthRequired: no further calls.
    """
    failure: AllegroReauthRequired | None = None
    with transaction.atomic():
        # The no-op UPDATE takes the write lock first on SQLite too (it has no SELECT ... FOR UPDATE).
        AllegroAccount.objects.filter(pk=account_id).update(token_refreshed_at=F("token_refreshed_at"))
        account = AllegroAccount.objects.select_for_update().select_related("app").get(pk=account_id)
        if account.state != ConnectionState.CONNECTED:
            raise AllegroReauthRequired(_("The Allegro account %(name)s needs re-authorisation.") % {"name": account})
        current = account.access_token if account.access_token_encrypted else ""
        expires_at = account.token_expires_at
        still_good = current and expires_at and expires_at - REFRESH_MARGIN > timezone.now()
        if not force and still_good and current != stale:
            return current, expires_at
        client = AllegroClient(
            endpoints=_endpoints(account.app),
            client_id=account.app.client_id,
            client_secret=lambda: account.app.client_secret,
        )
        try:
            tokens = client.refresh_tokens(refresh_token=account.refresh_token)
        except AllegroReauthRequired as exc:
            account.state = ConnectionState.NEEDS_REAUTH
            account.last_error = _("Allegro rejected the refresh token (%(reason)s). Authorise the account again.") % {
                "reason": exc.errors[0].code if exc.errors else "invalid_grant"
            }
            account.save(update_fields=["state", "last_error"])
            event_log(
                kind=EventKind.TOKEN,
                action="token_refresh_rejected",
                message=account.last_error,
                account=account,
                success=False,
                trace_id=exc.trace_id,
            )
            failure = exc
        else:
            _store_tokens(account, tokens)
            account.save(
                update_fields=[
                    "access_token_encrypted",
                    "refresh_token_encrypted",
                    "token_expires_at",
                    "token_refreshed_at",
                    "scopes",
                ]
            )
            event_log(
                kind=EventKind.TOKEN,
                action="token_refreshed",
                message=_("Token refreshed (fingerprint %(fp)s).") % {"fp": token_fingerprint(tokens.access_token)},
                account=account,
            )
            return tokens.access_token, account.token_expires_at
    raise failure


def _store_tokens(account: AllegroAccount, tokens: TokenSet) -> None:
    account.access_token = tokens.access_token
    account.refresh_token = tokens.refresh_token
    account.token_expires_at = timezone.now() + timedelta(seconds=tokens.expires_in)
    account.token_refreshed_at = timezone.now()
    account.scopes = tokens.scope


# "Last successful call" is a sign of life shown to the nearest half minute: a mass listing making thousands of
# calls writes the account row once every 30 s, not once per call.
LAST_SUCCESS_STAMP_EVERY = timedelta(seconds=30)
UNLOGGED_WRITES = frozenset({"/sale/images"})


def account_client(*, account: AllegroAccount) -> AllegroClient:
    """The API client of a connected account. Successful calls stamp ``last_success_at``;
    every write and every failed call goes to the event log."""
    if account.state == ConnectionState.NEEDS_REAUTH:
        raise AllegroReauthRequired(_("The Allegro account %(name)s needs re-authorisation.") % {"name": account})

    def on_call(response: ApiResponse | None, error: AllegroError | None) -> None:
        if response is not None:
            now = timezone.now()
            stamped = account.last_success_at
            if stamped is None or now - stamped >= LAST_SUCCESS_STAMP_EVERY:  # not one UPDATE per call
                AllegroAccount.objects.filter(pk=account.pk).update(last_success_at=now)
                account.last_success_at = now
            # Image uploads are left out: they change nothing a seller sees, and the listing that sends them
            # logs its own outcome (a mass listing would otherwise log two entries per offer).
            if response.method != "GET" and response.path not in UNLOGGED_WRITES:
                event_log(
                    kind=EventKind.SETTINGS if "/sale/offer" not in response.path else EventKind.OFFER,
                    action=f"{response.method} {response.path}"[:60],
                    message=_("Allegro accepted %(method)s %(path)s (HTTP %(status)s).")
                    % {"method": response.method, "path": response.path, "status": response.status},
                    account=account,
                    request_summary={"method": response.method, "path": response.path},
                    response_summary=response.summary(),
                    trace_id=response.trace_id,
                )
        elif error is not None:
            event_log(
                kind=EventKind.ERROR,
                action=f"{error.method} {error.path}"[:60],
                message="; ".join(error.user_messages),
                account=account,
                success=False,
                request_summary={"method": error.method, "path": error.path},
                response_summary={"status": error.status, "codes": [e.code for e in error.errors]},
                trace_id=error.trace_id,
            )

    return AllegroClient(
        endpoints=_endpoints(account.app),
        client_id=account.app.client_id,
        client_secret=lambda: account.app.client_secret,
        token_provider=AccountTokenProvider(account=account),
        seller_key=account.seller_id or f"account-{account.pk}",
        limiter=shared_limiter(),
        limits=configured_limits(),
        rate_limited_wait=getattr(settings, "ALLEGRO_429_WAIT_SECONDS", 60.0),
        on_call=on_call,
        before_write=leases_check_held,
    )


# --- OAuth authorisation ----------------------------------------------------------------------


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def account_authorization_start(*, account: AllegroAccount, session, user) -> str:
    """Remember a fresh state and PKCE verifier in the staff member's session; return the URL to send them to."""
    state = secrets.token_urlsafe(32)
    verifier, challenge = _pkce_pair()
    pending = {
        key: value
        for key, value in session.get(SESSION_KEY, {}).items()
        if value.get("created", 0) > time.time() - OAUTH_STATE_TTL
    }
    pending[state] = {"account": account.pk, "verifier": verifier, "user": user.pk, "created": time.time()}
    session[SESSION_KEY] = dict(list(pending.items())[-5:])
    session.modified = True
    client = AllegroClient(
        endpoints=_endpoints(account.app),
        client_id=account.app.client_id,
        client_secret=lambda: account.app.client_secret,
    )
    event_log(
        kind=EventKind.CONNECTION,
        action="authorization_started",
        message=_("Authorisation started by %(user)s.") % {"user": user.get_username()},
        account=account,
        actor=user,
    )
    return client.authorize_url(redirect_uri=oauth_redirect_uri(), state=state, code_challenge=challenge)


def account_authorization_complete(*, session, user, params: dict) -> AllegroAccount:
    """Accept the callback: state must be one we issued to this session and user, unused and
    younger than 10 minutes — checked before the code is exchanged. Raises AuthorizationRefused."""
    account, entry = _authorization_pending(session=session, user=user, params=params)
    code = params.get("code", "")
    if not code:
        raise AuthorizationRefused(_("Allegro did not send an authorisation code."))
    tokens, me = _authorization_exchange(account=account, user=user, code=code, verifier=entry["verifier"])
    return _authorization_store(account=account, user=user, tokens=tokens, me=me)


def _authorization_pending(*, session, user, params: dict) -> tuple[AllegroAccount, dict]:
    """The account whose authorisation this callback answers, with the pending entry (spent here: a state is
    used once). A refusal on Allegro's side is logged and refused."""
    state = params.get("state", "")
    pending = session.get(SESSION_KEY, {})
    entry = pending.pop(state, None) if state else None
    session[SESSION_KEY] = pending
    session.modified = True
    if entry is None:
        raise AuthorizationRefused(_("This authorisation link is not valid (unknown or already used). Start again."))
    if entry.get("user") != user.pk:
        raise AuthorizationRefused(_("This authorisation was started by another user. Start again."))
    if entry.get("created", 0) < time.time() - OAUTH_STATE_TTL:
        raise AuthorizationRefused(_("The authorisation took longer than 10 minutes. Start again."))
    account = AllegroAccount.objects.select_related("app").filter(pk=entry.get("account")).first()
    if account is None:
        raise AuthorizationRefused(_("The account no longer exists."))
    if params.get("error"):
        event_log(
            kind=EventKind.CONNECTION,
            action="authorization_denied",
            message=_("The seller refused access on Allegro (%(error)s).") % {"error": params["error"][:50]},
            account=account,
            success=False,
            actor=user,
        )
        raise AuthorizationRefused(_("Access was refused on Allegro. The account was not connected."))
    return account, entry


def _authorization_exchange(*, account: AllegroAccount, user, code: str, verifier: str):
    """The code exchanged for tokens (PKCE verifier) and the seller those tokens belong to (GET /me)."""
    app = account.app
    client = AllegroClient(
        endpoints=_endpoints(app),
        client_id=app.client_id,
        client_secret=lambda: app.client_secret,
    )
    try:
        tokens = client.exchange_code(code=code, redirect_uri=oauth_redirect_uri(), code_verifier=verifier)
        me_client = AllegroClient(
            endpoints=_endpoints(app),
            client_id=app.client_id,
            client_secret=lambda: app.client_secret,
            token_provider=_FixedToken(tokens.access_token),
        )
        me = me_client.get_me()
    except AllegroError as exc:
        event_log(
            kind=EventKind.CONNECTION,
            action="authorization_failed",
            message=str(exc),
            account=account,
            success=False,
            trace_id=exc.trace_id,
            actor=user,
        )
        raise AuthorizationRefused(_("Allegro refused the authorisation: %(reason)s") % {"reason": exc}) from None
    return tokens, me


def _authorization_store(*, account: AllegroAccount, user, tokens, me) -> AllegroAccount:
    """Connect the account to the seller, unless it belongs to another seller or the seller is already
    connected as another account of this application."""
    with transaction.atomic():
        account = AllegroAccount.objects.select_for_update().select_related("app").get(pk=account.pk)
        if account.seller_id and account.seller_id != me.id:
            raise AuthorizationRefused(
                _(
                    "You signed in on Allegro as %(login)s, but this account belongs to another seller (%(stored)s). "
                    "Log out of Allegro and authorise as %(stored)s, or add a new account."
                )
                % {"login": me.login, "stored": account.login or account.seller_id}
            )
        duplicate = AllegroAccount.objects.filter(app=account.app, seller_id=me.id).exclude(pk=account.pk).first()
        if duplicate is not None:
            raise AuthorizationRefused(
                _("The seller %(login)s is already connected as the account “%(name)s”.")
                % {"login": me.login, "name": duplicate.name}
            )
        account.seller_id = me.id
        account.login = me.login
        account.state = ConnectionState.CONNECTED
        account.last_error = ""
        account.last_success_at = timezone.now()
        _store_tokens(account, tokens)
        account.save()
        event_log(
            kind=EventKind.CONNECTION,
            action="authorized",
            message=_("Connected as %(login)s (token %(fp)s).")
            % {"login": me.login, "fp": token_fingerprint(tokens.access_token)},
            account=account,
            actor=user,
        )
    return account


class _FixedToken:
    def __init__(self, token: str) -> None:
        self._token = token

    def get(self, *, stale: str | None = None) -> str:
        return self._token


def account_disconnect(*, account: AllegroAccount, actor=None) -> None:
    """Forget the tokens; the account stays with its settings and can be authorised again."""
    account.access_token = ""
    account.refresh_token = ""
    account.token_expires_at = None
    account.state = ConnectionState.DISCONNECTED
    account.save(update_fields=["access_token_encrypted", "refresh_token_encrypted", "token_expires_at", "state"])
    event_log(
        kind=EventKind.CONNECTION,
        action="disconnected",
        message=_("Account disconnected."),
        account=account,
        actor=actor,
    )


def accounts_refresh_expiring(*, within: timedelta = timedelta(hours=1)) -> int:
    """Refresh every connected account whose token expires soon (beat calls this; keeps the
    90-day refresh token alive even when nothing else calls Allegro)."""
    done = 0
    soon = timezone.now() + within
    for account_id in AllegroAccount.objects.filter(
        state=ConnectionState.CONNECTED, token_expires_at__lt=soon
    ).values_list("pk", flat=True):
        try:
            account_refresh_token(account_id=account_id, force=True)
            done += 1
        except AllegroError:
            continue
    return done
