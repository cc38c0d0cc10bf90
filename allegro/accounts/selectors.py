from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from allegro.accounts.models import AllegroAccount

CURRENT_ACCOUNT_SESSION_KEY = "allegro_current_account"
ALL_ACCOUNTS = "all"


@dataclass(frozen=True)
class CurrentAccount:
    """The staff member's choice in the header's account switcher."""

    account: AllegroAccount | None  # the chosen account, None when none (or a deleted one) is chosen
    all_accounts: bool  # "all accounts" is chosen


def account_current(*, request, among: Iterable[AllegroAccount] | None = None) -> CurrentAccount:
    """What the header's switcher says: the one place that reads the choice from the session.

    ``among``: accounts already loaded (the switcher's list), to pick from without another query. Pages that need
    an account even when none is chosen fall back to ``account_default()``."""
    chosen = str(request.session.get(CURRENT_ACCOUNT_SESSION_KEY, ""))
    if chosen == ALL_ACCOUNTS:
        return CurrentAccount(account=None, all_accounts=True)
    if not chosen.isdigit():
        return CurrentAccount(account=None, all_accounts=False)
    if among is not None:
        account = next((a for a in among if a.pk == int(chosen)), None)
    else:
        account = AllegroAccount.objects.select_related("app").filter(pk=int(chosen)).first()
    return CurrentAccount(account=account, all_accounts=False)


def account_default() -> AllegroAccount | None:
    """The account to work with when none is chosen: the first connected one, else any."""
    accounts = AllegroAccount.objects.select_related("app").order_by("name", "pk")
    return accounts.filter(state="connected").first() or accounts.first()
