"""Category forms ("Formularze kategorii"): common parameter values of an Allegro category,
validated against its cached definitions, and the parameters of one product built from them.

Values use Allegro's own shape: ``{"id": ..., "valuesIds": [...]}`` for dictionaries, ``{"id": ..., "values":
[...]}`` for strings and single numbers, ``{"id": ..., "rangeValue": {"from": ..., "to": ...}}`` for ranges. Numbers
are kept as strings with a dot, as Allegro sends and takes them.

Definitions are ``CategoryParameter`` schemas; every function here also takes them as the stored JSON (a list of
dicts) and parses them first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from allegro.accounts.models import AllegroApp
from allegro.categories.models import AllegroCategory, CategoryForm, ProductParameters
from allegro.integration.schemas.categories import (
    CategoryParameter,
    ParameterConditions,
    ParameterValue,
    category_parameters_parse,
    parameter_values_parse,
)

BRAND_PARAMETER_NAMES = ("marka", "producent")
EAN_PARAMETER_NAMES = ("ean (gtin)", "ean", "gtin")
_VALUE_KEYS = ("id", "valuesIds", "values", "rangeValue")


class CategoryFormInvalid(Exception):
    """The submitted values break the category's rules; ``errors`` maps parameter ids to Polish messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(m for messages in errors.values() for m in messages))


def _parameter(definition: CategoryParameter | dict) -> CategoryParameter:
    return definition if isinstance(definition, CategoryParameter) else CategoryParameter.model_validate(definition)


def parameter_autofill_kind(*, definition: CategoryParameter | dict) -> str:
    """ "brand" or "ean" when the parameter is filled from the product's own attribute, else ""."""
    parameter = _parameter(definition)
    name = parameter.name.strip().lower()
    if name in BRAND_PARAMETER_NAMES:
        return "brand"
    if name in EAN_PARAMETER_NAMES and parameter.type == "string":
        return "ean"
    return ""


def parameter_is_range(*, definition: CategoryParameter | dict) -> bool:
    return _parameter(definition).kind == "range"


def _number(text: str, parameter: CategoryParameter) -> tuple[Decimal | None, str]:
    """Parse a number as the staff types it ("12,5" too); returns (value, error)."""
    restrictions = parameter.restrictions
    try:
        value = Decimal(str(text).strip().replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        return None, _("Enter a number.")
    exponent = value.as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    if parameter.type == "integer" and places and value != value.to_integral_value():
        return None, _("Enter a whole number.")
    precision = restrictions.precision
    if (
        parameter.type == "float"
        and precision is not None
        and places > precision
        and value != value.quantize(Decimal(1).scaleb(-precision))
    ):
        return None, _("At most %(precision)s digits after the decimal point.") % {"precision": precision}
    if restrictions.min is not None and value < restrictions.min:
        return None, _("The value must be at least %(min)s.") % {"min": restrictions.min}
    if restrictions.max is not None and value > restrictions.max:
        return None, _("The value must be at most %(max)s.") % {"max": restrictions.max}
    return value, ""


def number_normalize(*, text: str) -> str:
    return str(text).strip().replace(",", ".").replace(" ", "")


def parameter_conditions_met(
    *,
    conditions: ParameterConditions | dict | None,
    values: Iterable[ParameterValue | dict],
    unknown: frozenset[str] = frozenset(),
) -> bool:
    """Allegro's ``requiredIf`` / ``displayedIf`` against ``values``: every other parameter in
    ``parametersWithValue`` has one of its ``oneOfValueIds`` chosen, and every one in
    ``parametersWithoutValue`` has no value at all. A condition on a parameter in ``unknown`` (filled
    later, from the product) counts as met. ``None`` (no conditions) is met."""
    if not conditions:
        return True
    if not isinstance(conditions, ParameterConditions):
        conditions = ParameterConditions.model_validate(conditions)
    by_id = {item.id: item for item in parameter_values_parse(values)}
    for condition in conditions.parametersWithValue:
        item = by_id.get(condition.id)
        has_value = item is not None and item.has_value
        if condition.id in unknown and not has_value:
            continue
        if not set(item.valuesIds if item else ()) & set(condition.oneOfValueIds):
            return False
    for absent in conditions.parametersWithoutValue:
        item = by_id.get(absent.id)
        if absent.id not in unknown and item is not None and item.has_value:
            return False
    return True


def parameter_is_required(
    *,
    definition: CategoryParameter | dict,
    values: Iterable[ParameterValue | dict],
    unknown: frozenset[str] = frozenset(),
) -> bool:
    """Required outright, or (with ``requiredIf``) only when its conditions are met by ``values``."""
    parameter = _parameter(definition)
    if parameter.requiredIf:
        return parameter_conditions_met(conditions=parameter.requiredIf, values=values, unknown=unknown)
    return parameter.required


def parameter_is_displayed(
    *,
    definition: CategoryParameter | dict,
    values: Iterable[ParameterValue | dict],
    unknown: frozenset[str] = frozenset(),
) -> bool:
    """Whether the parameter applies at all (``displayedIf``): a value for one that does not is not sent."""
    return parameter_conditions_met(conditions=_parameter(definition).displayedIf, values=values, unknown=unknown)


def _filled_later(parameters: list[CategoryParameter]) -> frozenset[str]:
    """Parameters the product fills (brand, EAN): unknown while a category form is edited."""
    return frozenset(p.id for p in parameters if parameter_autofill_kind(definition=p))


# --- checking values ---------------------------------------------------------------------------------------


@dataclass
class _Check:
    """What one validation run knows: the definitions and given values by id, and the errors found so far."""

    by_id: dict[str, CategoryParameter]
    given: dict[str, ParameterValue]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, param_id: str, message: str) -> None:
        self.errors.setdefault(param_id, []).append(message)


