"""Shared integration fixtures: the offline Allegro emulator on a free loopback port, and a contract
checker that validates every API request/response against Allegro's published OpenAPI spec."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests  # noqa: TID251 — integration tests talk HTTP to the emulator

from allegro_emulator.control_client import ControlClient

ROOT = Path(__file__).resolve().parents[1]
SPEC_PATH = ROOT / "tests" / "fixtures" / "allegro-openapi.yaml"
PUBLIC = "application/vnd.allegro.public.v1+json"
BETA = "application/vnd.allegro.beta.v1+json"
# Paths that are not Allegro's REST API (OAuth, control, served images, offer pages): not in the spec.
NON_API_PREFIXES = ("/_emulator/", "/auth/oauth/", "/img/", "/skojarz-aplikacje", "/oferta/")
UPLOAD_PATHS = ("/sale/images",)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmulatorProcess:
    """A running `python -m allegro_emulator` subprocess."""

    def __init__(self, state_path: Path, port: int | None = None):
        self.state_path = state_path
        self.port = port or _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 15) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "allegro_emulator", "--port", str(self.port), "--state", str(self.state_path)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        control = ControlClient(self.base_url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"emulator exited: {self.proc.stderr.read().decode()[-2000:]}")
            if control.healthy():
                return
            time.sleep(0.05)
        raise RuntimeError("emulator did not become healthy")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory):
    """The emulator process for the whole session (state in a temp file)."""
    server = EmulatorProcess(tmp_path_factory.mktemp("emulator") / "state.sqlite3")
    server.start()
    yield server
    server.stop()


# Contract checks ---------------------------------------------------------------------------------------
class ContractViolation(AssertionError):
    pass


class Contract:
    """Validates emulator traffic against tests/fixtures/allegro-openapi.yaml with openapi-core.

    Responses are always validated; requests are validated when the response is a success (tests send
    deliberately broken requests to provoke 4xx). Statuses the spec does not list for an operation are
    checked against Allegro's two error shapes (ErrorsHolder, AuthError).
    """

    def __init__(self):
        from openapi_core import Config, OpenAPI

        deserializers = {PUBLIC: json.loads, BETA: json.loads}
        self.openapi = OpenAPI.from_file_path(
            str(SPEC_PATH), config=Config(extra_media_type_deserializers=deserializers)
        )
        self.checked = 0

    @staticmethod
    def applies(url: str) -> bool:
        return not urlsplit(url).path.startswith(NON_API_PREFIXES)

    @staticmethod
    def _spec_url(url: str) -> str:
        parts = urlsplit(url)
        host = "https://upload.allegro.pl" if parts.path in UPLOAD_PATHS else "https://api.allegro.pl"
        return host + parts.path + (f"?{parts.query}" if parts.query else "")

    def check(self, response: requests.Response, *, untidy: bool = False) -> None:
        """`untidy`: the emulator answers untidy (optional fields null at random): nulls are taken as absent."""
        # openapi-core cannot check oauth2 security schemes (it warns); the emulator's own tests cover auth.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
            self._check(response, untidy)

    def _check(self, response: requests.Response, untidy: bool = False) -> None:
        from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
        from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
        from openapi_core.templating.responses.exceptions import ResponseNotFound

        prepared = response.request
        if not self.applies(prepared.url):
            return
        spec_request = prepared.copy()
        spec_request.url = self._spec_url(prepared.url)
        oa_request = RequestsOpenAPIRequest(spec_request)
        self.checked += 1
        if (
            200 <= response.status_code < 300
            and prepared.headers.get("Content-Type", "").startswith(("application/vnd.allegro", "application/json"))
            or 200 <= response.status_code < 300
            and not prepared.body
        ):
            try:
                self.openapi.validate_request(oa_request)
            except Exception as exc:  # noqa: BLE001 — report whatever openapi-core found
                raise ContractViolation(f"request {prepared.method} {prepared.url} breaks the spec: {_describe(exc)}")
        try:
            self.openapi.validate_response(
                oa_request, RequestsOpenAPIResponse(_without_known_deviations(response, untidy))
            )
        except (ResponseNotFound, OperationNotFound, PathNotFound):
            # a status (or, for 405, a method) the spec does not list: it must still be an Allegro error body
            if response.status_code < 400:
                raise ContractViolation(f"{prepared.method} {prepared.url}: status {response.status_code} not in spec")
            self._check_error_shape(response)
        except Exception as exc:  # noqa: BLE001
            raise ContractViolation(
                f"response {response.status_code} of {prepared.method} {prepared.url} breaks the spec: "
                f"{_describe(exc)}\nbody: {response.text[:500]}"
            )

    @staticmethod
    def _check_error_shape(response: requests.Response) -> None:
        body = response.json()
        if "errors" in body:
            for item in body["errors"]:
                if not isinstance(item.get("code"), str) or not isinstance(item.get("message"), str):
                    raise ContractViolation(f"bad ErrorsHolder item: {item}")
                if not isinstance(item.get("metadata", {}), dict):
                    raise ContractViolation(f"bad metadata: {item}")
        elif not isinstance(body.get("error"), str):
            raise ContractViolation(f"neither ErrorsHolder nor AuthError: {body}")


# Real Allegro answers with nulls the spec does not allow: `"parent": null` on root categories and
# `"requiredIf": null, "displayedIf": null` on parameters (see the verbatim production/sandbox responses in
# allegro_emulator/fixtures/), and null for every optional part of a checkout form it has nothing for
# (captured forms: docs/emulator.md, "Shapes"). The emulator keeps the real behaviour; a dropped null that
# the spec requires still fails, so only nulls of optional keys are tolerated.
CHECKOUT_FORM_NULLS = {
    "messageToSeller",
    "firstName",
    "lastName",
    "companyName",
    "personalIdentity",
    "phoneNumber",
    "address",
    "modifiedAt",
    "pickupPoint",
    "guaranteed",
    "cancellation",
    "dueDate",
    "company",
    "naturalPerson",
    "external",
    "productSet",
    "reconciliation",
    "tax",
    "note",
    "provider",
    "finishedAt",
    "paidAmount",
}
KNOWN_NULLS = {
    "/sale/categories": {"parent", "requiredIf", "displayedIf"},
    "/order/checkout-forms": CHECKOUT_FORM_NULLS,
    "/order/events": {"external"},
    # the spec marks these nullable, but beside a $ref, where a validator must ignore it
    "/sale/product-offers": {
        "fundraisingCampaign",
        "additionalServices",
        "compatibilityList",
        "afterSalesServices",
        "contact",
        "sizeTable",
        "taxSettings",
        "messageToSellerSettings",
        "duration",
        "endingAt",
        "endedBy",
        "shippingRates",
        "additionalInfo",
        "shipmentDate",
        "responsiblePerson",
        "responsibleProducer",
        "safetyInformation",
        "marketedBeforeGPSRObligation",
    },
    "/sale/offers": {
        "primaryImage",
        "priceAutomation",
        "startingPrice",
        "minimalPrice",
        "currentPrice",
        "biddersCount",
        "startingAt",
        "startedAt",
        "endingAt",
        "endedAt",
        "afterSalesServices",
        "additionalServices",
        "external",
        "shippingRates",
        "fundraisingCampaign",
    },
}


def _drop_nulls(value, keys: set[str] | None):
    """`value` without the null-valued keys named in `keys` (every null-valued key when `keys` is None)."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v, keys) for k, v in value.items() if not (v is None and (keys is None or k in keys))}
    if isinstance(value, list):
        return [_drop_nulls(v, keys) for v in value]
    return value


