"""A client of the emulator's control routes (`/_emulator/...`: reset, settings, faults, clock, sellers,
purchases, offers/bulk, state/offers...), written once for the tests and the benchmarks.

Standard library only (urllib), so a benchmark can use it without the test suite's dependencies. The product
code never imports it: it talks to Allegro (or the emulator) only through allegro/integration/client.py.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class ControlError(RuntimeError):
    """A control call answered with an error status (or not the status the caller expected)."""

    def __init__(self, method: str, path: str, status: int, body: str):
        super().__init__(f"{method} /_emulator/{path} → {status}: {body[:500]}")
        self.status = status
        self.body = body


class ControlClient:
    """`ControlClient("http://127.0.0.1:8001").post("settings", {"latency_ms": 0})` → the decoded JSON answer.

    Without `expect`, a status of 400 or more raises ControlError. With `expect`, any other status raises it and
    the body of that status is returned, an error body too (a test provoking a 409 passes `expect=409`)."""

    def __init__(self, base_url: str, *, timeout: float = 10):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def call(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        expect: int | None = None,
        timeout: float | None = None,
    ) -> Any:
        path = path.lstrip("/")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base_url}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        text = raw.decode("utf-8", "replace")
        failed = status >= 400 if expect is None else status != expect
        if failed:
            raise ControlError(method, path, status, text)
        return json.loads(raw) if raw else {}

    def post(self, path: str, body: dict | None = None, *, expect: int | None = None, timeout: float | None = None):
        return self.call("POST", path, body or {}, expect=expect, timeout=timeout)

    def get(self, path: str, *, timeout: float | None = None):
        return self.call("GET", path, timeout=timeout)

    def delete(self, path: str, *, timeout: float | None = None):
        return self.call("DELETE", path, timeout=timeout)

    # The routes every caller needs, by name.
    def healthy(self) -> bool:
        """True once the emulator answers its health route (False while it is still starting)."""
        try:
            self.call("GET", "health", timeout=1)
        except (OSError, ControlError):
            return False
        return True

    def reset(self) -> None:
        self.post("reset")

    def set_settings(self, **settings) -> dict:
        return self.post("settings", settings)

    def add_fault(self, path_regex: str, **fault) -> dict:
        return self.post("faults", {"path_regex": path_regex, **fault})

    def clear_faults(self) -> None:
        self.delete("faults")

    def clock(self, seconds: float) -> dict:
        return self.post("clock", {"seconds": seconds})

    def stats(self) -> dict:
        return self.get("stats")

    def requests(self, since: int = 0) -> list[dict]:
        return self.get(f"requests?since={since}")["requests"]

    def place_bid(
        self, offer_id: str, max_amount: str, *, buyer: str | None = None, purchase: dict | None = None
    ) -> dict:
        """A buyer's bid on an auction (`buyer`: the buyer's login; a new buyer when None)."""
        body: dict = {"max_amount": max_amount}
        if buyer:
            body["buyer"] = {"login": buyer}
        if purchase:
            body["purchase"] = purchase
        return self.post(f"offers/{offer_id}/bids", body)

    def add_seller(self, login: str) -> str:
        return self.post("sellers", {"login": login})["id"]
