from allegro.accounts.models import AllegroAccount
from allegro.accounts.selectors import account_current


def current_account(request):
    """The account switcher in the admin header: all accounts and the staff member's current one."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.is_staff and request.path.startswith("/admin/")):
        return {}
    accounts = list(AllegroAccount.objects.only("pk", "name", "login", "state").order_by("name", "pk"))
    current = account_current(request=request, among=accounts)
    return {
        "allegro_accounts": accounts,
        "allegro_current_account": current.account,
        "allegro_all_accounts": current.all_accounts,
    }
