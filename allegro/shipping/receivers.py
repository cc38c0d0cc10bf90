"""Receivers of the shipping room, connected in AllegroConfig.ready()."""

from django.db import transaction


def account_connected_receiver(sender, *, account, **kwargs) -> None:
    """A newly connected account's price lists show under "Koszty dostawy" without a manual fetch: fetched in
    the background once the connection is committed (and every hour after by beat)."""
    from allegro.shipping.tasks import shipping_rates_import

    account_id = account.pk
    transaction.on_commit(lambda: shipping_rates_import.delay(account_id))