def _check_dictionary(check: _Check, parameter: CategoryParameter, item: ParameterValue) -> None:
    """Known values only; one choice unless ``multipleChoices``; a typed value only where the list takes one
    (with its ambiguous entry); dependent values allowed for the chosen parent value."""
    ids = item.valuesIds
    known = {entry.id: entry for entry in parameter.dictionary}
    unknown = [v for v in ids if v not in known]
    if unknown:
        check.add(parameter.id, _("Unknown value of the list: %(value)s.") % {"value": ", ".join(unknown)})
        return
    options, multiple = parameter.options, parameter.restrictions.multipleChoices
    custom = [t.strip() for t in item.values if t.strip()]
    ambiguous = options.ambiguousValueId or ""
    if custom and not options.customValuesEnabled:
        check.add(parameter.id, _("This parameter takes only values from the list."))
    elif custom and len(ids) > 1 and not multiple:
        check.add(parameter.id, _("Choose a value from the list or type your own, not both."))
    elif custom and ambiguous and ambiguous not in ids:
        entry = known.get(ambiguous)
        check.add(
            parameter.id,
            _("Your own value goes with “%(value)s” on the list: choose it, or clear your own value.")
            % {"value": entry.value if entry else ambiguous},
        )
    elif len(ids) > 1 and not multiple:
        check.add(parameter.id, _("Choose only one value."))
    if options.dependsOnParameterId and ids:
        _check_dependent(check, parameter, ids)


def _check_dependent(check: _Check, parameter: CategoryParameter, ids: list[str]) -> None:
    parent_id = parameter.options.dependsOnParameterId or ""
    parent = check.by_id.get(parent_id)
    given_parent = check.given.get(parent_id)
    parent_ids = given_parent.valuesIds if given_parent else []
    parent_name = parent.name if parent else parent_id
    for value_id in ids:
        entry = parameter.dictionary_value(value_id)
        if entry is None or not entry.dependsOnValueIds:
            continue
        allowed = entry.dependsOnValueIds
        if not parent_ids:
            check.add(parameter.id, _("Choose “%(parent)s” first.") % {"parent": parent_name})
            return
        if not set(parent_ids) & set(allowed):
            parent_values = {e.id: e.value for e in parent.dictionary} if parent else {}
            check.add(
                parameter.id,
                _("“%(value)s” is not allowed when “%(parent)s” is “%(parent_value)s”.")
                % {
                    "value": entry.value,
                    "parent": parent_name,
                    "parent_value": ", ".join(parent_values.get(p, p) for p in parent_ids),
                },
            )


