"""Schemathesis fuzzes every operation the emulator implements against Allegro's published spec.

The operations come from the emulator's routing table, so a new route is fuzzed as soon as it exists.
Both generation modes run: positive cases (data the spec allows) must be answered as the spec says, and
negative cases (wrong types, broken rules) must be refused with a documented status and Allegro's error
body, never with a server error. Bounded (a fixed number of examples per operation, derandomised) so it
stays a few minutes on a small machine.
"""

from __future__ import annotations

import copy
import json
import re
import warnings

import pytest
import requests  # noqa: TID251 — the fuzzer talks HTTP to the emulator
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from allegro_emulator import app, openapi, routing
from allegro_emulator.control_client import ControlClient
from tests.emulator_support import DEMO_CLIENT, KNOWN_NULLS, SPEC_PATH, Emulator, EmulatorProcess, _drop_nulls

MAX_EXAMPLES = 20
UNREACHABLE_LIMITS = (
    "client_per_minute",
    "seller_offer_writes_per_minute",
    "seller_offer_writes_per_hour",
    "seller_offer_reads_per_minute",
    "command_offer_changes_per_minute",
)


# Where real Allegro departs from its own spec. Each entry relaxes one check for exactly that place; every
# other answer is checked as the spec says.
#
# 1. Wrong media types: Allegro answers 406 NotAcceptableException to an Accept that is not the operation's
#    media type and 415 UnsupportedMediaTypeException to a body in another Content-Type; most operations
#    do not list 406/415. The fuzzer's coverage phase sends such requests on purpose.
# 2. Invalid requests on operations that document neither 400 nor 422 (e.g. an offset past the spec's
#    maximum on GET /after-sales-service-conditions/warranties): Allegro refuses them all the same, with its
#    error body. Only negative cases (the fuzzer's deliberately invalid requests) get this allowance.
# 3. Nulls the spec does not allow: "parent": null on root categories and "requiredIf"/"displayedIf": null
#    on parameters (verbatim production answers in allegro_emulator/fixtures/), as the contract check in
#    tests/emulator_support.py already knows.
# 4. "count": 0 and "totalCount": 0 on an empty page of GET /order/checkout-forms (the spec says minimum
#    1 — an empty list cannot hold one).
# 5. PUT of an unknown responsible producer or person: 404 NOT_FOUND, as GET of the same id documents; the
#    PUT operations list no 404.
def _media(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


def _is_wrong_media_answer(response, case) -> bool:
    route, _, _ = routing.resolve(case.method.upper(), _example_path(case.path))
    media = route.media if route is not None else ()
    request = response.request
    if response.status_code == 406:
        return not any(_media(m) in media for m in (request.headers.get("Accept") or "").split(","))
    if response.status_code == 415:
        return _media(request.headers.get("Content-Type")) not in media
    return False


def _is_refused_invalid_request(response, case) -> bool:
    documented = {str(s) for s in case.operation.definition.raw.get("responses", {})}
    return (
        case.meta is not None
        and case.meta.generation.mode == GenerationMode.NEGATIVE
        and response.status_code in (400, 422)
        and not documented & {"400", "422"}
        and "errors" in response.json()
    )


@schemathesis.check
def status_code_as_documented(ctx, response, case):
    """status_code_conformance, but for departures 1, 2 and 5 above."""
    if _is_wrong_media_answer(response, case) or _is_refused_invalid_request(response, case):
        return True
    if response.status_code == 404 and case.method == "PUT" and case.path.startswith("/sale/responsible-"):
        return True
    return status_code_conformance(ctx, response, case)


@schemathesis.check
def response_schema_as_documented(ctx, response, case):
    """response_schema_conformance, but for departures 1, 3 and 4 above."""
    if _is_wrong_media_answer(response, case) or _is_refused_invalid_request(response, case):
        return True
    path = case.path
    keys = next((k for prefix, k in KNOWN_NULLS.items() if path.startswith(prefix)), None)
    if response.status_code == 200 and (keys or path == "/order/checkout-forms"):
        body = response.json()
        if keys:
            body = _drop_nulls(body, keys)
        if path == "/order/checkout-forms" and body.get("checkoutForms") == [] and body.get("count") == 0:
            body = {**body, "count": 1, "totalCount": max(1, body.get("totalCount", 0))}
        response = copy.copy(response)
        response.content = json.dumps(body).encode()
        response.clear_cache()
    return response_schema_conformance(ctx, response, case)


# Invoice files are PUT as application/pdf: raw bytes, as the fuzzer sends any binary body.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_as_documented,
    content_type_conformance,
    response_schema_as_documented,
    response_headers_conformance,
]


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _load_spec() -> dict:
    with open(SPEC_PATH, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


SPEC = _load_spec()


def _implemented_operations() -> list[tuple[str, str]]:
    """(method, spec path) of every emulator route that Allegro's spec describes."""
    app.load_areas()
    spec_paths = SPEC["paths"]
    by_template = {_template(path): path for path in spec_paths}
    found = []
    for route in routing.ROUTES:
        if route.control:
            continue
        spec_path = by_template.get(_template(route.pattern))
        if spec_path and route.method.lower() in spec_paths[spec_path]:
            found.append((route.method, spec_path))
    return sorted(set(found))


OPERATIONS = _implemented_operations()


@pytest.fixture(scope="module")
def fuzzed_emulator(tmp_path_factory):
    """A separate emulator process: the fuzzer leaves whatever it created behind.

    Its rate limits are out of the fuzzer's reach: thousands of cases in a minute on a fast machine would
    otherwise pass Allegro's 9,000 requests per minute, and every case after that would be a 429 that
    checks nothing about the operation (the limits have tests of their own).
    """
    server = EmulatorProcess(tmp_path_factory.mktemp("fuzz") / "state.sqlite3")
    server.start()
    ControlClient(server.base_url).set_settings(rate_limits={name: 10**9 for name in UNREACHABLE_LIMITS})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tokens(fuzzed_emulator):
    helper = Emulator(fuzzed_emulator, contract=None)
    return {"user": helper.user_token()["access_token"], "app": helper.app_token(DEMO_CLIENT)}


schema = schemathesis.openapi.from_dict(SPEC).include(
    lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in set(OPERATIONS)
)


def test_the_emulator_ships_the_spec_the_tests_use():
    with open(openapi.SPEC_FILE, encoding="utf-8") as fh:
        assert json.load(fh) == json.loads(json.dumps(SPEC, default=str))


def test_every_implemented_operation_is_in_the_list():
    assert len(OPERATIONS) > 50
    assert ("POST", "/sale/product-offers") in OPERATIONS
    assert ("GET", "/sale/categories/{categoryId}") in OPERATIONS


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_operation_conforms_to_the_spec(case, tokens, fuzzed_emulator, http_session):
    route, _, _ = routing.resolve(case.method.upper(), _example_path(case.path))
    token = tokens["app"] if route is not None and route.auth == "any" else tokens["user"]
    accept = route.media[0] if route is not None and route.media else "application/json"
    headers = {"Authorization": f"Bearer {token}", "Accept": accept}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        case.call_and_validate(
            base_url=fuzzed_emulator.base_url, session=http_session, headers=headers, checks=CHECKS, timeout=10
        )


@pytest.fixture(scope="module")
def http_session():
    with requests.Session() as session:
        yield session


def _example_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)
