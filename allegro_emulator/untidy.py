"""Untidy answers: every optional field of an API answer null or absent at random, deterministically.

Switched on with `POST /_emulator/settings {"untidy": {"seed": 123, "probability": 0.3}}` and off with
`{"untidy": null}`. A field is optional when the response schema of its operation in Allegro's spec does
not list it in `required` (nullable or not); for `oneOf`/`anyOf`/`allOf` a field required by any of the
schemas counts as required. Of the optional fields an answer carries, each one is, with `probability`,
made null or left out (half and half), else its value is walked the same way.

The choice for a field depends only on the seed, the operation and the field's path in the answer (list
positions included): a run of the same requests gets the same answers (the emulator's ids are random, so
they take no part), the same field of the second form of a list differs from the first's.

Kept whatever the dice say, because an answer without them is not an answer about anything:
- identifiers (`id`): the spec leaves them optional in most schemas (SaleProductOfferResponseV1,
  CategoryDto, ...), but a resource without its id cannot be named again;
- states (`status`, an offer's `publication`): what state an offer, command or task is in;
- the lists an answer consists of (an array at the top level: `offers`, `checkoutForms`, `events`, ...)
  and its `count`/`totalCount`;
- `order.checkoutForm` of an order event (optional in OrderEventsList): it is what the event is about;
- the category tree and category parameters (`TIDY_ROUTES`): definitions, not data.

The spec is the one the emulator validates requests with (`spec/openapi.json`, loaded once by `openapi`).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from typing import Any

from . import openapi

KEPT_ANYWHERE = {"id", "status"}
KEPT_PATHS = {"order.checkoutForm", "publication"}
KEPT_AT_TOP = {"count", "totalCount"}
# Definitions, not data: an absent `required` or `leaf` would be a lie about the category, not untidiness
# (their real nulls, requiredIf/displayedIf and a root's parent, are in the tidy answer already).
TIDY_ROUTES = {
    "GET /sale/categories",
    "GET /sale/categories/{categoryId}",
    "GET /sale/categories/{categoryId}/parameters",
    "GET /sale/categories/{categoryId}/product-parameters",
}
MAX_DEPTH = 40

_lock = threading.Lock()
_spec: dict | None = None
_operations: dict[tuple[str, str], dict] = {}


def _norm(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _load() -> dict:
    global _spec
    with _lock:
        if _spec is None:
            spec = openapi.spec()
            for path, item in (spec.get("paths") or {}).items():
                for method, op in item.items():
                    if isinstance(op, dict) and "responses" in op:
                        _operations[(method.upper(), _norm(path))] = op
            _spec = spec
    return _spec


def _ref(schema: Any) -> dict:
    spec = _load()
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 50:
        node: Any = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
        seen += 1
    return schema if isinstance(schema, dict) else {}


def _shape(schema: Any) -> tuple[dict[str, Any], set[str], Any, Any]:
    """(properties, required, items, additionalProperties) of a schema, its combinations merged."""
    schema = _ref(schema)
    props: dict[str, Any] = dict(schema.get("properties") or {})
    required = set(schema.get("required") or [])
    items = schema.get("items")
    extra = schema.get("additionalProperties")
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key) or []:
            p, r, i, e = _shape(part)
            for name, sub in p.items():
                props.setdefault(name, sub)
            required |= r
            items = items or i
            extra = extra if isinstance(extra, dict) else e
    return props, required, items, extra


def response_schema(method: str, pattern: str, status: int) -> Any:
    """The schema of the JSON answer of an operation, or None when the spec has none."""
    _load()
    op = _operations.get((method.upper(), _norm(pattern)))
    if op is None:
        return None
    responses = op.get("responses") or {}
    answer = _ref(responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or {})
    for media, content in (answer.get("content") or {}).items():
        if "json" in media and isinstance(content, dict) and content.get("schema"):
            return content["schema"]
    return None


def _roll(seed: Any, ident: str, path: str) -> float:
    digest = hashlib.sha256(f"{seed}|{ident}|{path}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def untidy(value: Any, schema: Any, *, seed: Any, probability: float, operation: str = "") -> Any:
    """`value` with its optional fields nulled or dropped (a new structure; `value` is left alone)."""

    def walk(node: Any, sub: Any, ident: str, path: str, depth: int) -> Any:  # ident: the operation
        if depth > MAX_DEPTH or sub is None:
            return node
        if isinstance(node, list):
            _, _, items, _ = _shape(sub)
            return [walk(v, items, ident, f"{path}[{i}]", depth + 1) for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        props, required, _, extra = _shape(sub)
        out: dict[str, Any] = {}
        for key, val in node.items():
            where = f"{path}.{key}" if path else key
            known = key in props
            kept = (
                not known
                or key in required
                or key in KEPT_ANYWHERE
                or any(_bare(where).endswith(k) for k in KEPT_PATHS)
                or (depth == 0 and (isinstance(val, list) or key in KEPT_AT_TOP))
            )
            if not kept and val is not None:
                roll = _roll(seed, ident, where)
                if roll < probability:
                    if _roll(seed, ident, where + "#null") < 0.5:
                        out[key] = None
                    continue
            child = props.get(key) if known else (extra if isinstance(extra, dict) else None)
            out[key] = walk(val, child, ident, where, depth + 1)
        return out

    return walk(value, schema, operation, "", 0)


def _bare(path: str) -> str:
    return re.sub(r"\[\d+\]", "", path)


def apply(method: str, pattern: str, status: int, body: bytes, settings: Any) -> bytes:
    """The answer's body made untidy per `settings` (`{seed, probability}`); other bodies as they are."""
    if not isinstance(settings, dict) or not body or not 200 <= status < 300:
        return body
    if f"{method.upper()} {pattern}" in TIDY_ROUTES:
        return body
    schema = response_schema(method, pattern, status)
    if schema is None:
        return body
    try:
        doc = json.loads(body)
    except ValueError:
        return body
    probability = float(settings.get("probability", 0.3))
    operation = f"{method.upper()} {pattern}"
    messy = untidy(doc, schema, seed=settings.get("seed", 0), probability=probability, operation=operation)
    return json.dumps(messy, ensure_ascii=False).encode()


def check_settings(value: Any) -> str | None:
    """Why `value` is no untidy setting, or None when it is one (null switches it off)."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"seed", "probability"}:
        return "untidy must be null or {seed, probability}"
    probability = value.get("probability", 0.3)
    if isinstance(probability, bool) or not isinstance(probability, int | float) or not 0 <= probability <= 1:
        return "untidy.probability must be a number from 0 to 1"
    return None
