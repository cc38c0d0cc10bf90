"""Invoices delivered to Allegro orders, against the emulator: an invoice issued in the panel and one of the
shop's own PDFs reach the checkout form; timeouts and lost answers of either call leave exactly one invoice
with one file there; a refusal is kept with Allegro's message."""

from __future__ import annotations

import io
import time

import pytest
from pypdf import PdfReader

import allegro.integration.client
from allegro.integration.client import AllegroRetryLater
from allegro.invoices.models import InvoiceSource, InvoiceState, OrderInvoice
from allegro.invoices.services.invoices import (
    InvoiceRefused,
    order_invoice_attach,
    order_invoice_generate,
    order_invoice_send,
)
from allegro.invoices.tasks import invoices_send_pending
from tests.integration.allegro.invoices.conftest import import_order

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% faktura ze sklepu\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def on_emulator(emulator, form_id: str) -> list[dict]:
    return emulator.get(f"state/invoices?checkout_form_id={form_id}")["invoices"]


def calls(emulator, since: int, method: str) -> list[dict]:
    return [r for r in emulator.requests(since) if r["method"] == method and "/invoices" in r["path"]]


def wait_for_invoices(emulator, form_id: str, count: int, seconds: float = 5) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = on_emulator(emulator, form_id)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    return on_emulator(emulator, form_id)


def test_an_invoice_issued_in_the_panel_is_attached_to_the_allegro_order(emulator, allegro_order):
    order, form = allegro_order
    invoice = order_invoice_generate(order=order)
    assert invoice.number == f"FV/1/{invoice.issued_on:%m}/{invoice.issued_on:%Y}"
    assert invoice.source == InvoiceSource.GENERATED
    assert invoice.gross_total == order.total  # goods and delivery, gross as Allegro charged them
    assert invoice.net_total + invoice.vat_total == invoice.gross_total

    assert order_invoice_send(invoice=invoice) is True
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.SENT and invoice.sent_at is not None and invoice.last_error == ""
    (remote,) = on_emulator(emulator, form["id"])
    assert remote["id"] == invoice.allegro_invoice_id
    assert remote["invoice_number"] == invoice.number and remote["file_name"] == invoice.file_name
    pdf = emulator.http.get(emulator.url(f"/_emulator/invoices/{remote['id']}/file"), timeout=10).content
    with invoice.file.open("rb") as fh:
        assert pdf == fh.read()
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert f"Faktura VAT nr {invoice.number}" in text
    assert "Żółta Łódź Sp. z o.o." in text and "NIP: 5260250274" in text and "90-001 Łódź" in text
    assert "Sklep Testowy Sp. z o.o." in text and "NIP: 7791011327" in text
    assert f"Razem do zapłaty: {str(order.total).replace('.', ',')} PLN" in text

    # sending again changes nothing on Allegro
    since = emulator.requests()[-1]["seq"] if emulator.requests() else 0
    assert order_invoice_send(invoice=invoice) is True
    assert calls(emulator, since, "POST") == [] and calls(emulator, since, "PUT") == []


def test_the_shops_own_pdf_is_sent_as_it_is(emulator, allegro_order):
    order, form = allegro_order
    invoice = order_invoice_attach(order=order, number="FS 17/2026", data=PDF)
    assert order_invoice_send(invoice=invoice)
    (remote,) = on_emulator(emulator, form["id"])
    assert remote["invoice_number"] == "FS 17/2026" and remote["file_size"] == len(PDF)
    with pytest.raises(InvoiceRefused):
        order_invoice_attach(order=order, number="FS 18/2026", data=PDF)  # one invoice per order


