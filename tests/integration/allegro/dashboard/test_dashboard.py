"""The dashboard: every account's connection, order import, offers, sync runs and drift, with a
constant number of queries however many accounts and offers there are."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.checkouts.models import CheckoutQuarantine, OrderEventCursor
from allegro.offers.models import OfferStatus
from allegro.sync.models import SyncRun
from tests.factories import make_allegro_offer

pytestmark = pytest.mark.django_db


def _account(app, n, **fields):
    account = AllegroAccount.objects.create(app=app, name=f"Konto {n}", login=f"sprzedawca{n}", **fields)
    OrderEventCursor.objects.create(account=account, last_import_at=timezone.now(), caught_up_at=timezone.now())
    for i, status in enumerate([OfferStatus.ACTIVE, OfferStatus.ACTIVE, OfferStatus.ENDED, OfferStatus.ERROR]):
        make_allegro_offer(account=account, external_id=f"S{n}-{i}", category_id="1", status=status)
    SyncRun.objects.create(account=account, status=SyncRun.Status.FAILED, steps=["offers"], errors=["x"])
    SyncRun.objects.create(account=account, status=SyncRun.Status.DONE, steps=["reconcile"], counts={"drift": 3})
    CheckoutQuarantine.objects.create(account=account, checkout_form_id=f"cf-{n}", reason="brak pola")
    return account


def _queries(client):
    client.get(reverse("admin:index"))  # warm the per-process caches (the background-work banner's heartbeat)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("admin:index"))
    assert page.status_code == 200
    return len(ctx.captured_queries), page.content.decode()


def test_dashboard_shows_what_needs_attention_with_constant_queries(admin_client, allegro_app):
    first = _account(allegro_app, 1, state=ConnectionState.CONNECTED)
    few, page = _queries(admin_client)

    assert "Konta Allegro" in page
    assert "połączone" in page
    assert "aktywne: 2" in page and "zakończone: 1" in page and "z błędami: 1" in page
    assert "1 formularz zamówienia w kwarantannie" in page
    assert "3 aukcje różnią się" in page
    assert "nieudane: 1" in page
    assert reverse("admin:allegro_syncrun_run") in page

    for n in range(2, 7):
        _account(allegro_app, n, state=ConnectionState.NEEDS_REAUTH)
    many, page = _queries(admin_client)
    assert many == few, f"{few} queries with 1 account, {many} with 6"
    assert "wymaga ponownej autoryzacji" in page
    assert reverse("admin:allegro_allegroaccount_authorize", args=[first.pk + 1]) in page


def test_old_runs_and_previews_are_not_counted(admin_client, allegro_app):
    account = AllegroAccount.objects.create(app=allegro_app, name="Konto")
    old = SyncRun.objects.create(account=account, status=SyncRun.Status.FAILED, steps=["offers"])
    SyncRun.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(days=2))
    SyncRun.objects.create(account=account, status=SyncRun.Status.FAILED, steps=["offers"], dry_run=True)
    _, page = _queries(admin_client)
    assert "0 przebiegów" in page
    assert "nieudane" not in page


def test_staff_without_account_permission_sees_no_dashboard(staff_client, staff_user, allegro_app):
    from django.contrib.auth.models import Permission

    AllegroAccount.objects.create(app=allegro_app, name="Tajne konto")
    staff_user.user_permissions.remove(Permission.objects.get(codename="view_allegroaccount"))
    page = staff_client.get(reverse("admin:index")).content.decode()
    assert "allegro-dashboard" not in page
