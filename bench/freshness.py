"""Freshness of stock on Allegro, not a test.

    .venv/bin/python bench/freshness.py [--changes 50] [--quick]

Starts the emulator, a throw-away Redis (broker and rate limiter), a scratch SQLite database, a Celery worker and
Celery beat as subprocesses; lists N offers; then makes stock changes through the product admin's save path
(ModelAdmin.save_model inside a transaction, as the admin does) one every --gap seconds and measures the seconds
until the emulator shows the new quantity. Prints p50/p95; target p95 ≤ 15 s. Last line: JSON with "pass".
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

os.environ["DJANGO_SETTINGS_MODULE"] = "selly_allegro.settings"
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-secret-key-not-for-production-0123456789abcdefghij")
os.environ.setdefault(
    "SELLY_ENCRYPTION_KEYS", "dGVzdC1rZXktbnVtYmVyLW9uZS1mb3Itc2VsbHktdHM=,dGVzdC1rZXktbnVtYmVyLXR3by1mb3Itc2VsbHktdHM="
)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

from sync_offers import Environment, connect_account, offers_setup  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--offers", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between admin saves")
    parser.add_argument("--quick", action="store_true", help="10 changes")
    args = parser.parse_args()
    if args.quick:
        args.changes = 10
    tmp = Path(tempfile.mkdtemp(prefix="bench-freshness-"))
    env = Environment(tmp=tmp)
    procs: list[subprocess.Popen] = []
    try:
        return run(env, args, procs, tmp)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        env.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run(env: Environment, args, procs: list, tmp: Path) -> int:
    from django.conf import settings
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.test import RequestFactory

    from shop.models import Product

    settings.ALLEGRO_SYNC_DEBOUNCE_SECONDS = 2.0
    account = connect_account(env)
    products, ids = offers_setup(env, account, args.offers)
    child_env = {**os.environ, "LOG_LEVEL": "WARNING"}
    celery = str(ROOT / ".venv" / "bin" / "celery")
    logs = open(tmp / "celery.log", "w")  # noqa: SIM115
    procs.append(subprocess.Popen([celery, "-A", "selly_allegro", "worker", "--loglevel", "WARNING", "--concurrency", "2"],
                                  cwd=ROOT, env=child_env, stdout=logs, stderr=logs))  # fmt: skip
    procs.append(subprocess.Popen([celery, "-A", "selly_allegro", "beat", "--loglevel", "WARNING",
                                   "--schedule", str(tmp / "beat")], cwd=ROOT, env=child_env, stdout=logs, stderr=logs))  # fmt: skip
    time.sleep(4)  # worker and beat up
    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench")
    request = RequestFactory().post("/admin/shop/product/")
    request.user = user
    product_admin = admin.site._registry[Product]
    rng = random.Random(3)
    chosen = rng.sample(range(len(products)), args.changes)
    pending: dict[str, tuple[float, int]] = {}
    delays: list[float] = []
    deadline = None
    for n, index in enumerate(chosen):
        product = Product.objects.get(pk=products[index].pk)
        product.stock = (product.stock or 0) + 7 + n
        with transaction.atomic():
            product_admin.save_model(request, product, _AdminForm(), True)
        pending[ids[index]] = (time.monotonic(), product.stock)
        _poll(env, pending, delays)
        time.sleep(args.gap)
    deadline = time.monotonic() + 90
    while pending and time.monotonic() < deadline:
        _poll(env, pending, delays)
        time.sleep(0.2)
    lost = len(pending)
    delays.sort()
    p50 = statistics.median(delays) if delays else None
    p95 = delays[max(0, int(round(0.95 * len(delays))) - 1)] if delays else None
    figures = {
        "changes": args.changes,
        "seen": len(delays),
        "not_seen_within_90s": lost,
        "p50_s": round(p50, 2) if p50 is not None else None,
        "p95_s": round(p95, 2) if p95 is not None else None,
        "max_s": round(delays[-1], 2) if delays else None,
    }
    figures["pass"] = bool(not lost and p95 is not None and p95 <= 15)
    for key, value in figures.items():
        print(f"{key:<22} {value}")
    print(json.dumps(figures))
    return 0 if figures["pass"] else 1


class _AdminForm:
    """What the product form tells save_model: the staff member typed a new stock."""

    stock_changed_by_user = True


def _poll(env: Environment, pending: dict, delays: list) -> None:
    if not pending:
        return
    state = {o["id"]: o for o in env.emulator.get("state/offers")["offers"]}
    now = time.monotonic()
    for oid, (started, want) in list(pending.items()):
        if state.get(oid, {}).get("stock_available") == want:
            delays.append(now - started)
            del pending[oid]


if __name__ == "__main__":
    sys.exit(main())
