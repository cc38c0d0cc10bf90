"""Allegro's published spec as the emulator's first line of validation.

`spec/openapi.json` is Allegro's OpenAPI document (the same one the tests check traffic against, stored as
JSON because it loads in milliseconds). Every route that the spec describes gets, on its first request:

* the statuses the operation documents — an error answer uses the documented one of 400/422 when the
  handler chose the other (Allegro documents 400 on some operations and only 422 on others);
* a JSON-schema validator built from the operation's requestBody schema. A body that does not fit is
  refused before the handler sees it, so nothing invalid is stored or echoed back: wrong types → 400
  JsonMappingException (Allegro cannot map them), unknown properties → 422 UnknownJSONProperty with the
  `unknownProperties` metadata, every other rule (required, lengths, enums, ranges, formats) → 422
  VALIDATION_ERROR with the property's `path`. The handlers' business rules run after that; a route
  registered with `collects_spec_errors` gets the last kind in `req.spec_errors` instead and refuses
  them together with its own (Allegro reports every error of an offer in one answer).

OpenAPI 3.0 schemas differ from JSON Schema in two ways handled here: `nullable: true` admits null, and a
`readOnly` property is not required in a request.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs

from .errors import ApiError, ErrorItem

SPEC_FILE = Path(__file__).with_name("spec") / "openapi.json"
MAX_ITEMS = 20  # errors reported per answer

_lock = threading.Lock()
_spec: dict | None = None
_by_template: dict[tuple[str, str], dict] = {}
_operations: dict[str, Operation | None] = {}


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def spec() -> dict:
    global _spec
    with _lock:
        if _spec is None:
            with open(SPEC_FILE, encoding="utf-8") as fh:
                loaded = json.load(fh)
            for path, item in loaded["paths"].items():
                for method, op in item.items():
                    if isinstance(op, dict) and "responses" in op:
                        _by_template[(method.upper(), _template(path))] = op
            _spec = loaded
        return _spec


def _convert(node: Any) -> Any:
    """An OpenAPI 3.0 schema as plain JSON Schema: nullable and readOnly handled, a discriminator noted
    as `x-dispatch` (turned into if/then by `_dispatch` once all schemas are converted)."""
    if isinstance(node, list):
        return [_convert(v) for v in node]
    if not isinstance(node, dict):
        return node
    skip = {"nullable", "example", "examples", "discriminator"}
    disc = node.get("discriminator")
    if isinstance(disc, dict) and disc.get("mapping"):
        skip |= {"oneOf", "anyOf"}  # the mapping says which one applies
    out = {k: _convert(v) for k, v in node.items() if k not in skip}
    if isinstance(disc, dict) and disc.get("mapping"):
        out["x-dispatch"] = {"property": disc["propertyName"], "mapping": dict(disc["mapping"])}
    props = node.get("properties")
    if isinstance(props, dict) and isinstance(node.get("required"), list):
        out["required"] = [
            name for name in node["required"] if not (isinstance(props.get(name), dict) and props[name].get("readOnly"))
        ]
        if not out["required"]:
            del out["required"]
    if node.get("nullable") is True:
        if "type" in out and "enum" not in out:
            out["type"] = [out["type"], "null"]
        else:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


@dataclass
class Operation:
    statuses: frozenset[int]
    validator: jsonschema_rs.Draft7Validator | None
    root: dict | None


def operation(route: Any) -> Operation | None:
    """What the spec says about `route` (None for routes the spec does not describe)."""
    if route.name in _operations:
        return _operations[route.name]
    spec()
    op = _by_template.get((route.method, _template(route.pattern)))
    result = None
    if op is not None:
        statuses = frozenset(int(s) for s in op["responses"] if s.isdigit())
        validator = root = None
        content = (op.get("requestBody") or {}).get("content") or {}
        schema = next((c.get("schema") for media, c in content.items() if "json" in media), None)
        if schema is not None and not route.raw_body:
            root = {"components": {"schemas": _converted_components()}, "allOf": [_convert(schema)]}
            validator = jsonschema_rs.Draft7Validator(root, validate_formats=True)
        result = Operation(statuses, validator, root)
    with _lock:
        _operations[route.name] = result
    return result


_components: dict | None = None


def _converted_components() -> dict:
    global _components
    schemas = spec()["components"]["schemas"]
    with _lock:
        if _components is None:
            _components = _with_dispatch(_convert(schemas))
        return _components


def _with_dispatch(schemas: dict) -> dict:
    """Discriminated schemas validate against the schema their mapping names for the instance's value.

    A mapped schema usually extends its base (`allOf: [$ref base, ...]`): it is pointed at a copy of the
    base without the dispatch, or validation would go round in circles."""
    prefix = "#/components/schemas/"
    for name in [n for n, s in schemas.items() if "x-dispatch" in s]:
        base = f"{name}__base"
        schemas[base] = {k: v for k, v in schemas[name].items() if k != "x-dispatch"}
        for target in schemas[name]["x-dispatch"]["mapping"].values():
            target_name = target.removeprefix(prefix)
            if target_name in schemas:
                schemas[target_name] = _replace_ref(schemas[target_name], prefix + name, prefix + base)
    return _dispatch(schemas)


def _replace_ref(node: Any, old: str, new: str) -> Any:
    if isinstance(node, list):
        return [_replace_ref(v, old, new) for v in node]
    if isinstance(node, dict):
        if node.get("$ref") == old:
            return {**node, "$ref": new}
        return {k: _replace_ref(v, old, new) for k, v in node.items()}
    return node


def _dispatch(node: Any) -> Any:
    if isinstance(node, list):
        return [_dispatch(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _dispatch(v) for k, v in node.items()}
    spec_ = out.get("x-dispatch")
    if spec_:
        prop, mapping = spec_["property"], spec_["mapping"]
        branches = [{"properties": {prop: {"enum": list(mapping)}}}]
        branches += [
            {"if": {"properties": {prop: {"const": key}}, "required": [prop]}, "then": {"$ref": ref}}
            for key, ref in mapping.items()
        ]
        out["allOf"] = list(out.get("allOf") or []) + branches
    return out


def preload() -> None:
    """Load the spec and build every route's validator (run in a thread at start)."""
    from .routing import ROUTES

    for route in list(ROUTES):
        if not route.control:
            operation(route)


