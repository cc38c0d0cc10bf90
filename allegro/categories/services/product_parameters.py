"""Parameters that describe the product (Allegro's ``describesProduct``): product data, edited per product on its
page and for many products at once as a table pasted from a spreadsheet (tab-separated columns).

A category's parameters split in two: the ones that describe the product ("Model", "Kod producenta", "Pojemność")
differ from product to product and are kept here per product; the ones that describe the offer ("Stan",
"Faktura") are shared and kept in the category form. Brand and EAN are filled from the product's own fields and
are not edited here.

Saving validates the given values by the same rules as the category form (dictionary values, ranges,
lengths, dependent values) but does not insist on required parameters: a product linked to Allegro's catalogue
by its EAN needs none of them, and what a listing still misses is reported by the listing's checks, under the
parameter's field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from allegro.categories.models import ProductParameters
from allegro.categories.services.category_forms import (
    CategoryFormInvalid,
    category_values_validate,
    number_normalize,
    parameter_autofill_kind,
    parameter_custom_value_build,
)
from allegro.integration.schemas.categories import (
    CategoryParameter,
    ParameterValue,
    category_parameters_parse,
)
from shop.models import Product

_VALUE_KEYS = ("id", "valuesIds", "values", "rangeValue")
MULTI_SEPARATOR = ";"  # several values in one spreadsheet cell: "Korpus; Obiektyw"
RANGE_SEPARATORS = ("–", "-", "..")


def product_definitions(*, definitions: Sequence[CategoryParameter | dict]) -> list[CategoryParameter]:
    """The category's parameters edited per product: the ones describing the product, less brand and EAN
    (filled from the product's own fields)."""
    return [
        p
        for p in category_parameters_parse(definitions)
        if p.options.describesProduct and not parameter_autofill_kind(definition=p)
    ]


def offer_definitions(*, definitions: Sequence[CategoryParameter | dict]) -> list[CategoryParameter]:
    """The category's parameters describing the offer: the category form keeps common values of these."""
    return [p for p in category_parameters_parse(definitions) if not p.options.describesProduct]


def _plain(values: Iterable[dict]) -> list[dict]:
    return [{k: v for k, v in item.items() if k in _VALUE_KEYS} for item in values]


def product_parameters_validate(
    *, definitions: Sequence[CategoryParameter | dict], values: Sequence[dict]
) -> dict[str, list[str]]:
    """Every way ``values`` break the product parameters' rules, as {parameter id: [Polish messages]}."""
    own = product_definitions(definitions=definitions)
    known = {p.id for p in own}
    errors: dict[str, list[str]] = {}
    for item in values:
        if str(item.get("id")) not in known:
            errors.setdefault(str(item.get("id")), []).append(
                _("This parameter does not describe the product in this category.")
            )
    for param_id, messages in category_values_validate(definitions=own, values=values, require=False).items():
        errors.setdefault(param_id, []).extend(messages)
    return errors


def _clean(definitions: list[CategoryParameter], values: Sequence[dict]) -> list[dict]:
    order = {p.id: i for i, p in enumerate(definitions)}
    kept = [v for v in _plain(values) if ParameterValue.model_validate(v).has_value]
    return sorted(kept, key=lambda v: order.get(str(v["id"]), 0))


def _store(*, product, allegro_category_id: str, values: list[dict], actor) -> ProductParameters | None:
    if not values:
        ProductParameters.objects.filter(product=product, allegro_category_id=allegro_category_id).delete()
        return None
    row, _created = ProductParameters.objects.update_or_create(
        product=product,
        allegro_category_id=allegro_category_id,
        defaults={"values": values, "updated_by": actor if getattr(actor, "is_authenticated", False) else None},
    )
    return row


@transaction.atomic
def product_parameters_save(
    *,
    product,
    allegro_category_id: str,
    definitions: Sequence[CategoryParameter | dict],
    values: list[dict],
    actor=None,
) -> ProductParameters | None:
    """Validate and store the product's own parameter values in ``allegro_category_id`` (empty values: the row
    goes). Raises CategoryFormInvalid and saves nothing when a value breaks the rules."""
    errors = product_parameters_validate(definitions=definitions, values=values)
    if errors:
        raise CategoryFormInvalid(errors)
    own = product_definitions(definitions=definitions)
    return _store(product=product, allegro_category_id=allegro_category_id, values=_clean(own, values), actor=actor)


def product_parameters_values(*, product, allegro_category_id: str) -> list[dict]:
    """The product's own values in the category (Allegro's shape), [] when it has none."""
    row = ProductParameters.objects.filter(product=product, allegro_category_id=allegro_category_id).first()
    return list(row.values) if row else []


# --- spreadsheet cells ----------------------------------------------------------------------------------------


def parameter_value_as_text(*, definition: CategoryParameter, item: dict | None) -> str:
    """One value as a spreadsheet cell: dictionary entries by their names, several values joined by "; "."""
    if not item:
        return ""
    value = ParameterValue.model_validate(item)
    if definition.kind == "range":
        rng = value.rangeValue
        return f"{rng.from_}-{rng.to}" if rng else ""
    if definition.type == "dictionary":
        ambiguous = definition.options.ambiguousValueId or ""
        names = [
            entry.value
            for entry_id in value.valuesIds
            if entry_id != ambiguous or not value.values
            for entry in [definition.dictionary_value(entry_id)]
            if entry is not None
        ]
        return f"{MULTI_SEPARATOR} ".join([*names, *value.values])
    return f"{MULTI_SEPARATOR} ".join(value.values)


def parameter_value_from_text(*, definition: CategoryParameter, text: str) -> tuple[dict | None, str]:
    """A spreadsheet cell as a value of ``definition``: (value or None when empty, "" or a Polish message)."""
    text = (text or "").strip()
    if not text:
        return None, ""
    if definition.kind == "range":
        for separator in RANGE_SEPARATORS:
            if separator in text.lstrip("-"):
                start, _sep, end = text.lstrip("-").partition(separator)
                prefix = "-" if text.startswith("-") else ""
                start, end = number_normalize(text=prefix + start), number_normalize(text=end)
                return {"id": definition.id, "rangeValue": {"from": start, "to": end}}, ""
        return None, _("Give the range as “from-to”, e.g. 100-6400.")
    if definition.type in ("integer", "float"):
        return {"id": definition.id, "values": [number_normalize(text=text)]}, ""
    parts = [part.strip() for part in text.split(MULTI_SEPARATOR) if part.strip()]
    if definition.type == "dictionary":
        by_name = {entry.value.strip().casefold(): entry.id for entry in definition.dictionary}
        ids, unknown = [], []
        for part in parts:
            entry_id = by_name.get(part.casefold())
            (ids.append(entry_id) if entry_id else unknown.append(part))
        if unknown:
            if definition.options.customValuesEnabled and len(unknown) == 1:
                custom = parameter_custom_value_build(definition=definition, text=unknown[0])
                custom["valuesIds"] = list(dict.fromkeys([*ids, *custom.get("valuesIds", [])]))
                return {"id": definition.id, **custom}, ""
            return None, _("“%(value)s” is not on Allegro's list of this parameter.") % {"value": unknown[0]}
        return {"id": definition.id, "valuesIds": ids}, ""
    return {"id": definition.id, "values": parts}, ""


# --- many products at once ---------------------------------------------------------------------------------


@dataclass
class BulkRow:
    """One product's row of the table: its cells as texts, the values they make and the errors by parameter."""

    product: Product
    cells: dict[str, str] = field(default_factory=dict)
    values: list[dict] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class BulkTable:
    definitions: list[CategoryParameter]
    rows: list[BulkRow]
    errors: list[str] = field(default_factory=list)  # problems of the pasted text itself (unknown SKU, header)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(row.errors for row in self.rows)


def product_parameters_table(*, products: Sequence, definitions: Sequence[CategoryParameter | dict], stored: dict):
    """The table as saved: one row per product, a cell per product parameter. ``stored`` = {product pk: values}."""
    own = product_definitions(definitions=definitions)
    rows = []
    for product in products:
        by_id = {str(v["id"]): v for v in stored.get(product.pk, [])}
        cells = {p.id: parameter_value_as_text(definition=p, item=by_id.get(p.id)) for p in own}
        rows.append(BulkRow(product=product, cells=cells, values=list(by_id.values())))
    return BulkTable(definitions=own, rows=rows)


def product_parameters_tsv(*, table: BulkTable) -> str:
    """The table as tab-separated text with a header row (SKU, then the parameters' names), for a spreadsheet."""
    lines = ["\t".join([_("SKU"), *(p.label for p in table.definitions)])]
    for row in table.rows:
        lines.append("\t".join([row.product.sku or "", *(row.cells.get(p.id, "") for p in table.definitions)]))
    return "\n".join(lines)


def _paste_columns(header: list[str], definitions: list[CategoryParameter]) -> tuple[list[str | None], str]:
    by_name = {p.label.strip().casefold(): p.id for p in definitions} | {p.id: p.id for p in definitions}
    columns: list[str | None] = []
    for title in header[1:]:
        key = title.strip()
        if not key:
            columns.append(None)
            continue
        param_id = by_name.get(key.casefold())
        if param_id is None:
            return [], _("Column “%(title)s” is not a product parameter of this category.") % {"title": key}
        columns.append(param_id)
    return columns, ""


def product_parameters_table_read(
    *, table: BulkTable, cells: dict[tuple[int, str], str] | None = None, pasted: str = ""
) -> BulkTable:
    """The table as submitted: the edited ``cells`` ({(product pk, parameter id): text}), then a pasted
    spreadsheet over them. Pasted text: rows of tab-separated cells, the first one a header (SKU, then the
    parameters' names as on the page, any order and subset) or, without a header, the page's columns in
    order; a row names its product by SKU in the first cell. Each cell is read and checked."""
    by_sku = {(row.product.sku or "").strip(): row for row in table.rows}
    if cells:
        for row in table.rows:
            for param in table.definitions:
                key = (row.product.pk, param.id)
                if key in cells:
                    row.cells[param.id] = cells[key]
    lines = [line for line in (pasted or "").replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()]
    if lines:
        first = lines[0].split("\t")
        if first[0].strip().casefold() in (_("SKU").casefold(), "sku"):
            columns, problem = _paste_columns(first, table.definitions)
            if problem:
                table.errors.append(problem)
                return table
            lines = lines[1:]
        else:
            columns = [p.id for p in table.definitions]
        for number, line in enumerate(lines, start=1):
            parts = line.split("\t")
            pasted_row = by_sku.get(parts[0].strip())
            if pasted_row is None:
                table.errors.append(
                    _("Pasted row %(number)s: no product with SKU “%(sku)s” in this list.")
                    % {"number": number, "sku": parts[0].strip()}
                )
                continue
            for param_id, text in zip(columns, parts[1:], strict=False):
                if param_id is not None:
                    pasted_row.cells[param_id] = text.strip()
    for row in table.rows:
        values = []
        row.errors = {}
        for param in table.definitions:
            item, problem = parameter_value_from_text(definition=param, text=row.cells.get(param.id, ""))
            if problem:
                row.errors.setdefault(param.id, []).append(problem)
            elif item is not None:
                values.append(item)
        for param_id, messages in product_parameters_validate(definitions=table.definitions, values=values).items():
            if param_id not in row.errors:  # a cell that could not be read has its message already
                row.errors[param_id] = list(messages)
        row.values = values
    return table


@transaction.atomic
def product_parameters_table_save(*, table: BulkTable, allegro_category_id: str, actor=None) -> int:
    """Store every row of a read table; nothing when any cell is wrong (raises CategoryFormInvalid with
    {"<product pk>:<parameter id>": messages}). Returns how many products' values changed."""
    if table.has_errors:
        raise CategoryFormInvalid(
            {f"{row.product.pk}:{pid}": msgs for row in table.rows for pid, msgs in row.errors.items()}
            | ({"__all__": table.errors} if table.errors else {})
        )
    stored = {
        row.product_id: row.values
        for row in ProductParameters.objects.filter(
            allegro_category_id=allegro_category_id, product__in=[r.product for r in table.rows]
        )
    }
    changed = 0
    for row in table.rows:
        values = _clean(table.definitions, row.values)
        if values == stored.get(row.product.pk, []):
            continue
        _store(product=row.product, allegro_category_id=allegro_category_id, values=values, actor=actor)
        changed += 1
    return changed
