"""The stack the fault tests break: a redis-server of their own (append-only file on, as production keeps it), a
real Celery worker and beat as subprocesses on the test's PostgreSQL database, and the checks that must hold once
the faults are over, whatever was killed on the way."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = "tests.faults.worker_settings"
# Every fault must be repaired within this long after the faults end.
SETTLE_SECONDS = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """The test database pytest-django created (test_<name>), for the subprocesses."""
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def wait_until(predicate: Callable[[], object], seconds: float, *, every: float = 0.25) -> object:
    """The first truthy value of ``predicate()`` within ``seconds``, else its last (falsy) value."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


class Redis:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        # appendonly: a restart keeps the queued messages, as a production Redis does.
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


class Stack:
    """Redis, worker and beat; the worker is killed with SIGKILL (its whole process group: the main process
    and its pool, as a lost machine or the OOM killer of a cgroup would) and started again as supervisord or
    systemd would."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.redis = Redis(folder)
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.worker_starts = 0
        self.exits: list[str] = []  # processes that exited without being killed by the test
        self.env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL"}}
        self.env.update(
            DJANGO_SETTINGS_MODULE=SETTINGS,
            DATABASE_URL=database_url(),
            REDIS_URL=self.redis.url,
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        self._logs: list = []

    def log_text(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-6000:] if path.exists() else ""

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "a")  # noqa: SIM115 - open while the process runs
        self._logs.append(log)
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "selly_allegro", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kill reaches the pool processes too
        )

    def start(self) -> None:
        self.redis.start()
        self.start_worker()
        self._start_beat()

    def _start_beat(self) -> None:
        self.beat = self._spawn(
            "beat", ["beat", "--loglevel", "INFO", "--schedule", str(self.folder / "beat-schedule")]
        )

    def start_worker(self) -> None:
        self.worker_starts += 1
        marker = f"--- worker start {self.worker_starts} ---"
        with open(self.folder / "worker.log", "a") as log:
            log.write(f"\n{marker}\n")
        # The worker's command line of supervisord.conf and the systemd unit.
        self.worker = self._spawn(
            "worker",
            ["worker", "--concurrency", "2", "--without-gossip", "--without-mingle", "--loglevel", "INFO",
             "--hostname", f"faults{self.worker_starts}@%h"],
        )  # fmt: skip

        def ready() -> bool:
            assert self.worker.poll() is None, self.log_text("worker")
            return " ready." in self.log_text("worker").rpartition(marker)[2]

        assert wait_until(ready, 90), "the worker did not start:\n" + self.log_text("worker")

    def kill_worker(self) -> None:
        """SIGKILL to the worker's whole process group: no task finishes, nothing is acknowledged or put back."""
        assert self.worker is not None and self.worker.poll() is None, self.log_text("worker")
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(15)

    def restart_redis(self, *, away: float = 3.0) -> None:
        self.redis.kill()
        time.sleep(away)
        self.redis.start()

    def ensure_worker(self) -> bool:
        """Start the worker or beat again if it exited (what the supervisor does); True if it had to."""
        restarted = False
        if self.worker is not None and self.worker.poll() is not None:
            self.exits.append(f"worker exited with {self.worker.returncode}")
            self.start_worker()
            restarted = True
        if self.beat is not None and self.beat.poll() is not None:
            self.exits.append(f"beat exited with {self.beat.returncode}")
            self._start_beat()
            restarted = True
        return restarted

    def send(self, task: str, *args, countdown: float | None = None) -> None:
        """Enqueue ``task`` as the panel would (a producer on the same Redis)."""
        from celery import Celery

        # Not the current app: the panel in this process keeps its own (eager) Celery app for the tests after.
        sender = Celery("faults", broker=self.redis.url, set_as_current=False)
        try:
            sender.send_task(task, args=list(args), countdown=countdown)
        finally:
            sender.close()

    def stop(self) -> None:
        for proc in (self.beat, self.worker):
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(15)
        self.redis.kill()
        for log in self._logs:
            log.close()


def beat_schedules(**every: int) -> None:
    """The shipped beat schedules in the (flushed) test database, some with shorter intervals:
    ``beat_schedules(**{"allegro: sync queued offers": 5})``."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from allegro.core.schedules import schedules_install

    schedules_install()
    for name, seconds in every.items():
        interval, _created = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
        assert PeriodicTask.objects.filter(name=name).update(interval=interval) == 1, name


# --- the shop and its offers ------------------------------------------------------------------------------------


def offers_setup(emulator, account, n: int, *, stock: int, price: str = "100.00", prefix: str = "FLT"):
    """``n`` shop products with an active offer each on the emulator (external.id = SKU) and the panel's Offer rows
    linked to them, Allegro's values confirmed."""
    from allegro.offers.models import Offer, OfferStatus
    from tests.factories import make_category, make_product

    category = make_category(f"Kategoria {prefix}")
    products = [
        make_product(category=category, sku=f"{prefix}-{i:03d}", price=Decimal(price), stock=stock) for i in range(n)
    ]
    bodies = [
        {
            "name": f"Produkt testowy {prefix} {i}",
            "category": {"id": "257933"},
            "sellingMode": {"format": "BUY_NOW", "price": {"amount": price, "currency": "PLN"}},
            "stock": {"available": stock, "unit": "UNIT"},
            "publication": {"status": "ACTIVE"},
            "external": {"id": p.sku},
        }
        for i, p in enumerate(products)
    ]
    ids = emulator.post("offers/bulk", {"seller_id": account.seller_id, "offers": bodies, "validate": False})["ids"]
    offers = [
        Offer.objects.create(
            account=account, product=p, allegro_id=oid, external_id=p.sku, status=OfferStatus.ACTIVE, title=p.name,
            category_id="257933", price=Decimal(price), quantity=stock, confirmed_price=Decimal(price),
            confirmed_quantity=stock, confirmed_status="ACTIVE",
        )
        for p, oid in zip(products, ids)
    ]  # fmt: skip
    return products, offers


