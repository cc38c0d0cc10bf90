"""Typed Allegro categories and category parameters, parsed where the client's JSON arrives.

Allegro's answers are untidy: optional fields may be missing or ``null``, ids may come as numbers, and new
keys appear over time. These schemas accept all of that (unknown keys are ignored, ``null`` counts as
missing, ids become strings) so that the services read attributes instead of picking through dicts.
Field names are Allegro's own (camelCase), so a definition reads like the API documentation.

Parameter values (``{"id", "valuesIds", "values", "rangeValue"}``) are the panel's own shape as well as
Allegro's: they are kept as dicts in the database (category forms, offers) and parsed with
``ParameterValue`` when checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator


def _id(value: Any) -> str:
    if value is None or isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("an id must be a string or a whole number")
    return str(value)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _number(value: Any) -> Decimal | None:
    """A restriction's bound: Allegro sends numbers (floats as JSON numbers, weights and prices as strings)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not number.is_finite():
        raise ValueError("not a finite number")
    return number


def _texts(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str | int | float | Decimal):
        value = [value]
    return [str(v) for v in value if v is not None]


Id = Annotated[str, BeforeValidator(_id)]
Ids = Annotated[list[str], BeforeValidator(lambda v: [_id(i) for i in v or []])]
Text = Annotated[str, BeforeValidator(_text)]
Number = Annotated[Decimal | None, BeforeValidator(_number)]
Texts = Annotated[list[str], BeforeValidator(_texts)]


class _Schema(BaseModel):
    # Allegro adds fields over time and leaves optional ones out or null: unknown keys are ignored and a null
    # counts as a missing key, so every field's default applies.
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


# --- the category tree -------------------------------------------------------------------------------------


class CategoryNode(_Schema):
    """One category of the tree (``GET /sale/categories``, ``/sale/categories/{id}``) or of a suggestion's
    parent chain (``GET /sale/matching-categories``)."""

    id: Id
    name: Text = ""
    leaf: bool = False
    parent: CategoryNode | None = None

    @field_validator("parent", mode="before")
    @classmethod
    def _parent_with_id(cls, value: Any) -> Any:
        # A root's parent may come as ``{}`` or ``{"id": null}``: no parent.
        if isinstance(value, dict) and value.get("id") in (None, ""):
            return None
        return value

    @property
    def label(self) -> str:
        return self.name or self.id

    def chain(self) -> list[CategoryNode]:
        """The node's ancestors from the root, then the node itself."""
        nodes: list[CategoryNode] = []
        node: CategoryNode | None = self
        while node is not None:
            nodes.append(node)
            node = node.parent
        nodes.reverse()
        return nodes


# --- category parameters -----------------------------------------------------------------------------------


class ParameterWithValue(_Schema):
    """A condition: parameter ``id`` has one of ``oneOfValueIds`` chosen."""

    id: Id
    oneOfValueIds: Ids = Field(default_factory=list)


class ParameterWithoutValue(_Schema):
    """A condition: parameter ``id`` has no value at all."""

    id: Id


class ParameterConditions(_Schema):
    """``requiredIf`` / ``displayedIf``: every condition of both kinds must hold."""

    parametersWithValue: list[ParameterWithValue] = Field(default_factory=list)
    parametersWithoutValue: list[ParameterWithoutValue] = Field(default_factory=list)

    def parameter_ids(self) -> list[str]:
        return [c.id for c in self.parametersWithValue] + [c.id for c in self.parametersWithoutValue]


class ParameterRestrictions(_Schema):
    """The union of the restrictions of every parameter type; each type uses its own."""

    min: Number = None  # integer, float
    max: Number = None
    range: bool = False
    precision: int | None = None  # float
    multipleChoices: bool = False  # dictionary
    minLength: int | None = None  # string
    maxLength: int | None = None
    allowedNumberOfValues: int | None = None


class DictionaryValue(_Schema):
    id: Id
    value: Text = ""
    dependsOnValueIds: Ids = Field(default_factory=list)


class ParameterOptions(_Schema):
    ambiguousValueId: Id | None = None
    dependsOnParameterId: Id | None = None
    describesProduct: bool = False
    customValuesEnabled: bool = False


class CategoryParameter(_Schema):
    """One parameter definition of ``GET /sale/categories/{id}/parameters``."""

    id: Id
    name: Text = ""
    type: Text = ""
    required: bool = False
    requiredForProduct: bool = False
    requiredIf: ParameterConditions | None = None
    displayedIf: ParameterConditions | None = None
    unit: Text = ""
    options: ParameterOptions = Field(default_factory=ParameterOptions)
    restrictions: ParameterRestrictions = Field(default_factory=ParameterRestrictions)
    dictionary: list[DictionaryValue] = Field(default_factory=list)

    @field_validator("requiredIf", "displayedIf", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        # ``{}`` states no condition, like ``null``.
        return value or None

    @property
    def label(self) -> str:
        return self.name or self.id

    @property
    def kind(self) -> str:
        """The type, except that a number parameter with ``restrictions.range`` is a "range"."""
        if self.type in ("integer", "float") and self.restrictions.range:
            return "range"
        return self.type

    def dictionary_value(self, value_id: str) -> DictionaryValue | None:
        return next((entry for entry in self.dictionary if entry.id == value_id), None)


def category_parameters_parse(raw: Iterable[CategoryParameter | dict]) -> list[CategoryParameter]:
    """Definitions as schemas, whether they come typed already or as stored JSON."""
    return [item if isinstance(item, CategoryParameter) else CategoryParameter.model_validate(item) for item in raw]


# --- parameter values --------------------------------------------------------------------------------------


class RangeValue(_Schema):
    from_: Text = Field("", alias="from")
    to: Text = ""


class ParameterValue(_Schema):
    """A value of one parameter in Allegro's shape: ``valuesIds`` for dictionaries, ``values`` for strings and
    single numbers (numbers as strings with a dot), ``rangeValue`` for ranges."""

    id: Text
    valuesIds: Texts = Field(default_factory=list)
    values: Texts = Field(default_factory=list)
    rangeValue: RangeValue | None = None

    @property
    def has_value(self) -> bool:
        if self.valuesIds or self.values:
            return True
        return self.rangeValue is not None and bool(self.rangeValue.from_ or self.rangeValue.to)


def parameter_values_parse(raw: Iterable[ParameterValue | dict]) -> list[ParameterValue]:
    return [item if isinstance(item, ParameterValue) else ParameterValue.model_validate(item) for item in raw]