def documented_status(route: Any, status: int) -> int:
    """400 and 422 both mean "the request is wrong": answer the one the operation documents."""
    if route is None or status not in (400, 422):
        return status
    op = operation(route)
    if op is None or status in op.statuses:
        return status
    other = 422 if status == 400 else 400
    return other if other in op.statuses else status


# Body validation ----------------------------------------------------------------------------------------
def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


MESSAGES = {
    "type": ("must be of type {value}", "Nieprawidłowy typ wartości (oczekiwano: {value})."),
    "required": ("is required", "Pole jest wymagane."),
    "enum": ("must be one of {value}", "Niedozwolona wartość (dozwolone: {value})."),
    "maxLength": ("must be at most {value} characters long", "Wartość może mieć najwyżej {value} znaków."),
    "minLength": ("must be at least {value} characters long", "Wartość musi mieć co najmniej {value} znaków."),
    "maximum": ("must be at most {value}", "Wartość może wynosić najwyżej {value}."),
    "minimum": ("must be at least {value}", "Wartość musi wynosić co najmniej {value}."),
    "maxItems": ("must have at most {value} items", "Lista może mieć najwyżej {value} elementów."),
    "minItems": ("must have at least {value} items", "Lista musi mieć co najmniej {value} elementów."),
    "uniqueItems": ("must not repeat items", "Elementy listy nie mogą się powtarzać."),
    "pattern": ("must match {value}", "Nieprawidłowy format wartości."),
    "format": ("must be a valid {value}", "Nieprawidłowy format wartości ({value})."),
}


def _item(err: Any) -> tuple[bool, ErrorItem]:
    """(is a mapping error, the error item) for one validation error."""
    kind = err.kind
    parts = list(err.instance_path)
    value = getattr(kind, "value", None)
    if kind.name == "required":
        parts.append(kind.property)
    if kind.name == "type":
        value = [t for t in (value if isinstance(value, list) else [value]) if t != "null"]
    path = _path(parts) or None
    en, pl = MESSAGES.get(kind.name, ("is not valid", "Nieprawidłowa wartość."))
    shown = ", ".join(map(str, value)) if isinstance(value, list) else value
    message = f"{path or 'The request body'} {en.format(value=shown)}"
    if kind.name == "type":
        return True, ErrorItem("JsonMappingException", message, pl.format(value=shown), message, path)
    return False, ErrorItem("VALIDATION_ERROR", message, pl.format(value=shown), message, path)


