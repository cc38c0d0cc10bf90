"""The category form page's plumbing: submitted fields → Allegro's parameter shape, and definitions → field specs
the template renders. Validation itself lives in allegro.categories.services.category_forms."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from allegro.categories.services.category_forms import (
    autofill_kind,
    custom_dictionary_value,
    is_range,
    normalize_number,
    parameter_displayed,
    parameter_required,
)


def field_name(param_id: str) -> str:
    return f"param-{param_id}"


def values_from_post(*, definitions: list[dict], data) -> list[dict]:
    """The values a submitted form holds, in Allegro's shape (empty fields left out; no validation here)."""
    values: list[dict] = []
    for definition in definitions:
        param_id = str(definition["id"])
        name = field_name(param_id)
        kind = definition.get("type")
        if kind == "dictionary":
            ids = [v for v in data.getlist(name) if v]
            custom = (data.get(f"{name}-custom") or "").strip()
            options = definition.get("options") or {}
            if custom and options.get("customValuesEnabled"):
                item = {"id": param_id, **custom_dictionary_value(definition, custom)}
                # Nothing chosen, or the list's ambiguous entry ("inne"): the typed value says it all.
                item["valuesIds"] = list(dict.fromkeys([*ids, *item.get("valuesIds", [])]))
                values.append(item)
            elif ids:
                values.append({"id": param_id, "valuesIds": ids})
        elif is_range(definition):
            start = normalize_number(data.get(f"{name}-from", ""))
            end = normalize_number(data.get(f"{name}-to", ""))
            if start or end:
                values.append({"id": param_id, "rangeValue": {"from": start, "to": end}})
        elif kind in ("integer", "float"):
            text = normalize_number(data.get(name, ""))
            if text:
                values.append({"id": param_id, "values": [text]})
        elif kind == "string":
            texts = [t.strip() for t in data.getlist(name) if t.strip()]
            if texts:
                values.append({"id": param_id, "values": texts})
    return values


@dataclass
class ParameterField:
    id: str
    name: str
    widget: str  # select, multiselect, number, range, text
    required: bool
    unit: str = ""
    describes_product: bool = False
    autofill: str = ""
    options: list[dict] = field(default_factory=list)  # {"id", "value", "depends", "selected"}
    depends_on: str = ""
    depends_on_name: str = ""
    values: list[str] = field(default_factory=list)
    range_from: str = ""
    range_to: str = ""
    minimum: str = ""
    maximum: str = ""
    step: str = ""
    min_length: int | None = None
    max_length: int | None = None
    inputs: int = 1
    errors: list[str] = field(default_factory=list)
    custom_enabled: bool = False  # a dictionary that takes a typed value next to its ambiguous entry
    custom_value: str = ""
    ambiguous_label: str = ""
    # Allegro's conditions as JSON for the page's script ("" when none), and whether the row shows now.
    required_if: str = ""
    displayed_if: str = ""
    shown: bool = True

    @property
    def html_name(self) -> str:
        return field_name(self.id)

    @property
    def text_inputs(self) -> list[str]:
        return (self.values + [""] * self.inputs)[: max(self.inputs, len(self.values))]


def parameter_fields(
    *, definitions: list[dict], values: list[dict], errors: dict[str, list[str]]
) -> list[ParameterField]:
    """One field spec per parameter, required ones first (as on Allegro's own form), filled with ``values``."""
    by_id = {str(v.get("id")): v for v in values}
    names = {str(d["id"]): str(d.get("name") or d["id"]) for d in definitions}
    fields = []
    for definition in definitions:
        param_id = str(definition["id"])
        restrictions = definition.get("restrictions") or {}
        options = definition.get("options") or {}
        item = by_id.get(param_id) or {}
        kind = definition.get("type")
        autofill = autofill_kind(definition)
        spec = ParameterField(
            id=param_id,
            name=str(definition.get("name") or param_id),
            widget="text",
            required=parameter_required(definition, values) and not autofill,
            unit=str(definition.get("unit") or ""),
            describes_product=bool(options.get("describesProduct")),
            autofill=autofill,
            errors=list(errors.get(param_id, [])),
        )
        if definition.get("requiredIf") and not autofill:
            spec.required_if = json.dumps(definition["requiredIf"])
        if definition.get("displayedIf"):
            spec.displayed_if = json.dumps(definition["displayedIf"])
            # A value given where it does not apply stays visible, with its error, to be cleared.
            spec.shown = parameter_displayed(definition, values) or bool(item)
        if kind == "dictionary":
            selected = {str(v) for v in item.get("valuesIds") or []}
            spec.widget = "multiselect" if restrictions.get("multipleChoices") else "select"
            spec.options = [
                {
                    "id": str(entry["id"]),
                    "value": str(entry.get("value", "")),
                    "depends": " ".join(str(v) for v in entry.get("dependsOnValueIds") or []),
                    "selected": str(entry["id"]) in selected,
                }
                for entry in definition.get("dictionary") or []
            ]
            spec.depends_on = str(options.get("dependsOnParameterId") or "")
            spec.depends_on_name = names.get(spec.depends_on, spec.depends_on)
            if options.get("customValuesEnabled"):
                ambiguous = str(options.get("ambiguousValueId") or "")
                spec.custom_enabled = True
                spec.custom_value = next((str(v) for v in item.get("values") or []), "")
                spec.ambiguous_label = next((o["value"] for o in spec.options if o["id"] == ambiguous), "")
        elif kind in ("integer", "float"):
            spec.minimum = "" if restrictions.get("min") is None else str(restrictions["min"])
            spec.maximum = "" if restrictions.get("max") is None else str(restrictions["max"])
            precision = int(restrictions.get("precision") or 0) if kind == "float" else 0
            spec.step = "1" if precision == 0 else "0." + "0" * (precision - 1) + "1"
            if is_range(definition):
                spec.widget = "range"
                rng = item.get("rangeValue") or {}
                spec.range_from, spec.range_to = str(rng.get("from") or ""), str(rng.get("to") or "")
            else:
                spec.widget = "number"
                spec.values = [str(v) for v in item.get("values") or []][:1]
        else:
            allowed = int(restrictions.get("allowedNumberOfValues") or 1)
            spec.values = [str(v) for v in item.get("values") or []]
            spec.inputs = 1 if allowed == 1 else min(allowed, max(len(spec.values) + 1, 3))
            spec.min_length = restrictions.get("minLength")
            spec.max_length = restrictions.get("maxLength")
        fields.append(spec)
    fields.sort(key=lambda f: not (f.required or f.required_if))  # conditionally required ones too
    return fields
