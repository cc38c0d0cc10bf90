"""Mass listing throughput against the offline Allegro emulator (not a test).

    .venv/bin/python bench/mass_listing.py [--count 1000] [--latency-ms 100] [--sequential-count 100] [--threads N]

Starts its own emulator on a free port (latency_ms=100 per request, Allegro's per-seller write limit of 2490/min
enforced with 429), a scratch SQLite database (or DATABASE_URL when given; tables created from the models), a
media folder in a temp directory; creates ``--count`` products with one image each in a shop category mapped to a
leaf (Czajniki elektryczne, with its category form), connects the emulator's demo seller through the OAuth consent
flow, and runs one mass-listing job synchronously — the service the Celery task calls, with its thread pool and the
shared rate limiter (bucket offer_write). Then a sequential one-by-one run (one thread) of ``--sequential-count``
other products, extrapolated to ``--count``, for comparison.

Prints a table; the last line is one JSON object with the figures and "pass". Targets: elapsed within
1.3x of the limit's minimum time (count / 2490 per minute: 24.1 s for 1,000), no 429 answered, at most 1.5 API calls
per offer besides the image uploads.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WRITE_LIMIT = 2490  # POST/PATCH /sale/product-offers per seller per minute
KETTLE = "300407"  # Czajniki elektryczne (a leaf of the emulator's catalogue)
STAN, NOWY = "11323", "11323_1"
TARGET_RATIO = 1.3
TARGET_CALLS_PER_OFFER = 1.5


class _NoMigrations(dict):
    """MIGRATION_MODULES that makes migrate create every table straight from the models (like --nomigrations)."""

    def __contains__(self, item) -> bool:
        return True

    def __getitem__(self, item):
        return None


def setup_django(workdir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "selly_allegro.settings_test")
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    from django.conf import settings

    settings.MIGRATION_MODULES = _NoMigrations()
    import django

    django.setup()
    settings.MEDIA_ROOT = str(workdir / "media")
    settings.ALLEGRO_429_WAIT_SECONDS = 60.0
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)


def png_bytes(n: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), ((n * 37) % 256, (n * 91) % 256, (n * 53) % 256)).save(buffer, format="PNG")
    return buffer.getvalue()


def connect_account(server):
    """The emulator's demo seller connected the way the callback stores it (consent form, code exchange, PKCE)."""
    from tests.emulator_support import Emulator
    from tests.factories import connect_account, make_emulator_app

    helper = Emulator(server, contract=None)
    app = make_emulator_app(helper)
    return helper, app, connect_account(helper, app, name="Bench")


def prepare_account(account) -> None:
    from tests.factories import make_ready_to_list

    account.refresh_from_db()
    make_ready_to_list(
        account,
        location_city="Poznań",
        location_post_code="60-166",
        gpsr_producer="Bosch Polska",
        gpsr_safety_information="Nie zanurzać w wodzie.",
    )


def make_catalogue(app, *, name: str, count: int, start: int, media: Path):
    """A shop category mapped to the leaf, with ``count`` products of one image each (rows written in bulk)."""
    from decimal import Decimal

    from allegro.categories.models import CategoryForm, MappingEnvironment
    from allegro.categories.services.categories import category_mapping_set, category_parameters_fetch
    from shop.models import Category, Product, ProductImage
    from shop.validators import gtin_check_digit

    category = Category.objects.add_root({"name": name})
    category_mapping_set(category=category, environment=MappingEnvironment.CUSTOM, allegro_category_id=KETTLE, app=app)
    wanted = {d.name: d.id for d in category_parameters_fetch(app=app, allegro_id=KETTLE)}
    # The EANs are new to Allegro's catalogue, so each offer proposes its product: the category form holds the
    # product parameters a new kettle needs besides the offer's "Stan".
    CategoryForm.objects.get_or_create(
        allegro_category_id=KETTLE,
        defaults={
            "values": [
                {"id": STAN, "valuesIds": [NOWY]},
                {"id": wanted["Pojemność"], "values": ["1.7"]},
                {"id": wanted["Kod producenta"], "values": ["CZ-17"]},
            ]
        },
    )
    products = []
    for n in range(start, start + count):
        body = f"590{n:09d}"
        products.append(
            Product(
                name=f"Czajnik elektryczny Testowy {n} 1,7 l",
                sku=f"BENCH-{n:06d}",
                ean=body + str(gtin_check_digit(body)),
                brand="Bosch",
                price=Decimal("99.99") + n % 100,
                stock=5 + n % 7,
                category=category,
                description=f"<p>Czajnik elektryczny numer {n}, <b>1,7 l</b>, stal nierdzewna.</p>",
            )
        )
    Product.objects.bulk_create(products, batch_size=500)
    products = list(Product.objects.filter(category=category).order_by("pk"))
    folder = media / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    images = []
    for product in products:
        relative = f"bench/czajnik-{product.pk}.png"
        (media / relative).write_bytes(png_bytes(product.pk))
        images.append(ProductImage(product=product, image=relative, position=0))
    ProductImage.objects.bulk_create(images, batch_size=500)
    return category


