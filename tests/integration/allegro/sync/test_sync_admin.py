"""The sync pages: "Synchronizuj aukcje" with its preview, SyncRun list, and the mass "Wystaw ponownie" action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from allegro.offers.models import Offer, OfferStatus
from allegro.sync.models import SyncRun
from tests.integration.allegro.sync.test_sync import setup_offers, state, switches

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_auto_flush(settings):
    settings.ALLEGRO_SYNC_DEBOUNCE_SECONDS = None


def test_preview_then_run_from_the_panel(emulator, connected_account, staff_client, django_capture_on_commit_callbacks):
    emulator.set_settings(command_task_seconds=0)
    switches(connected_account, sync_close_sold_out=False)
    products, offers = setup_offers(emulator, connected_account, 3)
    products[0].__class__.objects.filter(pk=products[0].pk).update(stock=0)
    url = reverse("admin:allegro_syncrun_run")
    assert staff_client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        resp = staff_client.post(url, {"account": connected_account.pk, "steps": ["close"], "preview": "1"})
    assert resp.status_code == 302
    preview = SyncRun.objects.get()
    assert preview.dry_run and preview.counts["would_end"] == 1
    assert state(emulator)[offers[0].allegro_id]["status"] == "ACTIVE"
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {"account": connected_account.pk, "steps": ["close"], "run": "1"})
    assert state(emulator)[offers[0].allegro_id]["status"] == "ENDED"
    changelist = staff_client.get(reverse("admin:allegro_syncrun_changelist"))
    assert changelist.status_code == 200 and b"sync-run-link" in changelist.content
    detail = staff_client.get(reverse("admin:allegro_syncrun_change", args=[preview.pk]))
    assert detail.status_code == 200


def test_run_page_needs_the_permission(client, django_user_model):
    user = django_user_model.objects.create_user("bez-praw", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:allegro_syncrun_run")).status_code == 403


def test_mass_relist_action(emulator, connected_account, staff_client, django_capture_on_commit_callbacks):
    emulator.set_settings(command_task_seconds=0)
    switches(connected_account, sync_renew_ended=False)
    _products, offers = setup_offers(emulator, connected_account, 2)
    for o in offers:
        emulator.post(f"offers/{o.allegro_id}/end", {"reason": "EXPIRATION"})
    Offer.objects.update(status=OfferStatus.ENDED)
    url = reverse("admin:allegro_offer_changelist")
    ids = [str(o.pk) for o in offers]
    page = staff_client.post(url, {"action": "relist_ended", "_selected_action": ids})
    assert page.status_code == 200 and b"relist-form" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {"action": "relist_ended", "_selected_action": ids, "apply": "1", "update_prices": "on",
                                "update_quantities": "on"})  # fmt: skip
    assert all(state(emulator)[o.allegro_id]["status"] == "ACTIVE" for o in offers)
