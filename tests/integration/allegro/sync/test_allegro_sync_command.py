"""`manage.py allegro_sync`: without --only every step respects the account's switches, even when
an account is named; a step named with --only runs although its switch is off."""

import io

import pytest
from django.core.management import call_command

from shop.models import Product

from .test_sync import setup_offers, state, switches

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_auto_flush(settings):
    settings.ALLEGRO_SYNC_DEBOUNCE_SECONDS = None
    settings.ALLEGRO_COMMAND_WAIT_SECONDS = 20


def test_naming_an_account_does_not_switch_writers_on(emulator, connected_account):
    products, offers = setup_offers(emulator, connected_account, 2)
    switches(connected_account, sync_prices=False, sync_stock=False, sync_close_sold_out=False, sync_renew_ended=False)
    Product.objects.filter(pk=products[0].pk).update(stock=0)  # sold out in the shop

    call_command("allegro_sync", "--account", connected_account.login, stdout=io.StringIO())
    assert state(emulator)[offers[0].allegro_id]["status"] == "ACTIVE"  # the closing switch is off: not ended

    call_command("allegro_sync", "--account", connected_account.login, "--only", "close", stdout=io.StringIO())
    assert state(emulator)[offers[0].allegro_id]["status"] == "ENDED"
    assert state(emulator)[offers[1].allegro_id]["status"] == "ACTIVE"


def test_offers_list_has_the_synchronise_button_for_staff_allowed_to_run_it(admin_client, staff_client, staff_user):
    from django.contrib.auth.models import Permission
    from django.urls import reverse

    page = admin_client.get(reverse("admin:allegro_offer_changelist")).content.decode()
    assert reverse("admin:allegro_syncrun_run") in page and "Synchronizuj aukcje" in page
    assert reverse("admin:allegro_listingjob_start") in page

    staff_user.user_permissions.remove(Permission.objects.get(codename="run_sync"))
    page = staff_client.get(reverse("admin:allegro_offer_changelist")).content.decode()
    assert reverse("admin:allegro_syncrun_run") not in page
