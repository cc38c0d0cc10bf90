"""Reconciliation of 10,000 offers, not a test.

    .venv/bin/python bench/reconcile.py [--offers 10000] [--drift 50]

Same setup as bench/sync_offers.py (own emulator, scratch database). ``--drift`` offers get another price on
Allegro behind the panel's back (one price command, as from Allegro's web UI); the reconciliation lists every
offer (GET /sale/offers, 1000 per page), reports the drift and puts the shop's prices back. Targets: at most 15
API calls, under 30 s, drift found and fixed. Last line: one JSON object with "pass".
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync_offers import Environment, connect_account, emulator_matches_shop, offers_setup  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--drift", type=int, default=50)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-reconcile-"))
    env = Environment(tmp=tmp)
    try:
        return run(env, args)
    finally:
        env.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run(env: Environment, args) -> int:
    from allegro.sync.services.engine import sync_run

    account = connect_account(env)
    env.emulator.set_settings(command_task_seconds=0, latency_ms=0)
    _products, ids = offers_setup(env, account, args.offers)
    drifted = ids[: args.drift]
    if drifted:
        resp = env.emulator.http.put(
            env.emulator.url(f"/sale/offer-price-change-commands/{uuid.uuid4()}"),
            json={
                "modification": {"type": "FIXED_PRICE", "price": {"amount": "1.23", "currency": "PLN"}},
                "offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": i} for i in drifted]}],
            },
            headers={
                "Authorization": f"Bearer {account.access_token}",
                "Accept": "application/vnd.allegro.public.v1+json",
                "Content-Type": "application/vnd.allegro.public.v1+json",
            },
            timeout=30,
        )
        assert resp.status_code == 201, resp.text
    started = time.perf_counter()
    [result] = sync_run(account=account, only={"reconcile"})
    elapsed = time.perf_counter() - started
    checked, mismatches = emulator_matches_shop(env, account)
    figures = {
        "offers": args.offers,
        "drift_injected": len(drifted),
        "drift_found": result.counts.get("drift", 0),
        "allegro_offers_listed": result.counts.get("allegro_offers", 0),
        "api_calls": result.api_calls,
        "write_calls": result.counts.get("write_calls", 0),
        "elapsed_s": round(elapsed, 2),
        "mismatches_after": len(mismatches),
        "status": result.status,
    }
    figures["pass"] = bool(
        figures["api_calls"] <= 15
        and elapsed < 30
        and figures["drift_found"] == len(drifted)
        and not mismatches
        and checked == args.offers
    )
    for key, value in figures.items():
        print(f"{key:<24} {value}")
    print(json.dumps(figures))
    return 0 if figures["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
