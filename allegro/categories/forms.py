"""The category form page's plumbing: submitted fields → Allegro's parameter shape, and definitions → field specs
the template renders. Validation itself lives in allegro.categories.services.category_forms."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from allegro.categories.services.category_forms import (
    number_normalize,
    parameter_autofill_kind,
    parameter_custom_value_build,
    parameter_is_displayed,
    parameter_is_required,
)
from allegro.integration.schemas.categories import (
    CategoryParameter,
    ParameterValue,
    category_parameters_parse,
    parameter_values_parse,
)


def field_name(param_id: str) -> str:
    return f"param-{param_id}"


def values_from_post(*, definitions: list[CategoryParameter | dict], data) -> list[dict]:
    """The values a submitted form holds, in Allegro's shape (empty fields left out; no validation here)."""
    values: list[dict] = []
    for parameter in category_parameters_parse(definitions):
        name = field_name(parameter.id)
        kind = parameter.kind
        if kind == "dictionary":
            ids = [v for v in data.getlist(name) if v]
            custom = (data.get(f"{name}-custom") or "").strip()
            if custom and parameter.options.customValuesEnabled:
                item = {"id": parameter.id, **parameter_custom_value_build(definition=parameter, text=custom)}
                # Nothing chosen, or the list's ambiguous entry ("inne"): the typed value says it all.
                item["valuesIds"] = list(dict.fromkeys([*ids, *item.get("valuesIds", [])]))
                values.append(item)
            elif ids:
                values.append({"id": parameter.id, "valuesIds": ids})
        elif kind == "range":
            start = number_normalize(text=data.get(f"{name}-from", ""))
            end = number_normalize(text=data.get(f"{name}-to", ""))
            if start or end:
                values.append({"id": parameter.id, "rangeValue": {"from": start, "to": end}})
        elif kind in ("integer", "float"):
            text = number_normalize(text=data.get(name, ""))
            if text:
                values.append({"id": parameter.id, "values": [text]})
        elif kind == "string":
            texts = [t.strip() for t in data.getlist(name) if t.strip()]
            if texts:
                values.append({"id": parameter.id, "values": texts})
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


def _conditions_json(conditions, outside: frozenset[str]) -> str:
    """Allegro's conditions for the page's script, less those on parameters not on the page (``outside``: they are
    decided elsewhere, so here the row stays shown)."""
    data = conditions.model_dump(mode="json")
    for key in ("parametersWithValue", "parametersWithoutValue"):
        if isinstance(data.get(key), list):
            data[key] = [c for c in data[key] if str(c.get("id")) not in outside]
    if not any(data.get(key) for key in ("parametersWithValue", "parametersWithoutValue")):
        return ""
    return json.dumps(data)


def parameter_fields(
    *,
    definitions: list[CategoryParameter | dict],
    values: list[dict],
    errors: dict[str, list[str]],
    outside: frozenset[str] = frozenset(),
) -> list[ParameterField]:
    """One field spec per parameter, required ones first (as on Allegro's own form), filled with ``values``.

    ``outside``: parameters of the category edited on another page (the category form edits the offer's, the
    product page the product's): a row shown only for some values of one of them stays shown here, and a row
    required only then is not marked required."""
    parameters = category_parameters_parse(definitions)
    parsed = parameter_values_parse(values)
    by_id = {v.id: v for v in parsed}
    names = {p.id: p.label for p in parameters}
    fields = []
    for parameter in parameters:
        item = by_id.get(parameter.id)
        autofill = parameter_autofill_kind(definition=parameter)
        spec = ParameterField(
            id=parameter.id,
            name=parameter.label,
            widget="text",
            required=parameter_is_required(definition=parameter, values=parsed) and not autofill,
            unit=parameter.unit,
            describes_product=parameter.options.describesProduct,
            autofill=autofill,
            errors=list(errors.get(parameter.id, [])),
        )
        if parameter.requiredIf and not autofill:
            spec.required_if = json.dumps(parameter.requiredIf.model_dump(mode="json"))
        if parameter.displayedIf:
            spec.displayed_if = _conditions_json(parameter.displayedIf, outside)
            # A value given where it does not apply stays visible, with its error, to be cleared.
            spec.shown = (
                parameter_is_displayed(definition=parameter, values=parsed, unknown=outside) or item is not None
            )
        _FIELD_FILLERS.get(parameter.type, _fill_text)(spec, parameter, item, names)
        fields.append(spec)
    fields.sort(key=lambda f: not (f.required or f.required_if))  # conditionally required ones too
    return fields


def _fill_dictionary(spec: ParameterField, parameter: CategoryParameter, item: ParameterValue | None, names) -> None:
    options = parameter.options
    selected = set(item.valuesIds) if item else set()
    spec.widget = "multiselect" if parameter.restrictions.multipleChoices else "select"
    spec.options = [
        {
            "id": entry.id,
            "value": entry.value,
            "depends": " ".join(entry.dependsOnValueIds),
            "selected": entry.id in selected,
        }
        for entry in parameter.dictionary
    ]
    spec.depends_on = options.dependsOnParameterId or ""
    spec.depends_on_name = names.get(spec.depends_on, spec.depends_on)
    if options.customValuesEnabled:
        ambiguous = options.ambiguousValueId or ""
        spec.custom_enabled = True
        spec.custom_value = item.values[0] if item and item.values else ""
        spec.ambiguous_label = next((o["value"] for o in spec.options if o["id"] == ambiguous), "")


def _fill_number(spec: ParameterField, parameter: CategoryParameter, item: ParameterValue | None, names) -> None:
    restrictions = parameter.restrictions
    spec.minimum = "" if restrictions.min is None else str(restrictions.min)
    spec.maximum = "" if restrictions.max is None else str(restrictions.max)
    precision = (restrictions.precision or 0) if parameter.type == "float" else 0
    spec.step = "1" if precision == 0 else "0." + "0" * (precision - 1) + "1"
    if parameter.kind == "range":
        spec.widget = "range"
        rng = item.rangeValue if item else None
        spec.range_from, spec.range_to = (rng.from_, rng.to) if rng else ("", "")
    else:
        spec.widget = "number"
        spec.values = item.values[:1] if item else []


def _fill_text(spec: ParameterField, parameter: CategoryParameter, item: ParameterValue | None, names) -> None:
    restrictions = parameter.restrictions
    allowed = restrictions.allowedNumberOfValues or 1
    spec.values = list(item.values) if item else []
    spec.inputs = 1 if allowed == 1 else min(allowed, max(len(spec.values) + 1, 3))
    spec.min_length = restrictions.minLength
    spec.max_length = restrictions.maxLength


# How each parameter type fills its field; any other type is a text field.
_FIELD_FILLERS = {"dictionary": _fill_dictionary, "integer": _fill_number, "float": _fill_number}