def validate_body(route: Any, body: Any) -> list[ErrorItem]:
    """Refuse `body` at once when Allegro could not read it: wrong types (400) or properties the schema does
    not name (422 UnknownJSONProperty, with the other rule breaks). Returns the rule breaks alone (required,
    lengths, enums, ranges, formats) for the caller to refuse, at once or with the handler's own errors."""
    op = operation(route)
    if op is None or op.validator is None:
        return []
    mapping: list[ErrorItem] = []
    rules: list[ErrorItem] = []
    for err in op.validator.iter_errors(body):
        for leaf in _leaves(err):
            is_mapping, item = _item(leaf)
            (mapping if is_mapping else rules).append(item)
        if len(mapping) + len(rules) >= MAX_ITEMS:
            break
    if mapping:
        raise ApiError(documented_status(route, 400), _unique(mapping))
    unknown = unknown_properties(body, op.root["allOf"][0], op.root)
    if unknown:
        rules.insert(
            0,
            ErrorItem(
                "UnknownJSONProperty",
                f"Unknown properties: {', '.join(unknown[:10])}",
                "Żądanie zawiera nieznane pola: " + ", ".join(unknown[:10]) + ".",
                None,
                unknown[0],
                None,
                {"unknownProperties": ", ".join(unknown[:10])},
            ),
        )
        raise ApiError(documented_status(route, 422), _unique(rules))
    return _unique(rules)


def _leaves(err: Any) -> list[Any]:
    """The errors worth reporting: for anyOf/oneOf, those of the branch that came closest (the one
    whose errors lie deepest, e.g. a too-long name rather than "not null")."""
    context = getattr(err.kind, "context", None)
    if err.kind.name in ("anyOf", "oneOf") and context and err.instance is not None:
        best = max(context, key=lambda errs: min((len(e.instance_path) for e in errs), default=0))
        return [leaf for e in best for leaf in _leaves(e)] or [err]
    return [err]


def _unique(items: list[ErrorItem]) -> list[ErrorItem]:
    seen, out = set(), []
    for item in items:
        key = (item.code, item.path, item.message)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _resolve(schema: Any, root: dict) -> dict:
    while isinstance(schema, dict) and "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema if isinstance(schema, dict) else {}


def _shape(schema: Any, root: dict, instance: Any) -> tuple[dict[str, list], bool, list, list]:
    """(properties name → schemas, open to any property, additionalProperties schemas, items schemas)."""
    schema = _resolve(schema, root)
    branches = [b for b in schema.get("allOf") or [] if "if" not in b] + list(schema.get("anyOf") or [])
    branches += list(schema.get("oneOf") or [])
    dispatch = schema.get("x-dispatch")
    if dispatch and isinstance(instance, dict):
        chosen = dispatch["mapping"].get(instance.get(dispatch["property"]))
        if chosen:
            branches.append({"$ref": chosen})
    props: dict[str, list] = {name: [sub] for name, sub in (schema.get("properties") or {}).items()}
    extra = schema.get("additionalProperties")
    has_props = "properties" in schema
    open_ = extra is True or (isinstance(extra, dict) and not extra)
    extras = [extra] if isinstance(extra, dict) and extra else []
    items = [schema["items"]] if isinstance(schema.get("items"), dict) else []
    for branch in branches:
        b_props, b_open, b_extras, b_items = _shape(branch, root, instance)
        for name, subs in b_props.items():
            props.setdefault(name, []).extend(subs)
        has_props = has_props or bool(b_props) or b_open or bool(b_extras)
        open_ = open_ or b_open
        extras += b_extras
        items += b_items
    if not has_props and not extras:
        open_ = True  # a free-form object
    return props, open_, extras, items


def unknown_properties(instance: Any, schema: Any, root: dict, path: str = "") -> list[str]:
    """Paths of the properties the schema does not name (Allegro refuses them, as Jackson does)."""
    found: list[str] = []
    if isinstance(instance, dict):
        props, open_, extras, _ = _shape(schema, root, instance)
        for name, value in instance.items():
            sub_path = f"{path}.{name}" if path else name
            # several schemas for one property (allOf branches) together name what it may hold
            if name in props:
                found += unknown_properties(value, {"allOf": props[name]}, root, sub_path)
            elif extras:
                found += unknown_properties(value, {"allOf": extras}, root, sub_path)
            elif not open_:
                found.append(sub_path)
    elif isinstance(instance, list):
        _, _, _, items = _shape(schema, root, instance)
        if items:
            for i, value in enumerate(instance):
                found += unknown_properties(value, {"allOf": items}, root, f"{path}[{i}]")
    return list(dict.fromkeys(found))
