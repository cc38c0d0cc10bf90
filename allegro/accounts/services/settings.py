"""Account settings fetched from Allegro: after-sales conditions and shipping-rate sets for the
dropdowns (the seed made shop owners copy these ids out of the address bar)."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.accounts.models import AllegroAccount
from allegro.accounts.services.accounts import account_client
from allegro.core.models import EventKind
from allegro.core.services.events import event_log

CHOICE_KINDS = ("warranties", "implied-warranties", "return-policies", "shipping-rates")


def account_fetch_choices(*, account: AllegroAccount) -> dict:
    """Fetch the lists from Allegro, keep them on the account, refresh the stored display names."""
    client = account_client(account=account)
    fetched: dict[str, Any] = {kind: client.get_after_sales_conditions(kind) for kind in CHOICE_KINDS[:3]}
    fetched["shipping-rates"] = client.get_shipping_rates()
    fetched["fetched_at"] = timezone.now().isoformat()
    # Other lists kept in the same cache (responsible producers, GPSR defaults) stay as they are.
    choices = {**(account.choices_cache or {}), **fetched}
    # A seller with exactly one of a kind (a new shop usually is) gets it chosen; a choice is never replaced.
    preselected = {}
    for kind, field in (
        ("implied-warranties", "implied_warranty_id"),
        ("return-policies", "return_policy_id"),
        ("shipping-rates", "shipping_rates_id"),
    ):
        if not getattr(account, field) and len(choices[kind]) == 1:
            preselected[field] = choices[kind][0]["id"]
            setattr(account, field, preselected[field])
    names = {}
    for kind, field in (
        ("warranties", "warranty"),
        ("implied-warranties", "implied_warranty"),
        ("return-policies", "return_policy"),
        ("shipping-rates", "shipping_rates"),
    ):
        chosen = getattr(account, f"{field}_id")
        names[f"{field}_name"] = next((i["name"] for i in choices[kind] if i["id"] == chosen), "")
    AllegroAccount.objects.filter(pk=account.pk).update(choices_cache=choices, **names, **preselected)
    account.choices_cache = choices
    for key, value in names.items():
        setattr(account, key, value)
    return choices


def account_update_settings(*, account: AllegroAccount, changed: list[str], actor=None) -> None:
    """Record a settings change in the event log (the form already saved the row)."""
    if not changed:
        return
    event_log(
        kind=EventKind.SETTINGS,
        action="account_settings_changed",
        message=_("Settings changed: %(fields)s") % {"fields": ", ".join(changed)},
        account=account,
        actor=actor,
    )
