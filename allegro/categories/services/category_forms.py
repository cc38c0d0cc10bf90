"""Category forms ("Formularze kategorii"): common parameter values of an Allegro category,
validated against its cached definitions, and the parameters of one product built from them.

Values use Allegro's own shape: ``{"id": ..., "valuesIds": [...]}`` for dictionaries, ``{"id": ..., "values":
[...]}`` for strings and single numbers, ``{"id": ..., "rangeValue": {"from": ..., "to": ...}}`` for ranges. Numbers
are kept as strings with a dot, as Allegro sends and takes them.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from allegro.accounts.models import AllegroApp
from allegro.categories.models import AllegroCategory, CategoryForm

BRAND_PARAMETER_NAMES = ("marka", "producent")
EAN_PARAMETER_NAMES = ("ean (gtin)", "ean", "gtin")


class CategoryFormInvalid(Exception):
    """The submitted values break the category's rules; ``errors`` maps parameter ids to Polish messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(m for messages in errors.values() for m in messages))


def autofill_kind(definition: dict) -> str:
    """ "brand" or "ean" when the parameter is filled from the product's own attribute, else ""."""
    name = str(definition.get("name") or "").strip().lower()
    if name in BRAND_PARAMETER_NAMES:
        return "brand"
    if name in EAN_PARAMETER_NAMES and definition.get("type") == "string":
        return "ean"
    return ""


def is_range(definition: dict) -> bool:
    return definition.get("type") in ("integer", "float") and bool((definition.get("restrictions") or {}).get("range"))