def test_a_retry_after_a_timed_out_declaration_finds_it_and_leaves_one_invoice(emulator, allegro_order, monkeypatch):
    order, form = allegro_order
    invoice = order_invoice_generate(order=order)
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 0.5)
    emulator.add_fault("/invoices$", method="POST", delay_ms=1500, times=1)
    with pytest.raises(AllegroRetryLater):
        order_invoice_send(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.allegro_invoice_id == "" and invoice.state == InvoiceState.READY and invoice.last_error
    wait_for_invoices(emulator, form["id"], 1)  # the lost declaration lands on Allegro all the same

    since = emulator.requests()[-1]["seq"]
    assert order_invoice_send(invoice=invoice)
    assert calls(emulator, since, "POST") == []  # found by its number, not declared again
    assert [r["status"] for r in calls(emulator, since, "PUT")] == [200]
    (remote,) = on_emulator(emulator, form["id"])
    invoice.refresh_from_db()
    assert remote["id"] == invoice.allegro_invoice_id and remote["file_size"] > 0
    assert invoice.state == InvoiceState.SENT


def test_a_retry_before_the_lost_declaration_lands_still_leaves_one_invoice(emulator, allegro_order, monkeypatch):
    order, form = allegro_order
    invoice = order_invoice_generate(order=order)
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 0.5)
    emulator.add_fault("/invoices$", method="POST", delay_ms=2500, times=1)
    with pytest.raises(AllegroRetryLater):
        order_invoice_send(invoice=invoice)
    assert order_invoice_send(invoice=invoice)  # the first declaration is still on its way
    time.sleep(2.5)  # ... and arrives now: Allegro refuses the number a second time
    (remote,) = on_emulator(emulator, form["id"])
    invoice.refresh_from_db()
    assert remote["id"] == invoice.allegro_invoice_id and remote["file_size"] > 0
    assert any(r["status"] == 409 for r in calls(emulator, 0, "POST"))


def test_a_timed_out_upload_is_retried_and_the_file_is_there_once(emulator, allegro_order, monkeypatch):
    order, form = allegro_order
    invoice = order_invoice_generate(order=order)
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 0.5)
    emulator.add_fault("/file$", method="PUT", delay_ms=1500, times=1)
    assert order_invoice_send(invoice=invoice)
    time.sleep(1.5)
    (remote,) = on_emulator(emulator, form["id"])
    assert remote["uploaded_at"] and len(calls(emulator, 0, "POST")) == 1


def test_the_declaration_id_is_stored_before_the_file_and_reused(emulator, allegro_order):
    order, form = allegro_order
    invoice = order_invoice_generate(order=order)
    emulator.add_fault("/file$", method="PUT", status=503, times=20)
    with pytest.raises(AllegroRetryLater):
        order_invoice_send(invoice=invoice)
    invoice.refresh_from_db()
    (remote,) = on_emulator(emulator, form["id"])
    assert invoice.state == InvoiceState.DECLARED and invoice.allegro_invoice_id == remote["id"]
    assert remote["uploaded_at"] is None
    emulator.clear_faults()

    assert invoices_send_pending() == 0  # too fresh for the safety net: its own task retries it
    OrderInvoice.objects.filter(pk=invoice.pk).update(created_at=invoice.created_at.replace(year=2025))
    assert invoices_send_pending() == 1  # eager in tests: the task ran
    invoice.refresh_from_db()
    (remote,) = on_emulator(emulator, form["id"])
    assert invoice.state == InvoiceState.SENT and remote["uploaded_at"]
    assert len(calls(emulator, 0, "POST")) == 1


def test_a_refusal_is_kept_with_allegros_message(emulator, allegro_order):
    order, form = allegro_order
    invoice = order_invoice_generate(order=order)
    body = {
        "errors": [
            {
                "code": "VALIDATION_ERROR",
                "message": "Order does not allow an invoice",
                "userMessage": "Zamówienie nie pozwala na dodanie faktury.",
                "path": None,
                "details": None,
                "metadata": {},
            }
        ]
    }
    emulator.add_fault("/invoices$", method="POST", status=422, body=body, times=1)
    assert order_invoice_send(invoice=invoice) is False
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.FAILED
    assert invoice.last_error == "Zamówienie nie pozwala na dodanie faktury."
    assert on_emulator(emulator, form["id"]) == []


def test_generating_needs_the_seller_data_and_an_allegro_order(emulator, connected_account):
    order, _ = import_order(emulator, connected_account, sku="SKU-NOSELLER")
    with pytest.raises(InvoiceRefused, match="sprzedawc|seller"):
        order_invoice_generate(order=order)
    assert OrderInvoice.objects.count() == 0


def test_one_delivery_of_an_invoice_at_a_time(emulator, allegro_order):
    from allegro.core.services.leases import lease_hold

    order, form = allegro_order
    invoice = order_invoice_generate(order=order)
    with lease_hold(key=f"invoice:{invoice.pk}"):  # another worker is delivering it
        assert order_invoice_send(invoice=invoice) is False
    assert on_emulator(emulator, form["id"]) == []
    assert order_invoice_send(invoice=invoice) is True