def _check_range(check: _Check, parameter: CategoryParameter, item: ParameterValue) -> None:
    """Both ends, each a valid number, the start not above the end."""
    rng = item.rangeValue
    if rng is None or not rng.from_ or not rng.to:
        check.add(parameter.id, _("Enter both ends of the range."))
        return
    low, low_error = _number(rng.from_, parameter)
    high, high_error = _number(rng.to, parameter)
    for message in dict.fromkeys(m for m in (low_error, high_error) if m):
        check.add(parameter.id, message)
    if low is not None and high is not None and low > high:
        check.add(parameter.id, _("The start of the range is greater than its end."))


def _check_number(check: _Check, parameter: CategoryParameter, item: ParameterValue) -> None:
    """One value, a whole number for integers, within precision and bounds."""
    if len(item.values) > 1:
        check.add(parameter.id, _("Enter one value."))
    for text in item.values[:1]:
        _value, message = _number(text, parameter)
        if message:
            check.add(parameter.id, message)


def _check_string(check: _Check, parameter: CategoryParameter, item: ParameterValue) -> None:
    """No more values than allowed, each within the length limits."""
    restrictions = parameter.restrictions
    allowed = restrictions.allowedNumberOfValues or 1
    if len(item.values) > allowed:
        check.add(parameter.id, _("At most %(count)s values.") % {"count": allowed})
    max_length, min_length = restrictions.maxLength, restrictions.minLength
    for text in item.values:
        if max_length is not None and len(text) > max_length:
            check.add(
                parameter.id,
                _("Text too long: at most %(max)s characters (it has %(length)s).")
                % {"max": max_length, "length": len(text)},
            )
        elif min_length is not None and len(text) < min_length:
            check.add(parameter.id, _("Text too short: at least %(min)s characters.") % {"min": min_length})


# One check per kind of parameter (``CategoryParameter.kind``); a kind not listed takes any value.
_VALUE_CHECKS: dict[str, Callable[[_Check, CategoryParameter, ParameterValue], None]] = {
    "dictionary": _check_dictionary,
    "range": _check_range,
    "integer": _check_number,
    "float": _check_number,
    "string": _check_string,
}


def _undecided(parameters: list[CategoryParameter], by_id: dict[str, CategoryParameter]) -> frozenset[str]:
    """Conditions on parameters outside ``parameters`` (one parameter checked alone) or filled from the product
    later cannot be judged here."""
    outside = {
        param_id
        for p in parameters
        for conditions in (p.requiredIf, p.displayedIf)
        if conditions is not None
        for param_id in conditions.parameter_ids()
        if param_id not in by_id
    }
    return _filled_later(parameters) | frozenset(outside)


def category_values_validate(
    *,
    definitions: Sequence[CategoryParameter | dict],
    values: Sequence[ParameterValue | dict],
    require: bool = True,
    require_if_outside: bool = True,
) -> dict[str, list[str]]:
    """Every way ``values`` break the category's parameter definitions, as {parameter id: [Polish messages]}.

    Checks: unknown parameters, required ones missing (except those filled from the product: brand, EAN; with
    Allegro's ``requiredIf`` only when its conditions hold), values of parameters that do not apply
    (``displayedIf``), then the value itself by the parameter's kind (``_VALUE_CHECKS``): unknown dictionary
    values, too many choices, dependent values not allowed for the chosen parent value, numbers out of range or
    precision, incomplete or reversed ranges, strings too short/long or too many.

    ``require_if_outside=False``: a parameter required only for some values of a parameter outside
    ``definitions`` (edited on another page) is not required here; the listing checks it with both known.
    """
    parameters = category_parameters_parse(definitions)
    check = _Check(by_id={p.id: p for p in parameters}, given={})
    for item in parameter_values_parse(values):
        if item.id not in check.by_id:
            check.add(item.id, _("Allegro no longer has this parameter in the category."))
        else:
            check.given[item.id] = item
    undecided = _undecided(parameters, check.by_id)
    required_unknown = undecided if require_if_outside else _filled_later(parameters)
    present = list(check.given.values())
    for param_id, parameter in check.by_id.items():
        chosen = check.given.get(param_id)
        if chosen is None or not chosen.has_value:
            if (
                require
                and not parameter_autofill_kind(definition=parameter)
                and parameter_is_required(definition=parameter, values=present, unknown=required_unknown)
            ):
                check.add(param_id, _("This parameter is required."))
            continue
        if not parameter_is_displayed(definition=parameter, values=present, unknown=undecided):
            check.add(param_id, _("This parameter does not apply to the values chosen above; clear it."))
            continue
        value_check = _VALUE_CHECKS.get(parameter.kind)
        if value_check is not None:
            value_check(check, parameter, chosen)
    return check.errors