@dataclass
class Ledger:
    """What happened on Allegro's side during a scenario: the purchases made (checkout form → offer, quantity) and
    the shop's stock before them, for the invariants."""

    account_id: int
    initial_stock: dict[int, int] = field(default_factory=dict)  # product pk → stock before the purchases
    purchases: dict[str, tuple[str, int]] = field(default_factory=dict)  # checkout form id → (offer id, quantity)
    refused: int = 0

    def buy(self, emulator, offer_id: str, quantity: int) -> bool:
        import requests  # noqa: TID251 - the emulator's control API

        try:
            response = requests.post(
                f"{emulator.base_url}/_emulator/purchases",
                json={"offer_id": offer_id, "quantity": quantity},
                timeout=15,
            )
        except requests.RequestException:
            self.refused += 1
            return False
        if response.status_code != 201:
            self.refused += 1
            return False
        self.purchases[response.json()["checkout_form_id"]] = (offer_id, quantity)
        return True


class Buyer(threading.Thread):
    """Purchases streaming in through the emulator's control API (a few a second) until stopped."""

    def __init__(self, emulator, ledger: Ledger, offer_ids: list[str], *, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.emulator, self.ledger, self.offer_ids, self.every = emulator, ledger, offer_ids, every
        self.halt = threading.Event()
        self.random = random.Random(11)

    def run(self) -> None:
        while not self.halt.wait(self.every):
            self.ledger.buy(self.emulator, self.random.choice(self.offer_ids), self.random.randint(1, 3))

    def stop(self) -> None:
        self.halt.set()
        self.join(30)


def invariant_problems(*, emulator, ledger: Ledger | None, account) -> list[str]:
    """What is wrong now; an empty list when everything holds:

    * each purchase is exactly one shop order (none missing, none twice);
    * each product's stock is its stock before the purchases less the quantities bought;
    * every active offer of the account on Allegro has the shop's price (after the account's price rule) and the
      shop's stock.
    """
    from allegro.offers.models import Offer, OfferStatus
    from allegro.sync.services.engine import account_price_rounding, offer_target_price
    from orders.models import Order
    from shop.models import Product

    problems: list[str] = []
    try:
        if ledger is not None and ledger.purchases:
            keys = {f"{ledger.account_id}:{form}" for form in ledger.purchases}
            seen = Counter(Order.objects.filter(external_key__in=keys).values_list("external_key", flat=True))
            missing = keys - set(seen)
            twice = {k: n for k, n in seen.items() if n > 1}
            if missing:
                problems.append(f"{len(missing)} purchases without an order, e.g. {sorted(missing)[:3]}")
            if twice:
                problems.append(f"purchases imported more than once: {twice}")
            by_offer = dict(Offer.objects.filter(account_id=ledger.account_id).values_list("allegro_id", "product_id"))
            sold: Counter[int] = Counter()
            for offer_id, quantity in ledger.purchases.values():
                sold[by_offer[offer_id]] += quantity
            stocks = dict(Product.objects.filter(pk__in=ledger.initial_stock).values_list("pk", "stock"))
            for pk, initial in ledger.initial_stock.items():
                if stocks[pk] != initial - sold[pk]:
                    problems.append(f"product {pk}: stock {stocks[pk]}, expected {initial} - {sold[pk]}")
        rounding = account_price_rounding(account=account)
        state = {o["id"]: o for o in emulator.get("state/offers")["offers"]}
        for offer in Offer.objects.filter(account=account, status=OfferStatus.ACTIVE).select_related("product"):
            product = offer.product
            on_allegro = state.get(offer.allegro_id)
            if product is None or on_allegro is None:
                problems.append(f"offer {offer.allegro_id}: not on Allegro or without a product")
                continue
            price = offer_target_price(account=account, shop_price=product.price, rounding=rounding)
            if Decimal(on_allegro["price"]) != price or on_allegro["stock_available"] != product.stock:
                problems.append(
                    f"offer {offer.allegro_id} ({product.sku}): Allegro {on_allegro['price']} x "
                    f"{on_allegro['stock_available']}, shop {price} x {product.stock}"
                )
    finally:
        connection.close()  # the next poll reads what the worker committed meanwhile
    return problems


def assert_invariants(*, emulator, ledger: Ledger | None, account, stack: Stack, seconds: float = SETTLE_SECONDS):
    """Poll the invariants for up to ``seconds`` (the faults are over): they must all hold by then."""
    problems: list[str] = []

    def hold() -> bool:
        nonlocal problems
        stack.ensure_worker()
        problems = invariant_problems(emulator=emulator, ledger=ledger, account=account)
        return not problems

    started = time.monotonic()
    ok = wait_until(hold, seconds, every=1.0)
    assert ok, f"after {seconds:.0f} s: {problems[:10]}\nworker log:\n{stack.log_text('worker')}"
    return time.monotonic() - started
