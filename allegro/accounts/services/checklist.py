"""The setup checklist of an account: live checks, each green or red with what to do next.

Other parts of the integration add their checks with ``register_check`` (e.g. category mapping).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.accounts.models import REQUIRED_SCOPES, AllegroAccount, ConnectionState
from allegro.accounts.services.accounts import account_client, app_client
from allegro.accounts.services.settings import account_fetch_choices
from allegro.core.models import WorkerHeartbeat
from allegro.integration.client import AllegroError, AllegroRetryLater

HEARTBEAT_MAX_AGE = timedelta(minutes=3)


@dataclass
class Check:
    name: str
    ok: bool
    message: str
    fix: str = ""
    warning: bool = False  # shown in amber; does not fail allegro_check
    link: str = ""  # where to fix it in the panel

    @property
    def state(self) -> str:
        """ "fail" (red ✘), "warn" (amber !) or "ok" (green ✔): green only when there is nothing to do, so a
        warning's message never stands beside a green tick."""
        if not self.ok:
            return "fail"
        return "warn" if self.warning else "ok"


_extra_checks: list[Callable[[AllegroAccount], list[Check]]] = []


def register_check(func: Callable[[AllegroAccount], list[Check]]) -> Callable:
    _extra_checks.append(func)
    return func


def account_checklist(*, account: AllegroAccount) -> list[Check]:
    """What the account needs before it can sell, in the order a person fixes it: Allegro and the application,
    the authorisation and its scopes, the after-sales conditions, the background worker, then the checks the
    other rooms register."""
    checks = _application_checks(account)
    authorised, authorisation = _authorisation_checks(account)
    checks += authorisation
    if authorised:
        checks += _scope_checks(account)
        checks += _choices_checks(account)
    checks += _worker_checks()
    for extra in _extra_checks:
        checks.extend(extra(account))
    return checks


def _application_checks(account: AllegroAccount) -> list[Check]:
    checks: list[Check] = []
    try:
        app_client(app=account.app).client_credentials()
        checks.append(Check(_("Allegro reachable"), True, account.app.url("api")))
        checks.append(Check(_("Application credentials"), True, _("Client ID and Client Secret are accepted.")))
    except AllegroRetryLater as exc:
        checks.append(
            Check(
                _("Allegro reachable"),
                False,
                _("Allegro did not answer at %(url)s: %(error)s") % {"url": account.app.url("api"), "error": exc},
                _(
                    "Check the addresses of the application and the server's network; with the emulator, start it (make run)."
                ),
            )
        )
    except AllegroError as exc:
        checks.append(
            Check(
                _("Application credentials"),
                False,
                _("Allegro did not accept the application's credentials: %(error)s") % {"error": exc},
                _("Check Client ID and Client Secret in Konfiguracja Allegro → REST API."),
            )
        )
    return checks


def _authorisation_checks(account: AllegroAccount) -> tuple[bool, list[Check]]:
    """(whether the account's token works, the check saying so)."""
    checks: list[Check] = []
    authorised = False
    if account.state != ConnectionState.CONNECTED:
        checks.append(
            Check(
                _("Authorisation"),
                False,
                _("The account is not connected (%(state)s).") % {"state": account.get_state_display()},
                _("Click “Autoryzacja” and confirm access on Allegro."),
            )
        )
    else:
        try:
            me = account_client(account=account).get_me()
            authorised = True
            checks.append(Check(_("Authorisation"), True, _("Connected as %(login)s.") % {"login": me.login}))
        except AllegroError as exc:
            checks.append(
                Check(
                    _("Authorisation"),
                    False,
                    _("Allegro refused the account's token: %(error)s") % {"error": exc},
                    _("Click “Autoryzacja” and confirm access on Allegro."),
                )
            )
    return authorised, checks


def _scope_checks(account: AllegroAccount) -> list[Check]:
    granted = set(account.scopes.split())
    missing = [scope for scope in REQUIRED_SCOPES if scope not in granted]
    if not missing:
        return [Check(_("Scopes"), True, _("All required scopes are granted."))]
    return [
        Check(
            _("Scopes"),
            False,
            _("Missing scopes: %(scopes)s") % {"scopes": ", ".join(missing)},
            _("Tick them in the application at apps.developer.allegro.pl and authorise again."),
        )
    ]


def _choices_checks(account: AllegroAccount) -> list[Check]:
    try:
        choices = account_fetch_choices(account=account)
    except AllegroError as exc:
        return [Check(_("After-sales conditions"), False, str(exc), _("Try again in a moment."))]
    return _conditions_checks(account, choices)


def _worker_checks() -> list[Check]:
    checks: list[Check] = []
    seen = WorkerHeartbeat.objects.filter(name="worker").values_list("seen_at", flat=True).first()
    if seen and seen > timezone.now() - HEARTBEAT_MAX_AGE:
        checks.append(Check(_("Background work"), True, _("Celery worker and beat are running.")))
    else:
        checks.append(
            Check(
                _("Background work"),
                False,
                _("No heartbeat from the Celery worker and beat in the last 3 minutes."),
                _("Start the worker and exactly one beat (make run does both)."),
            )
        )
    return checks


def _conditions_checks(account: AllegroAccount, choices: dict) -> list[Check]:
    out = []
    for key, field, label, required in (
        ("implied-warranties", "implied_warranty_id", _("Complaints terms (implied warranty)"), True),
        ("return-policies", "return_policy_id", _("Return policy"), True),
        ("warranties", "warranty_id", _("Warranty"), False),
        ("shipping-rates", "shipping_rates_id", _("Delivery price list"), True),
    ):
        ids = {item["id"] for item in choices.get(key, [])}
        chosen = getattr(account, field)
        if chosen and chosen in ids:
            out.append(Check(label, True, _("Chosen and present on Allegro.")))
        elif chosen:
            out.append(
                Check(
                    label,
                    False,
                    _("The chosen one no longer exists on Allegro."),
                    _("Pick another in the account settings."),
                )
            )
        elif not ids and required:
            out.append(
                Check(
                    label,
                    False,
                    _("None defined on Allegro yet."),
                    _("Define it on Allegro (Moja sprzedaż → Ustawienia) or in the panel, then refresh the lists."),
                )
            )
        elif required:
            out.append(Check(label, False, _("Not chosen."), _("Pick one in the account settings.")))
        else:
            out.append(Check(label, True, _("Optional; not chosen."), warning=True))
    return out
