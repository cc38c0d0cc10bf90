"""Faktura do Allegro in a real Chromium: from the order page's panel to the invoice page, where the buyer's
company data from the checkout form are shown; "Wystaw fakturę i wyślij do Allegro" issues the VAT invoice and
it lands on the Allegro order; then the shop's own PDF is attached to a second order the same way."""

from pathlib import Path

import pytest
from django.urls import reverse

from allegro.invoices.models import InvoiceState, OrderInvoice
from tests.factories import connect_account, make_emulator_app
from tests.integration.allegro.invoices.conftest import BUYER_INVOICE, import_order, seller_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n% faktura ze sklepu\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def on_emulator(emulator, form_id: str) -> list[dict]:
    return emulator.get(f"state/invoices?checkout_form_id={form_id}")["invoices"]


def test_an_invoice_is_issued_and_attached_from_the_order_page(page, admin_login, emulator, screenshot, tmp_path):
    account = connect_account(emulator, make_emulator_app(emulator))
    seller_data(account)
    order, form = import_order(emulator, account, invoice=BUYER_INVOICE)
    base = admin_login()

    page.goto(base + reverse("admin:orders_order_change", args=[order.pk]))
    assert page.locator("#allegro-invoice-state").inner_text() == "Brak faktury."
    page.locator("#allegro-invoice-open").click()
    page.wait_for_url(base + reverse("admin:allegro_order_invoice", args=[order.pk]))
    buyer = page.locator("#allegro-invoice-buyer").inner_text()
    assert "Żółta Łódź Sp. z o.o." in buyer and "5260250274" in buyer
    screenshot("invoices-01-faktura-do-allegro")

    page.locator("#allegro-invoice-generate").click()
    page.wait_for_selector("#allegro-invoice-current")
    invoice = OrderInvoice.objects.get(order=order)
    assert invoice.number in page.locator(".messagelist").inner_text()
    page.reload()  # the delivery ran after the answer: the page now says where it stands
    assert page.locator("#allegro-invoice-state-value").inner_text() == "wysłano do Allegro"
    screenshot("invoices-02-faktura-wyslana")
    (remote,) = on_emulator(emulator, form["id"])
    assert remote["invoice_number"] == invoice.number and remote["uploaded_at"]
    assert OrderInvoice.objects.get(order=order).state == InvoiceState.SENT

    # The shop's own PDF, on a second order.
    other, other_form = import_order(emulator, account, sku="SKU-INV-2", price="10.00", quantity=1)
    pdf_path = Path(tmp_path) / "faktura-sklepu.pdf"
    pdf_path.write_bytes(PDF)
    page.goto(base + reverse("admin:allegro_order_invoice", args=[other.pk]))
    page.fill("#id_number", "FS 7/2026")
    page.set_input_files("#id_file", str(pdf_path))
    page.locator("#allegro-invoice-attach").click()
    page.wait_for_selector("#allegro-invoice-current")
    (remote,) = on_emulator(emulator, other_form["id"])
    assert remote["invoice_number"] == "FS 7/2026" and remote["file_size"] == len(PDF)