def _without_known_deviations(response: requests.Response, untidy: bool = False) -> requests.Response:
    path = urlsplit(response.request.url).path
    keys = next((k for prefix, k in KNOWN_NULLS.items() if path.startswith(prefix)), None)
    if untidy:
        keys = None
    elif not keys:
        return response
    if not 200 <= response.status_code < 300 or not response.content:
        return response
    copy = requests.Response()
    copy.__dict__.update(response.__dict__)
    copy._content = json.dumps(_drop_nulls(response.json(), keys)).encode()
    return copy


def _describe(exc: Exception) -> str:
    parts = [repr(exc)[:300]]
    for sub in getattr(exc, "schema_errors", None) or []:
        parts.append(f"  - {getattr(sub, 'message', sub)} at {list(getattr(sub, 'path', []))}")
    cause = exc.__cause__
    if cause is not None:
        parts.append(_describe(cause))
    return "\n".join(parts)


@pytest.fixture(scope="session")
def contract() -> Contract:
    """The spec loaded once per session; `contract.check(response)` raises ContractViolation."""
    return Contract()


# The per-test emulator helper ---------------------------------------------------------------------------
DEMO_CLIENT = ("demo-client", "demo-secret")
DEMO_REDIRECT = "http://127.0.0.1:8000/allegro/oauth/callback/"


