"""GPSR responsible producers of an account (``/sale/responsible-producers``), cached on the account for the
listing form's list."""

from __future__ import annotations

from allegro.accounts.models import AllegroAccount
from allegro.accounts.services.accounts import account_client
from allegro.integration.client import AllegroError

CACHE_KEY = "responsible-producers"


def responsible_producers_refresh(*, account: AllegroAccount) -> None:
    """Cache GET /sale/responsible-producers on the account (an empty list when Allegro does not answer, so
    the form still opens)."""
    try:
        producers = account_client(account=account).get_responsible_producers()
    except AllegroError:
        producers = []
    account.choices_cache = {**(account.choices_cache or {}), CACHE_KEY: producers}
    AllegroAccount.objects.filter(pk=account.pk).update(choices_cache=account.choices_cache)


def responsible_producer_reference(*, account: AllegroAccount, name: str) -> str:
    """The reference of the producer called ``name``: a known one's id, else one created by
    POST /sale/responsible-producers; the name itself when Allegro does not create it (Allegro then resolves
    the name when the offer is sent, or says why not)."""
    for producer in account.choices_cache.get(CACHE_KEY) or []:
        if producer.get("name") == name:
            return producer["id"]
    try:
        created = account_client(account=account).create_responsible_producer(
            {"name": name, "producerData": {"tradeName": name}}
        )
    except AllegroError:
        return name
    if created.get("id"):
        producers = [*(account.choices_cache.get(CACHE_KEY) or []), {"id": created["id"], "name": name}]
        account.choices_cache = {**account.choices_cache, CACHE_KEY: producers}
        AllegroAccount.objects.filter(pk=account.pk).update(choices_cache=account.choices_cache)
        return str(created["id"])
    return name
