"""Typed products of Allegro's catalogue (``GET /sale/products``, ``GET /sale/products/{productId}``,
``POST /sale/product-proposals``), parsed at the edge.

Every field but the id may come back null or missing (Allegro fills in what it has), so each has a default;
an item without an id cannot be linked to and is dropped.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ProductCategory(_Model):
    id: str = ""


class ProductParameter(_Model):
    id: str = ""
    name: str = ""
    values: list[str] = Field(default_factory=list)
    valuesIds: list[str] = Field(default_factory=list)
    valuesLabels: list[str] = Field(default_factory=list)

    @field_validator("values", "valuesIds", "valuesLabels", mode="before")
    @classmethod
    def _list(cls, value: Any) -> list:
        return [str(v) for v in value] if isinstance(value, list) else []

    @property
    def text(self) -> str:
        return ", ".join(self.valuesLabels or self.values)


class CatalogueProduct(_Model):
    id: str = Field(min_length=1)
    name: str = ""
    category: ProductCategory = Field(default_factory=ProductCategory)
    parameters: list[ProductParameter] = Field(default_factory=list)
    status: str = ""

    @field_validator("name", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str:
        return str(value) if value is not None else ""

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}

    @field_validator("parameters", mode="before")
    @classmethod
    def _parameters(cls, value: Any) -> list:
        return [p for p in value if isinstance(p, dict) and p.get("id")] if isinstance(value, list) else []

    @property
    def summary(self) -> str:
        """The product's name and what tells it apart (brand, producer code) for a choice list."""
        extra = [p.text for p in self.parameters if p.name in ("Marka", "Kod producenta") and p.text]
        return " · ".join([self.name, *extra]) if extra else self.name


def parse_product(raw: Any) -> CatalogueProduct | None:
    """A catalogue product, or None when the item is unusable (no id)."""
    if not isinstance(raw, dict):
        return None
    publication = raw.get("publication")
    publication = publication if isinstance(publication, dict) else {}
    try:
        return CatalogueProduct.model_validate({**raw, "status": str(publication.get("status") or "")})
    except ValidationError:
        return None


def parse_products(raw: Any) -> tuple[list[CatalogueProduct], str]:
    """The products of one search page and the next page's id ("" on the last page)."""
    if not isinstance(raw, dict):
        return [], ""
    items = raw.get("products")
    items = items if isinstance(items, list) else []
    products = [p for p in (parse_product(item) for item in items) if p is not None]
    next_page = raw.get("nextPage")
    next_page = next_page if isinstance(next_page, dict) else {}
    return products, str(next_page.get("id") or "")
