"""Wires the areas together. Each area is one module that registers its routes on import.

To add an area, create `allegro_emulator/<area>.py` with `@route(...)` handlers (and its tables with
`db.add_schema(...)`, its control routes with `control.control(...)`) and list it in AREAS.
"""

from __future__ import annotations

import importlib
import threading

from . import clock, db, openapi, state

AREAS = [
    "oauth",  # /auth/oauth/*, /me
    "catalogue",  # categories, parameters, matching, delivery methods, tax settings, carriers
    "seller_settings",  # shipping rates, after-sales conditions, responsible producers/persons
    "images",  # POST /sale/images, GET /img/...
    "products",  # the product catalogue: /sale/products, /sale/product-proposals
    "offers",  # product-offers, operations, /sale/offers, commands, offer events (helper a)
    "auctions",  # bids on AUCTION offers, the winner's purchase at the end (control routes only)
    "commands",  # batch offer commands (publication, price, quantity, modification, bulk)
    "orders",  # order events, checkout forms, shipments, purchases, offer page (helper b)
    "shipment_management",  # Wysyłam z Allegro: services, shipment/pickup commands, labels, protocols
    "returns",  # customer returns, payment refunds, commission refund claims
    "invoices",  # invoices attached to checkout forms (declaration, PDF upload, list)
    "offer_page",  # public /oferta/<id> page with "Kup teraz"
    "messaging",  # /messaging/threads, messages, attachments; buyers write through /_emulator/messages
    "promotions",  # promotion packages, promo-options commands, an offer's packages, the fee preview
    "control",  # /_emulator/*
]

_loaded = False
_lock = threading.Lock()


def load_areas() -> None:
    global _loaded
    with _lock:
        if not _loaded:
            for name in AREAS:
                importlib.import_module(f"allegro_emulator.{name}")
            _loaded = True


def init(state_path: str, *, latency_ms: int | None = None) -> None:
    """Open the state, seed it on first start, load settings and the clock."""
    from . import seed

    load_areas()  # before configure(): areas declare their tables at import (db.add_schema)
    db.configure(state_path)
    if not db.meta_get("seeded"):
        seed.reset()
    state.load(latency_ms)
    clock.load()
    # Allegro's spec (request validation) loads while the server starts answering: health checks and
    # token requests need none of it, the first validated request waits for it.
    threading.Thread(target=openapi.preload, name="spec-preload", daemon=True).start()
