from __future__ import annotations

from allegro.accounts.models import AllegroAccount

CURRENT_ACCOUNT_SESSION_KEY = "allegro_current_account"


def current_account(*, session, user=None) -> AllegroAccount | None:
    """The staff member's current account (the header switcher), else the first connected one, else any."""
    chosen = session.get(CURRENT_ACCOUNT_SESSION_KEY)
    accounts = AllegroAccount.objects.select_related("app")
    if chosen and chosen != "all":
        account = accounts.filter(pk=chosen).first()
        if account is not None:
            return account
    return accounts.filter(state="connected").order_by("name", "pk").first() or accounts.order_by("name", "pk").first()
