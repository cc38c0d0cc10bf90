"""Schemathesis fuzzes every operation the emulator implements against Allegro's published spec.

The operations come from the emulator's routing table, so a new route is fuzzed as soon as it exists.
Both generation modes run: positive cases (data the spec allows) must be answered as the spec says, and
negative cases (wrong types, broken rules) must be refused with a documented status and Allegro's error
body, never with a server error. Bounded (a fixed number of examples per operation, derandomised) so it
stays a few minutes on a small machine.
"""

from __future__ import annotations

import re
import warnings

import pytest
import requests  # noqa: TID251 — the fuzzer talks HTTP to the emulator
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from allegro_emulator import app, routing
from tests.emulator_support import DEMO_CLIENT, SPEC_PATH, Emulator, EmulatorProcess

MAX_EXAMPLES = 20
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
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
    """A separate emulator process: the fuzzer leaves whatever it created behind."""
    server = EmulatorProcess(tmp_path_factory.mktemp("fuzz") / "state.sqlite3")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tokens(fuzzed_emulator):
    helper = Emulator(fuzzed_emulator, contract=None)
    return {"user": helper.user_token()["access_token"], "app": helper.app_token(DEMO_CLIENT)}


schema = schemathesis.openapi.from_dict(SPEC).include(
    lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in set(OPERATIONS)
)


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