# --- saved forms and a product's parameters ----------------------------------------------------------------


def category_definitions_get(
    *, allegro_category_id: str, app: AllegroApp | None = None
) -> list[CategoryParameter] | None:
    """Cached parameter definitions of a category: through ``app`` (fetched when cold: one call), or without an app
    the most recently fetched cached copy (no call). None when nothing is cached."""
    if app is not None:
        from allegro.categories.services.categories import category_parameters_fetch

        return category_parameters_fetch(app=app, allegro_id=allegro_category_id)
    row = (
        AllegroCategory.objects.filter(allegro_id=allegro_category_id, parameters__isnull=False)
        .order_by("-parameters_fetched_at")
        .only("parameters")
        .first()
    )
    return category_parameters_parse(row.parameters or []) if row else None


@transaction.atomic
def category_form_save(
    *,
    allegro_category_id: str,
    definitions: Sequence[CategoryParameter | dict],
    values: list[dict],
    category_path: str = "",
    actor=None,
    keep: Sequence[dict] = (),
    require_if_outside: bool = True,
) -> CategoryForm:
    """Validate ``values`` against ``definitions`` and store them as the category's form. Raises CategoryFormInvalid
    (nothing saved) when any value breaks the rules. ``keep``: saved values of parameters outside ``definitions``
    stored again unchanged (the page edits the offer parameters only; values an older form kept for product
    parameters stay the defaults of products without their own)."""
    parameters = category_parameters_parse(definitions)
    errors = category_values_validate(definitions=parameters, values=values, require_if_outside=require_if_outside)
    if errors:
        raise CategoryFormInvalid(errors)
    order = {p.id: i for i, p in enumerate(parameters)}
    clean = sorted(
        (v for v in values if ParameterValue.model_validate(v).has_value), key=lambda v: order.get(str(v["id"]), 0)
    ) + [dict(v) for v in keep if str(v.get("id")) not in order]
    form, _created = CategoryForm.objects.update_or_create(
        allegro_category_id=allegro_category_id,
        defaults={
            "values": clean,
            "allegro_category_path": category_path[:500],
            "updated_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )
    return form


def category_form_problems_list(
    *, form: CategoryForm | None, definitions: Sequence[CategoryParameter | dict]
) -> list[dict]:
    """What became invalid in a saved form after Allegro changed the category's parameters: each
    ``{"id", "name", "messages"}`` (parameters gone, dictionary values gone, restrictions now broken, new required)."""
    if form is None:
        return []
    parameters = category_parameters_parse(definitions)
    errors = category_values_validate(definitions=parameters, values=form.values)
    names = {p.id: p.name for p in parameters}
    return [
        {"id": param_id, "name": names.get(param_id) or param_id, "messages": messages}
        for param_id, messages in errors.items()
    ]


def _brand_value(parameter: CategoryParameter, brand: str) -> dict | None:
    if parameter.type == "string":
        return {"values": [brand]}
    if parameter.type != "dictionary":
        return None
    wanted = brand.strip().casefold()
    for entry in parameter.dictionary:
        if entry.value.strip().casefold() == wanted:
            return {"valuesIds": [entry.id]}
    if parameter.options.customValuesEnabled:
        return parameter_custom_value_build(definition=parameter, text=brand.strip())
    return None


def parameter_custom_value_build(*, definition: CategoryParameter | dict, text: str) -> dict:
    """A value typed by the staff for a dictionary parameter that takes one: sent with the list's ambiguous
    entry ("inne"), which Allegro's definition names."""
    ambiguous = _parameter(definition).options.ambiguousValueId or ""
    return {"valuesIds": [ambiguous], "values": [text]} if ambiguous else {"values": [text]}


def category_form_values_filter(
    *, definitions: Sequence[CategoryParameter | dict], values: list[dict]
) -> dict[str, dict]:
    """A category form's saved ``values`` still valid for ``definitions``, by parameter id, in Allegro's
    plain shape (what became invalid after Allegro changed the category is left out)."""
    parameters = category_parameters_parse(definitions)
    known = {p.id for p in parameters}
    invalid = category_values_validate(definitions=parameters, values=values, require=False)
    chosen: dict[str, dict] = {}
    for item in values:
        param_id = str(item.get("id"))
        if param_id in known and param_id not in invalid:
            chosen[param_id] = {k: v for k, v in item.items() if k in _VALUE_KEYS}
    return chosen


def _product_value(parameter: CategoryParameter, product) -> dict | None:
    """The value the product's own attribute gives an autofilled parameter (brand, EAN), if it has one."""
    kind = parameter_autofill_kind(definition=parameter)
    if kind == "brand" and (product.brand or "").strip():
        return _brand_value(parameter, product.brand.strip())
    if kind == "ean" and (product.ean or "").strip():
        return {"values": [product.ean.strip()]}
    return None


def product_parameters_build(
    *,
    definitions: Sequence[CategoryParameter | dict],
    form_values: dict[str, dict],
    product,
    own_values: Sequence[dict] | None = None,
) -> list[dict]:
    """The parameters of one product: ``form_values`` (from ``category_form_values_filter``), over them the
    product's own values of the parameters that describe it (``own_values``, kept per product), and the product's
    attributes filled in (brand → "Marka"/"Producent", EAN → "EAN (GTIN)"/"EAN"; the product wins), less
    the parameters that do not apply to the result (``displayedIf``).

    Each item is Allegro's shape plus two keys the caller strips (``product_parameters_split`` does):
    ``describesProduct`` (product-level, goes to ``productSet[].product.parameters``) and ``source``
    ("form", "own" or "product").
    """
    parameters = category_parameters_parse(definitions)
    chosen = {param_id: {**item, "source": "form"} for param_id, item in form_values.items()}
    describing = {p.id for p in parameters if p.options.describesProduct}
    for item in category_form_values_filter(definitions=parameters, values=list(own_values or [])).values():
        if str(item["id"]) in describing:
            chosen[str(item["id"])] = {**item, "source": "own"}
    for parameter in parameters:
        value = _product_value(parameter, product)
        if value is None:
            continue
        candidate = {"id": parameter.id, **value}
        if not category_values_validate(definitions=[parameter], values=[candidate], require=False):
            chosen[parameter.id] = {**candidate, "source": "product"}
    final = list(chosen.values())
    result = []
    for parameter in parameters:
        picked = chosen.get(parameter.id)
        # With the product's own values in, a parameter that does not apply is not sent (displayedIf).
        if picked is not None and parameter_is_displayed(definition=parameter, values=final):
            picked["describesProduct"] = parameter.options.describesProduct
            result.append(picked)
    return result


def category_product_parameters_build(
    *, product, allegro_category_id: str, app: AllegroApp | None = None
) -> list[dict]:
    """``product_parameters_build`` for one product listed in an Allegro category, from its cached definitions
    and saved category form. No Allegro call without ``app``; with ``app`` at most one when its parameters
    are not cached. (A selection of products uses ``OfferLookups``, which reads each category once.)"""
    definitions = category_definitions_get(allegro_category_id=allegro_category_id, app=app) or []
    form = CategoryForm.objects.filter(allegro_category_id=allegro_category_id).first()
    form_values = category_form_values_filter(definitions=definitions, values=form.values) if form is not None else {}
    own = (
        ProductParameters.objects.filter(product=product, allegro_category_id=allegro_category_id)
        .values_list("values", flat=True)
        .first()
        if getattr(product, "pk", None)
        else None
    )
    return product_parameters_build(
        definitions=definitions, form_values=form_values, product=product, own_values=own or []
    )


def product_parameters_split(*, parameters: list[dict]) -> tuple[list[dict], list[dict]]:
    """Split ``product_parameters_build`` into (product-level, offer-level) lists in Allegro's plain shape."""
    product_level: list[dict] = []
    offer_level: list[dict] = []
    for item in parameters:
        plain = {k: v for k, v in item.items() if k in _VALUE_KEYS}
        (product_level if item.get("describesProduct") else offer_level).append(plain)
    return product_level, offer_level
