"""Typed answers of Allegro's invoices attached to orders (``GET /order/checkout-forms/{id}/invoices``).

Optional fields may be missing or ``null`` and new keys appear: unknown keys are ignored and a ``null``
counts as a missing key. A declared invoice whose file is not uploaded yet has a file name and no
``uploadedAt``. Field names are Allegro's own (camelCase).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


def _text(value: Any) -> str:
    return "" if value is None else str(value)


Text = Annotated[str, BeforeValidator(_text)]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


class SecurityVerification(_Schema):
    status: Text = ""  # ACCEPTED | REJECTED | WAITING


class OrderInvoiceFile(_Schema):
    name: Text = ""
    uploadedAt: Text = ""
    securityVerification: SecurityVerification | None = None


class OrderInvoice(_Schema):
    id: Text = ""
    invoiceNumber: Text = ""
    createdAt: Text = ""
    file: OrderInvoiceFile | None = None

    @property
    def file_uploaded(self) -> bool:
        return bool(self.file is not None and self.file.uploadedAt)


class OrderInvoices(_Schema):
    invoices: list[OrderInvoice] = Field(default_factory=list)
    hasExternalInvoices: bool = False

    def by_number(self, number: str) -> OrderInvoice | None:
        """The invoice declared with ``number`` (one number is declared once per order)."""
        return next((invoice for invoice in self.invoices if invoice.invoiceNumber == number), None)
