"""Views outside the admin's model pages: the OAuth callback (a fixed URL registered at Allegro)
and the account switcher in the admin header."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from allegro.accounts.models import AllegroAccount
from allegro.accounts.selectors import CURRENT_ACCOUNT_SESSION_KEY
from allegro.accounts.services.accounts import AuthorizationRefused, account_authorization_complete
from allegro.accounts.services.settings import account_fetch_choices
from allegro.accounts.signals import account_connected
from allegro.integration.client import AllegroError


@require_GET
@staff_member_required
def oauth_callback(request):
    """Allegro sends the seller back here with ``code`` and ``state`` (or ``error``)."""
    if not request.user.has_perm("allegro.authorize_account"):
        messages.error(request, _("You do not have permission to authorise Allegro accounts."))
        return redirect("admin:allegro_allegroaccount_changelist")
    try:
        account = account_authorization_complete(session=request.session, user=request.user, params=request.GET.dict())
    except AuthorizationRefused as exc:
        messages.error(request, str(exc))
        return redirect("admin:allegro_allegroaccount_changelist")
    request.session[CURRENT_ACCOUNT_SESSION_KEY] = account.pk
    account_connected.send(sender=AllegroAccount, account=account)
    try:
        account_fetch_choices(account=account)  # fill the dropdowns of after-sales conditions right away
    except AllegroError as exc:
        messages.warning(request, "; ".join(exc.user_messages))
    messages.success(request, _("The account %(account)s is connected to Allegro.") % {"account": account})
    return redirect("admin:allegro_allegroaccount_change", account.pk)


@require_POST
@staff_member_required
def switch_account(request):
    """Remember the staff member's current Allegro account (header switcher)."""
    account_id = request.POST.get("account", "")
    if account_id == "all" or AllegroAccount.objects.filter(pk=account_id or 0).exists():
        request.session[CURRENT_ACCOUNT_SESSION_KEY] = account_id
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    return redirect(target)