def route_counts(stats: dict) -> dict[str, int]:
    return {route: int(n) for route, n in (stats.get("by_route") or {}).items()}


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def run_job(helper, account, category, *, threads: int) -> dict:
    from allegro.listing.models import ListingJob
    from allegro.listing.services.jobs import ListingOptions, listing_job_run, listing_job_start

    before = helper.stats()
    job = listing_job_start(account=account, options=ListingOptions(), category=category)  # run here, not in Celery
    started = time.monotonic()
    listing_job_run(job_id=job.pk, threads=threads)
    elapsed = time.monotonic() - started
    after = helper.stats()
    job = ListingJob.objects.get(pk=job.pk)
    routes = delta(route_counts(after), route_counts(before))
    statuses = delta(
        {k: int(v) for k, v in after["by_status"].items()}, {k: int(v) for k, v in before["by_status"].items()}
    )
    uploads = sum(n for route, n in routes.items() if "/sale/images" in route)
    calls = sum(routes.values())
    first_failures = list(job.items.exclude(result="listed").values_list("result", "message")[:5])
    return {
        "job": job.pk,
        "offers": job.succeeded,
        "total": job.total,
        "skipped": job.skipped,
        "failed": job.failed,
        "elapsed_s": round(elapsed, 2),
        "offers_per_s": round(job.succeeded / elapsed, 2) if elapsed else 0.0,
        "api_calls": calls,
        "image_uploads": uploads,
        "other_calls": calls - uploads,
        "calls_per_offer_without_images": round((calls - uploads) / max(1, job.succeeded), 3),
        "image_uploads_per_offer": round(uploads / max(1, job.succeeded), 3),
        "status_429": statuses.get("429", 0),
        "routes": routes,
        "statuses": statuses,
        "not_listed_examples": first_failures,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--sequential-count", type=int, default=100)
    parser.add_argument("--threads", type=int, default=0, help="threads of the job (default: ALLEGRO_LISTING_THREADS)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="selly-bench-listing-"))
    setup_django(workdir)
    from django.conf import settings

    from allegro.listing.services.jobs import _threads
    from tests.emulator_support import EmulatorProcess

    threads = args.threads or _threads(None)
    server = EmulatorProcess(workdir / "emulator.sqlite3")
    server.start()
    try:
        helper, app, account = connect_account(server)
        helper.set_settings(
            latency_ms=args.latency_ms,
            rate_limits={"seller_offer_writes_per_minute": WRITE_LIMIT, "seller_offer_writes_per_hour": 74700},
        )
        prepare_account(account)
        media = Path(settings.MEDIA_ROOT)
        t0 = time.monotonic()
        mass_category = make_catalogue(app, name="Czajniki", count=args.count, start=1, media=media)
        seq_category = make_catalogue(
            app, name="Czajniki (sekwencyjnie)", count=args.sequential_count, start=args.count + 1, media=media
        )
        setup_s = time.monotonic() - t0

        mass = run_job(helper, account, mass_category, threads=threads)
        # The sequential run starts after the write window of the mass run has room again: it shares the seller.
        sequential = run_job(helper, account, seq_category, threads=1)
    finally:
        server.stop()

    minimum_s = args.count / WRITE_LIMIT * 60
    ratio = mass["elapsed_s"] / minimum_s if minimum_s else 0.0
    seq_per_offer = sequential["elapsed_s"] / max(1, sequential["offers"])
    seq_extrapolated = seq_per_offer * args.count
    passed = (
        mass["offers"] == args.count
        and ratio <= TARGET_RATIO
        and mass["status_429"] == 0
        and mass["calls_per_offer_without_images"] <= TARGET_CALLS_PER_OFFER
    )

    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(
        f"Mass listing benchmark — emulator latency {args.latency_ms} ms/request, write limit {WRITE_LIMIT}/min, "
        f"{threads} threads, database {db}, limiter {'redis' if getattr(settings, 'REDIS_URL', '') else 'database row'}"
    )
    print(f"(setup of {args.count + args.sequential_count} products with images: {setup_s:.1f} s, not measured)")
    print()
    print(f"{'':44} {'concurrent job':>16} {'sequential (1 thread)':>22}")
    print(f"{'products in the job':44} {mass['total']:>16} {sequential['total']:>22}")
    print(f"{'offers listed':44} {mass['offers']:>16} {sequential['offers']:>22}")
    print(f"{'elapsed (s)':44} {mass['elapsed_s']:>16.2f} {sequential['elapsed_s']:>22.2f}")
    print(f"{'offers/s':44} {mass['offers_per_s']:>16.2f} {sequential['offers_per_s']:>22.2f}")
    print(f"{'API calls (all)':44} {mass['api_calls']:>16} {sequential['api_calls']:>22}")
    print(f"{'  image uploads (POST /sale/images)':44} {mass['image_uploads']:>16} {sequential['image_uploads']:>22}")
    print(f"{'  other calls':44} {mass['other_calls']:>16} {sequential['other_calls']:>22}")
    print(
        f"{'API calls per offer, without image uploads':44} {mass['calls_per_offer_without_images']:>16} "
        f"{sequential['calls_per_offer_without_images']:>22}"
    )
    print(
        f"{'image uploads per offer':44} {mass['image_uploads_per_offer']:>16} {sequential['image_uploads_per_offer']:>22}"
    )
    print(f"{'429 answered':44} {mass['status_429']:>16} {sequential['status_429']:>22}")
    print()
    print(
        f"limit's minimum time for {args.count} offers: {minimum_s:.1f} s -> ratio {ratio:.2f} (target <= {TARGET_RATIO})"
    )
    print(
        f"sequential, extrapolated to {args.count} offers: {seq_extrapolated:.1f} s "
        f"({seq_extrapolated / mass['elapsed_s']:.1f}x the concurrent job)"
        if mass["elapsed_s"]
        else ""
    )
    print(f"calls by route (concurrent job): {json.dumps(mass['routes'], ensure_ascii=False)}")
    if mass["not_listed_examples"]:
        print(f"not listed (examples): {mass['not_listed_examples']}")
    result = {
        "count": args.count,
        "latency_ms": args.latency_ms,
        "threads": threads,
        "elapsed_s": mass["elapsed_s"],
        "offers_listed": mass["offers"],
        "offers_per_s": mass["offers_per_s"],
        "min_time_s": round(minimum_s, 2),
        "ratio_to_min": round(ratio, 3),
        "api_calls_per_offer_without_images": mass["calls_per_offer_without_images"],
        "image_uploads_per_offer": mass["image_uploads_per_offer"],
        "status_429": mass["status_429"],
        "sequential_count": args.sequential_count,
        "sequential_elapsed_s": sequential["elapsed_s"],
        "sequential_offers_per_s": sequential["offers_per_s"],
        "sequential_extrapolated_s": round(seq_extrapolated, 1),
        "pass": passed,
    }
    print(json.dumps(result))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
