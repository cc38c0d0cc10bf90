from allegro.accounts.models import AllegroAccount
from allegro.accounts.selectors import CURRENT_ACCOUNT_SESSION_KEY


def current_account(request):
    """The account switcher in the admin header: all accounts and the staff member's current one."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.is_staff and request.path.startswith("/admin/")):
        return {}
    accounts = list(AllegroAccount.objects.only("pk", "name", "login", "state").order_by("name", "pk"))
    chosen = str(request.session.get(CURRENT_ACCOUNT_SESSION_KEY, ""))
    current = next((a for a in accounts if str(a.pk) == chosen), None)
    return {"allegro_accounts": accounts, "allegro_current_account": current, "allegro_all_accounts": chosen == "all"}
