"""No secret leaves its encrypted column: after a full run — authorisation through the panel, a token
refresh, listing an offer, a purchase imported as an order, a synchronisation — the emulator's token
values and the client secret appear nowhere in the DEBUG logs (SQL included), in task payloads
queued in Redis, or in a dump of the whole database outside the *_encrypted columns."""

import io
import json
import logging
import os
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from allegro.accounts.models import AllegroAccount
from allegro.accounts.services.accounts import account_client
from allegro.accounts.services.settings import account_fetch_choices
from allegro.categories.models import CategoryForm, MappingEnvironment
from allegro.categories.services.categories import category_mapping_set, category_parameters
from allegro.checkouts.models import OrderEventCursor
from allegro.checkouts.services.order_import import order_import_new_events
from allegro.offers.services.offers import offer_prepare, offer_publish
from allegro.sync.services.steps import sync_run
from tests.factories import make_category

from .test_offers import GPSR, KETTLE, NOWY, STAN, kettle

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def debug_everything(caplog):
    """Every logger at DEBUG, SQL statements with their parameters included."""
    connection.force_debug_cursor = True
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="django.db.backends"):
        yield caplog
    connection.force_debug_cursor = False


def _authorise(admin_client, account) -> None:
    start = admin_client.post(reverse("admin:allegro_allegroaccount_authorize", args=[account.pk]))
    query = {k: v[0] for k, v in parse_qs(urlsplit(start["Location"]).query).items()}
    base = start["Location"].split("/auth/oauth/authorize")[0]
    consent = requests.post(
        f"{base}/auth/oauth/authorize",
        data={**query, "login": "demo-seller", "decision": "allow"},
        allow_redirects=False,
    )
    callback = {k: v[0] for k, v in parse_qs(urlsplit(consent.headers["Location"]).query).items()}
    assert admin_client.get(reverse("allegro:oauth_callback"), callback).status_code == 302


def _redis_payloads(account) -> str:
    """Tasks the flow schedules, really sent to the Redis broker (not run eagerly), read back raw."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return ""
    import redis

    from allegro.accounts.tasks import accounts_refresh_tokens
    from allegro.sync.tasks import sync_flush_task
    from selly_allegro.celery import app

    client = redis.Redis.from_url(url)
    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    try:
        accounts_refresh_tokens.apply_async(queue="secret-scan")
        sync_flush_task.apply_async(args=[account.pk], queue="secret-scan")
    finally:
        app.conf.task_always_eager = eager
    assert client.llen("secret-scan") == 2
    chunks = []
    for key in client.scan_iter("*"):
        kind = client.type(key).decode()
        if kind == "list":
            chunks += [item.decode(errors="replace") for item in client.lrange(key, 0, -1)]
        elif kind == "string":
            chunks.append((client.get(key) or b"").decode(errors="replace"))
        elif kind == "hash":
            chunks += [v.decode(errors="replace") for v in client.hvals(key)]
    client.delete("secret-scan")
    return "\n".join(chunks)


def _database_dump() -> str:
    buffer = io.StringIO()
    call_command("dumpdata", "--natural-foreign", stdout=buffer)
    rows = json.loads(buffer.getvalue())
    for row in rows:
        for column in [c for c in row["fields"] if c.endswith("_encrypted")]:
            row["fields"][column] = "<encrypted>"
    return json.dumps(rows, ensure_ascii=False)


def test_tokens_and_the_client_secret_stay_in_encrypted_columns(
    admin_client, emulator, allegro_app, settings, tmp_path, debug_everything
):
    settings.MEDIA_ROOT = tmp_path
    kettles = make_category("Czajniki")
    category_mapping_set(
        category=kettles, environment=MappingEnvironment.CUSTOM, allegro_category_id=KETTLE, app=allegro_app
    )
    category_parameters(app=allegro_app, allegro_id=KETTLE)
    CategoryForm.objects.create(allegro_category_id=KETTLE, values=[{"id": STAN, "valuesIds": [NOWY]}])
    account = AllegroAccount.objects.create(app=allegro_app, name="Konto")
    _authorise(admin_client, account)
    account.refresh_from_db()
    secrets = {"demo-secret", account.access_token, account.refresh_token}

    # A refresh ahead of expiry: the new pair joins the list.
    AllegroAccount.objects.filter(pk=account.pk).update(token_expires_at=timezone.now() + timedelta(seconds=10))
    account_client(account=AllegroAccount.objects.get(pk=account.pk)).get_me()
    account.refresh_from_db()
    secrets |= {account.access_token, account.refresh_token}
    assert len(secrets) == 5

    choices = account_fetch_choices(account=account)
    account.implied_warranty_id = choices["implied-warranties"][0]["id"]
    account.return_policy_id = choices["return-policies"][0]["id"]
    account.shipping_rates_id = choices["shipping-rates"][0]["id"]
    account.location_province, account.location_city, account.location_post_code = "MAZOWIECKIE", "Warszawa", "00-950"
    account.sync_import_orders = account.sync_stock = account.sync_close_sold_out = True
    account.save()

    offer = offer_publish(offer=offer_prepare(product=kettle(kettles, stock=1), account=account, overrides=GPSR))
    assert offer.allegro_id, offer.last_error
    OrderEventCursor.objects.update_or_create(account=account, defaults={"last_event_id": "0"})
    emulator.post("purchases", {"offer_id": offer.allegro_id, "quantity": 1})
    assert order_import_new_events(account=account).created == 1
    sync_run(account=account)

    places = {
        "logs": debug_everything.text,
        "task payloads in Redis": _redis_payloads(account),
        "database dump (outside *_encrypted)": _database_dump(),
    }
    assert "SELECT" in places["logs"]  # the SQL really was logged
    leaks = [f"{where}: {secret[:12]}…" for where, text in places.items() for secret in secrets if secret in text]
    assert not leaks, leaks
