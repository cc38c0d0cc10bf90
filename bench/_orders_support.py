"""Shared set-up of the order benchmarks: an emulator on a free port, a scratch database (unless
DATABASE_URL is given) migrated, shop products with matching Allegro offers, a connected account."""

from __future__ import annotations

import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCRATCH = Path(tempfile.mkdtemp(prefix="selly-bench-orders-"))


def settings_module(*, eager: bool) -> str:
    """A settings module in the scratch folder: the project's settings with a private broker folder
    (never the one `make run` uses) and a scratch SQLite database unless DATABASE_URL is set."""
    broker = SCRATCH / "broker"
    broker.mkdir(exist_ok=True)
    (SCRATCH / "bench_settings.py").write_text(
        "from selly_allegro.settings import *  # noqa\n"
        f"CELERY_TASK_ALWAYS_EAGER = {eager!r}\n"
        "CELERY_BROKER_URL = 'filesystem://'\n"
        f"CELERY_BROKER_TRANSPORT_OPTIONS = {{'data_folder_in': {str(broker)!r}, 'data_folder_out': {str(broker)!r},"
        f" 'processed_folder': {str(broker)!r}, 'store_processed': False, 'polling_interval': 0.2,"
        f" 'control_folder': {str(broker / 'control')!r}}}\n"
    )
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-secret-key-not-for-production-0123456789abcdef")
    os.environ.setdefault("SELLY_ENCRYPTION_KEYS", "dGVzdC1rZXktbnVtYmVyLW9uZS1mb3Itc2VsbHktdHM=")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SCRATCH), str(ROOT), os.environ.get("PYTHONPATH")]))
    sys.path.insert(0, str(SCRATCH))
    return "bench_settings"


def django_ready() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


class _NoContract:
    """Benchmarks do not validate traffic against the spec (the tests do)."""

    def check(self, response) -> None:
        return None


def start_emulator():
    from tests.emulator_support import Emulator, EmulatorProcess

    server = EmulatorProcess(SCRATCH / "emulator.sqlite3")
    server.start()
    emulator = Emulator(server, contract=_NoContract())
    emulator.reset()
    return server, emulator


def shop_and_offers(emulator, *, count: int = 30) -> list[str]:
    """``count`` shop products with plenty of stock and an ACTIVE offer for each (external.id = SKU)."""
    from shop.models import Category, Product
    from tests.integration.emulator.test_orders import make_offer

    category = Category.objects.get_root_nodes().first() or Category.add_root(name="Elektronika")
    offers = []
    for i in range(count):
        sku = f"BENCH-{i:03d}"
        Product.objects.update_or_create(
            sku=sku,
            defaults={"name": f"Produkt {i}", "price": Decimal("49.99"), "stock": 1_000_000, "category": category},
        )
        offers.append(make_offer(emulator, external_id=sku, stock=1_000_000, price="49.99"))
    return offers


def connected_account(emulator):
    from allegro.accounts.models import AllegroApp, Environment
    from allegro.checkouts.models import OrderEventCursor
    from tests.integration.allegro.conftest import connect_account

    app = AllegroApp(
        name="Emulator",
        environment=Environment.CUSTOM,
        client_id="demo-client",
        api_url=emulator.base_url,
        auth_url=emulator.base_url,
        upload_url=emulator.base_url,
    )
    app.client_secret = "demo-secret"
    app.save()
    account = connect_account(emulator, app)
    OrderEventCursor.objects.update_or_create(account=account, defaults={"last_event_id": "0"})
    return account