class Emulator(ControlClient):
    """Helper around a freshly reset emulator. The control routes (`post`, `get`, `reset`, `set_settings`,
    `add_fault`, `clock`, `stats`, `requests`, `add_seller`...) come from allegro_emulator/control_client.py,
    which the benchmarks share; API calls made through `api()` sessions are contract-checked."""

    def __init__(self, server: EmulatorProcess, contract: Contract | None):
        super().__init__(server.base_url)
        self.server = server
        self.contract = contract
        self.http = requests.Session()
        self.untidy = False

    # API sessions
    def api(self, token: str | None = None, *, lang: str | None = None, accept: str = PUBLIC) -> requests.Session:
        """A session with Allegro's headers; every response is validated against the spec."""
        session = requests.Session()
        session.headers["Accept"] = accept
        if token:
            session.headers["Authorization"] = f"Bearer {token}"
        if lang:
            session.headers["Accept-Language"] = lang
        if self.contract is not None:
            session.hooks["response"].append(lambda resp, *a, **kw: self.contract.check(resp, untidy=self.untidy))
        return session

    def url(self, path: str) -> str:
        return self.base_url + path

    # OAuth
    def authorize(
        self,
        *,
        login: str = "demo-seller",
        client: tuple[str, str] = DEMO_CLIENT,
        redirect_uri: str = DEMO_REDIRECT,
        verifier: str | None = None,
        state: str = "st4te",
    ) -> tuple[str, str]:
        """Run the consent page (Zezwól) and return (code, verifier)."""
        verifier = verifier or secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        form = {
            "response_type": "code",
            "client_id": client[0],
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "login": login,
            "decision": "allow",
        }
        resp = self.http.post(self.url("/auth/oauth/authorize"), data=form, allow_redirects=False, timeout=10)
        assert resp.status_code == 302, resp.text
        query = parse_qs(urlsplit(resp.headers["Location"]).query)
        assert query["state"] == [state]
        return query["code"][0], verifier

    def token_request(self, params: dict, client: tuple[str, str] = DEMO_CLIENT) -> requests.Response:
        return self.http.post(self.url("/auth/oauth/token"), params=params, auth=client, timeout=10)

    def user_token(self, login: str = "demo-seller", client: tuple[str, str] = DEMO_CLIENT) -> dict:
        code, verifier = self.authorize(login=login, client=client)
        resp = self.token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": DEMO_REDIRECT,
                "code_verifier": verifier,
            },
            client,
        )
        assert resp.status_code == 200, resp.text
        return resp.json()

    def app_token(self, client: tuple[str, str] = DEMO_CLIENT) -> str:
        resp = self.token_request({"grant_type": "client_credentials"}, client)
        assert resp.status_code == 200, resp.text
        return resp.json()["access_token"]


# The untidy switch for reruns: tests marked `untidy` run once more against an emulator whose answers have
# their optional fields null or absent at random (docs/emulator.md, "Untidy answers"). The seed and the
# probability can be changed for a local hunt: SELLY_UNTIDY_SEED=7 pytest -m untidy -k untidy_answers
UNTIDY = {
    "seed": int(os.environ.get("SELLY_UNTIDY_SEED", "20261203")),
    "probability": float(os.environ.get("SELLY_UNTIDY_PROBABILITY", "0.3")),
}


def parametrize_untidy(metafunc) -> None:
    """Called from pytest_generate_tests: a test marked `untidy` that uses the emulator runs tidy and untidy."""
    definition = metafunc.definition
    if definition.get_closest_marker("tidy_only"):
        return  # asserts optional data the untidy answers leave out (the marker's reason says which)
    if definition.get_closest_marker("untidy") and "emulator" in metafunc.fixturenames:
        metafunc.parametrize("emulator", ["tidy", "untidy"], indirect=True, ids=["tidy_answers", "untidy_answers"])


@pytest.fixture
def emulator(request, emulator_server, contract) -> Emulator:
    """A freshly reset emulator (demo app, demo seller, catalogue) and helpers; untidy in the `untidy` rerun."""
    helper = Emulator(emulator_server, contract)
    helper.reset()
    if getattr(request, "param", "tidy") == "untidy":
        helper.set_settings(untidy=UNTIDY)
        helper.untidy = True
    return helper


# The emulator's state, written straight (the offers area's own API is not needed) ------------------------------
DEMO_SELLER_ID = "44556677"
_offer_ids = itertools.count(1)


def state_db(emulator: Emulator) -> sqlite3.Connection:
    conn = sqlite3.connect(emulator.server.state_path, timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def make_offer(
    emulator: Emulator,
    *,
    price: str = "49.99",
    stock: int = 10,
    status: str = "ACTIVE",
    fmt: str = "BUY_NOW",
    seller_id: str = DEMO_SELLER_ID,
    name: str | None = None,
    external_id: str | None = "SKU-1",
    data: dict | None = None,
) -> str:
    """An offer row written straight into the emulator's state; returns its id."""
    offer_id = str(18000000000 + next(_offer_ids))
    name = name or f"Słuchawki bezprzewodowe {offer_id[-4:]}"
    doc = {
        "id": offer_id,
        "name": name,
        "sellingMode": {"format": fmt, "price": {"amount": price, "currency": "PLN"}},
        "stock": {"available": stock, "unit": "UNIT"},
        "external": {"id": external_id} if external_id else None,
        "images": [],
        "description": {"sections": [{"items": [{"type": "TEXT", "content": "<p>Opis</p>"}]}]},
    }
    doc.update(data or {})
    with state_db(emulator) as conn:
        conn.execute(
            "INSERT INTO offers(id, seller_id, external_id, name, format, status, price_amount, price_currency,"
            " stock_available, initial_stock, data, created_at, updated_at, last_edit_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                offer_id,
                seller_id,
                external_id,
                name,
                fmt,
                status,
                price,
                "PLN",
                stock,
                stock,
                json.dumps(doc),
                "2026-01-01T00:00:00.000Z",
                "2026-01-01T00:00:00.000Z",
                "2026-01-01T00:00:00.000Z",
            ),
        )
    return offer_id


def offer_row(emulator: Emulator, offer_id: str) -> sqlite3.Row:
    with state_db(emulator) as conn:
        return conn.execute("SELECT * FROM offers WHERE id = ?", (offer_id,)).fetchone()