def _number(text: str, definition: dict) -> tuple[Decimal | None, str]:
    """Parse a number as the staff types it ("12,5" too); returns (value, error)."""
    restrictions = definition.get("restrictions") or {}
    try:
        value = Decimal(str(text).strip().replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        return None, _("Enter a number.")
    places = max(0, -value.as_tuple().exponent)
    if definition.get("type") == "integer" and places and value != value.to_integral_value():
        return None, _("Enter a whole number.")
    if definition.get("type") == "float":
        precision = restrictions.get("precision")
        if (
            precision is not None
            and places > int(precision)
            and value != value.quantize(Decimal(1).scaleb(-int(precision)))
        ):
            return None, _("At most %(precision)s digits after the decimal point.") % {"precision": precision}
    minimum, maximum = restrictions.get("min"), restrictions.get("max")
    if minimum is not None and value < Decimal(str(minimum)):
        return None, _("The value must be at least %(min)s.") % {"min": minimum}
    if maximum is not None and value > Decimal(str(maximum)):
        return None, _("The value must be at most %(max)s.") % {"max": maximum}
    return value, ""


def normalize_number(text: str) -> str:
    return str(text).strip().replace(",", ".").replace(" ", "")


def _has_value(item: dict | None) -> bool:
    if not item:
        return False
    if item.get("valuesIds") or item.get("values"):
        return True
    rng = item.get("rangeValue") or {}
    return bool(rng.get("from") not in (None, "") or rng.get("to") not in (None, ""))


def conditions_met(conditions: dict | None, values: list[dict], *, unknown: frozenset[str] = frozenset()) -> bool:
    """Allegro's ``requiredIf`` / ``displayedIf`` against ``values``: every other parameter in
    ``parametersWithValue`` has one of its ``oneOfValueIds`` chosen, and every one in
    ``parametersWithoutValue`` has no value at all. A condition on a parameter in ``unknown`` (filled
    later, from the product) counts as met. ``None`` (no conditions) is met."""
    if not conditions:
        return True
    by_id = {str(item.get("id")): item for item in values}
    for condition in conditions.get("parametersWithValue") or []:
        param_id = str(condition.get("id"))
        item = by_id.get(param_id)
        if param_id in unknown and not _has_value(item):
            continue
        chosen = {str(v) for v in (item or {}).get("valuesIds") or []}
        if not chosen & {str(v) for v in condition.get("oneOfValueIds") or []}:
            return False
    for condition in conditions.get("parametersWithoutValue") or []:
        param_id = str(condition.get("id"))
        if param_id not in unknown and _has_value(by_id.get(param_id)):
            return False
    return True


def parameter_required(definition: dict, values: list[dict], *, unknown: frozenset[str] = frozenset()) -> bool:
    """Required outright, or (with ``requiredIf``) only when its conditions are met by ``values``."""
    if definition.get("requiredIf"):
        return conditions_met(definition["requiredIf"], values, unknown=unknown)
    return bool(definition.get("required"))


def parameter_displayed(definition: dict, values: list[dict], *, unknown: frozenset[str] = frozenset()) -> bool:
    """Whether the parameter applies at all (``displayedIf``): a value for one that does not is not sent."""
    return conditions_met(definition.get("displayedIf"), values, unknown=unknown)


def _filled_later(definitions: list[dict]) -> frozenset[str]:
    """Parameters the product fills (brand, EAN): unknown while a category form is edited."""
    return frozenset(str(d["id"]) for d in definitions if autofill_kind(d))


def category_values_validate(
    *, definitions: list[dict], values: list[dict], require: bool = True
) -> dict[str, list[str]]:
    """Every way ``values`` break the category's parameter definitions, as {parameter id: [Polish messages]}.

    Checks: unknown parameters, required ones missing (except those filled from the product: brand, EAN; with
    Allegro's ``requiredIf`` only when its conditions hold), values of parameters that do not apply
    (``displayedIf``), unknown dictionary values, too many choices, dependent values not allowed for the chosen
    parent value, numbers out of range or precision, incomplete or reversed ranges, strings too short/long or too
    many.
    """
    by_id = {str(d["id"]): d for d in definitions}
    given: dict[str, dict] = {}
    errors: dict[str, list[str]] = {}

    def add(param_id: str, message: str) -> None:
        errors.setdefault(param_id, []).append(message)

    for item in values:
        param_id = str(item.get("id"))
        if param_id not in by_id:
            add(param_id, _("Allegro no longer has this parameter in the category."))
            continue
        given[param_id] = item

    # Conditions on parameters outside ``definitions`` (one parameter checked alone) or filled from the
    # product later cannot be judged here.
    undecided = _filled_later(definitions) | frozenset(
        str(c.get("id"))
        for d in definitions
        for key in ("requiredIf", "displayedIf")
        for kind in ("parametersWithValue", "parametersWithoutValue")
        for c in (d.get(key) or {}).get(kind) or []
        if str(c.get("id")) not in by_id
    )
    present = list(given.values())
    for param_id, definition in by_id.items():
        item = given.get(param_id)
        restrictions = definition.get("restrictions") or {}
        if not _has_value(item):
            if require and not autofill_kind(definition) and parameter_required(definition, present, unknown=undecided):
                add(param_id, _("This parameter is required."))
            continue
        if not parameter_displayed(definition, present, unknown=undecided):
            add(param_id, _("This parameter does not apply to the values chosen above; clear it."))
            continue
        kind = definition.get("type")
        if kind == "dictionary":
            ids = [str(v) for v in item.get("valuesIds") or []]
            known = {str(v["id"]): v for v in definition.get("dictionary") or []}
            unknown = [v for v in ids if v not in known]
            if unknown:
                add(param_id, _("Unknown value of the list: %(value)s.") % {"value": ", ".join(unknown)})
                continue
            options = definition.get("options") or {}
            custom = [str(t).strip() for t in item.get("values") or [] if str(t).strip()]
            ambiguous = str(options.get("ambiguousValueId") or "")
            if custom and not options.get("customValuesEnabled"):
                add(param_id, _("This parameter takes only values from the list."))
            elif custom and len(ids) > 1 and not restrictions.get("multipleChoices"):
                add(param_id, _("Choose a value from the list or type your own, not both."))
            elif custom and ambiguous and ambiguous not in ids:
                add(
                    param_id,
                    _("Your own value goes with “%(value)s” on the list: choose it, or clear your own value.")
                    % {"value": known.get(ambiguous, {}).get("value", ambiguous)},
                )
            elif len(ids) > 1 and not restrictions.get("multipleChoices"):
                add(param_id, _("Choose only one value."))
            parent_id = str((definition.get("options") or {}).get("dependsOnParameterId") or "")
            if parent_id and ids:
                parent_def = by_id.get(parent_id)
                parent_ids = [str(v) for v in (given.get(parent_id) or {}).get("valuesIds") or []]
                parent_name = parent_def.get("name") if parent_def else parent_id
                for value_id in ids:
                    allowed = [str(v) for v in known[value_id].get("dependsOnValueIds") or []]
                    if not allowed:
                        continue
                    if not parent_ids:
                        add(param_id, _("Choose “%(parent)s” first.") % {"parent": parent_name})
                        break
                    if not set(parent_ids) & set(allowed):
                        parent_values = {str(v["id"]): v["value"] for v in (parent_def or {}).get("dictionary") or []}
                        add(
                            param_id,
                            _("“%(value)s” is not allowed when “%(parent)s” is “%(parent_value)s”.")
                            % {
                                "value": known[value_id]["value"],
                                "parent": parent_name,
                                "parent_value": ", ".join(parent_values.get(p, p) for p in parent_ids),
                            },
                        )
        elif kind in ("integer", "float") and is_range(definition):
            rng = item.get("rangeValue") or {}
            start, end = rng.get("from"), rng.get("to")
            if start in (None, "") or end in (None, ""):
                add(param_id, _("Enter both ends of the range."))
                continue
            low, low_error = _number(start, definition)
            high, high_error = _number(end, definition)
            for message in dict.fromkeys(m for m in (low_error, high_error) if m):
                add(param_id, message)
            if low is not None and high is not None and low > high:
                add(param_id, _("The start of the range is greater than its end."))
        elif kind in ("integer", "float"):
            texts = item.get("values") or []
            if len(texts) > 1:
                add(param_id, _("Enter one value."))
            for text in texts[:1]:
                _value, message = _number(text, definition)
                if message:
                    add(param_id, message)
        elif kind == "string":
            texts = [str(t) for t in item.get("values") or []]
            allowed = int(restrictions.get("allowedNumberOfValues") or 1)
            if len(texts) > allowed:
                add(param_id, _("At most %(count)s values.") % {"count": allowed})
            max_length, min_length = restrictions.get("maxLength"), restrictions.get("minLength")
            for text in texts:
                if max_length is not None and len(text) > int(max_length):
                    add(
                        param_id,
                        _("Text too long: at most %(max)s characters (it has %(length)s).")
                        % {"max": max_length, "length": len(text)},
                    )
                elif min_length is not None and len(text) < int(min_length):
                    add(param_id, _("Text too short: at least %(min)s characters.") % {"min": min_length})
    return errors


def category_definitions(*, allegro_category_id: str, app: AllegroApp | None = None) -> list[dict] | None:
    """Cached parameter definitions of a category: through ``app`` (fetched when cold: one call), or without an app
    the most recently fetched cached copy (no call). None when nothing is cached."""
    if app is not None:
        from allegro.categories.services.categories import category_parameters

        return category_parameters(app=app, allegro_id=allegro_category_id)
    row = (
        AllegroCategory.objects.filter(allegro_id=allegro_category_id, parameters__isnull=False)
        .order_by("-parameters_fetched_at")
        .only("parameters")
        .first()
    )
    return row.parameters if row else None


@transaction.atomic
def category_form_save(
    *, allegro_category_id: str, definitions: list[dict], values: list[dict], category_path: str = "", actor=None
) -> CategoryForm:
    """Validate ``values`` against ``definitions`` and store them as the category's form. Raises CategoryFormInvalid
    (nothing saved) when any value breaks the rules."""
    errors = category_values_validate(definitions=definitions, values=values)
    if errors:
        raise CategoryFormInvalid(errors)
    order = {str(d["id"]): i for i, d in enumerate(definitions)}
    clean = sorted((v for v in values if _has_value(v)), key=lambda v: order.get(str(v["id"]), 0))
    form, _created = CategoryForm.objects.update_or_create(
        allegro_category_id=allegro_category_id,
        defaults={
            "values": clean,
            "allegro_category_path": category_path[:500],
            "updated_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )
    return form


def category_form_problems(*, form: CategoryForm | None, definitions: list[dict]) -> list[dict]:
    """What became invalid in a saved form after Allegro changed the category's parameters: each
    ``{"id", "name", "messages"}`` (parameters gone, dictionary values gone, restrictions now broken, new required)."""
    if form is None:
        return []
    errors = category_values_validate(definitions=definitions, values=form.values)
    names = {str(d["id"]): d.get("name") for d in definitions}
    return [
        {"id": param_id, "name": names.get(param_id) or param_id, "messages": messages}
        for param_id, messages in errors.items()
    ]


def _brand_value(definition: dict, brand: str) -> dict | None:
    if definition.get("type") == "string":
        return {"values": [brand]}
    if definition.get("type") != "dictionary":
        return None
    wanted = brand.strip().casefold()
    for entry in definition.get("dictionary") or []:
        if str(entry.get("value", "")).strip().casefold() == wanted:
            return {"valuesIds": [str(entry["id"])]}
    options = definition.get("options") or {}
    if options.get("customValuesEnabled"):
        return custom_dictionary_value(definition, brand.strip())
    return None


def custom_dictionary_value(definition: dict, text: str) -> dict:
    """A value typed by the staff for a dictionary parameter that takes one: sent with the list's ambiguous
    entry ("inne"), which Allegro's definition names."""
    ambiguous = str((definition.get("options") or {}).get("ambiguousValueId") or "")
    return {"valuesIds": [ambiguous], "values": [text]} if ambiguous else {"values": [text]}


def category_form_values(*, definitions: list[dict], values: list[dict]) -> dict[str, dict]:
    """A category form's saved ``values`` still valid for ``definitions``, by parameter id, in Allegro's
    plain shape (what became invalid after Allegro changed the category is left out)."""
    by_id = {str(d["id"]) for d in definitions}
    invalid = category_values_validate(definitions=definitions, values=values, require=False)
    chosen: dict[str, dict] = {}
    for item in values:
        param_id = str(item.get("id"))
        if param_id in by_id and param_id not in invalid:
            chosen[param_id] = {k: v for k, v in item.items() if k in ("id", "valuesIds", "values", "rangeValue")}
    return chosen


def product_parameters(*, definitions: list[dict], form_values: dict[str, dict], product) -> list[dict]:
    """The parameters of one product: ``form_values`` (from ``category_form_values``) with the product's own
    attributes filled in (brand → "Marka"/"Producent", EAN → "EAN (GTIN)"/"EAN"; the product wins), less
    the parameters that do not apply to the result (``displayedIf``).

    Each item is Allegro's shape plus two keys the caller strips (``parameters_for_offer`` does):
    ``describesProduct`` (product-level, goes to ``productSet[].product.parameters``) and ``source``
    ("form" or "product").
    """
    chosen = {param_id: {**item, "source": "form"} for param_id, item in form_values.items()}
    for definition in definitions:
        param_id = str(definition["id"])
        kind = autofill_kind(definition)
        value = None
        if kind == "brand" and (product.brand or "").strip():
            value = _brand_value(definition, product.brand.strip())
        elif kind == "ean" and (product.ean or "").strip():
            value = {"values": [product.ean.strip()]}
        if value is None:
            continue
        candidate = {"id": param_id, **value}
        if not category_values_validate(definitions=[definition], values=[candidate], require=False):
            chosen[param_id] = {**candidate, "source": "product"}
    final = list(chosen.values())
    result = []
    for definition in definitions:
        item = chosen.get(str(definition["id"]))
        # With the product's own values in, a parameter that does not apply is not sent (displayedIf).
        if item is not None and parameter_displayed(definition, final):
            item["describesProduct"] = bool((definition.get("options") or {}).get("describesProduct"))
            result.append(item)
    return result


def category_parameters_for_product(*, product, allegro_category_id: str, app: AllegroApp | None = None) -> list[dict]:
    """``product_parameters`` for one product listed in an Allegro category, from its cached definitions
    and saved category form. No Allegro call without ``app``; with ``app`` at most one when its parameters
    are not cached. (A selection of products uses ``OfferLookups``, which reads each category once.)"""
    definitions = category_definitions(allegro_category_id=allegro_category_id, app=app) or []
    form = CategoryForm.objects.filter(allegro_category_id=allegro_category_id).first()
    form_values = category_form_values(definitions=definitions, values=form.values) if form is not None else {}
    return product_parameters(definitions=definitions, form_values=form_values, product=product)


def parameters_for_offer(parameters: list[dict]) -> tuple[list[dict], list[dict]]:
    """Split ``product_parameters`` into (product-level, offer-level) lists in Allegro's plain shape."""
    product_level, offer_level = [], []
    for item in parameters:
        plain = {k: v for k, v in item.items() if k in ("id", "valuesIds", "values", "rangeValue")}
        (product_level if item.get("describesProduct") else offer_level).append(plain)
    return product_level, offer_level
