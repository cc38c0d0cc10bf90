"""The panel side of invoices: the "Faktura do Allegro" panel on the order page, the invoice page with the
buyer's data from the checkout form, "Wystaw fakturę" and "Dołącz plik faktury" (sent after commit), the
PDF download, the orders list action, the invoice list (queries bounded) and the permissions."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from allegro.invoices.models import InvoiceState, OrderInvoice
from tests.integration.allegro.invoices.conftest import import_order

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% faktura ze sklepu\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def invoice_url(order) -> str:
    return reverse("admin:allegro_order_invoice", args=[order.pk])


def on_emulator(emulator, form_id: str) -> list[dict]:
    return emulator.get(f"state/invoices?checkout_form_id={form_id}")["invoices"]


def test_order_page_has_the_invoice_panel(staff_client, allegro_order):
    order, _ = allegro_order
    html = staff_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert 'id="allegro-invoice-open"' in html and invoice_url(order) in html
    assert "Brak faktury." in html and "Kupujący prosi o fakturę." in html


def test_invoice_page_shows_the_buyers_data_and_the_draft(staff_client, allegro_order):
    order, _ = allegro_order
    page = staff_client.get(invoice_url(order))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Żółta Łódź Sp. z o.o." in html and "5260250274" in html and "ul. Źródlana 7" in html
    assert "Dane do faktury kupującego (z formularza zamówienia)" in html
    assert str(order.total).replace(".", ",") + " PLN" in html  # the draft's gross total is the order's
    assert 'id="allegro-invoice-generate"' in html and 'id="allegro-invoice-attach"' in html


def test_issuing_from_the_page_sends_the_invoice_after_commit(
    staff_client, allegro_order, emulator, django_capture_on_commit_callbacks
):
    order, form = allegro_order
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = staff_client.post(invoice_url(order), {"action": "generate"}, follow=True)
    assert len(callbacks) == 1
    invoice = OrderInvoice.objects.get(order=order)
    assert invoice.state == InvoiceState.SENT
    assert [i["invoice_number"] for i in on_emulator(emulator, form["id"])] == [invoice.number]
    assert f"Wystawiono fakturę {invoice.number}; trwa wysyłanie do Allegro." in response.content.decode()
    assert "wysłano do Allegro" in staff_client.get(invoice_url(order)).content.decode()

    pdf = staff_client.get(reverse("admin:allegro_order_invoice_pdf", args=[order.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages[0].extract_text()
    assert invoice.number in text

    again = staff_client.post(invoice_url(order), {"action": "generate"}, follow=True)
    assert "ma już fakturę" in again.content.decode()
    assert OrderInvoice.objects.count() == 1


def test_attaching_the_shops_file(staff_client, allegro_order, emulator, django_capture_on_commit_callbacks):
    order, form = allegro_order
    bad = staff_client.post(
        invoice_url(order),
        {"action": "upload", "number": "FS 1/2026", "file": SimpleUploadedFile("f.png", b"\x89PNG....")},
    )
    assert bad.status_code == 200 and "Plik nie jest plikiem PDF." in bad.content.decode()
    assert not OrderInvoice.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            invoice_url(order),
            {"action": "upload", "number": "FS 1/2026", "file": SimpleUploadedFile("f.pdf", PDF)},
        )
    invoice = OrderInvoice.objects.get(order=order)
    assert invoice.state == InvoiceState.SENT and invoice.number == "FS 1/2026"
    (remote,) = on_emulator(emulator, form["id"])
    assert remote["file_size"] == len(PDF)


def test_send_again_after_a_refusal(staff_client, allegro_order, emulator, django_capture_on_commit_callbacks):
    order, form = allegro_order
    emulator.add_fault("/invoices$", method="POST", status=422, times=1)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(invoice_url(order), {"action": "generate"})
    assert OrderInvoice.objects.get().state == InvoiceState.FAILED
    assert 'id="allegro-invoice-send"' in staff_client.get(invoice_url(order)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(invoice_url(order), {"action": "send"})
    assert OrderInvoice.objects.get().state == InvoiceState.SENT
    assert len(on_emulator(emulator, form["id"])) == 1


def test_orders_list_action_issues_and_sends(
    staff_client, allegro_order, emulator, connected_account, django_capture_on_commit_callbacks
):
    order, form = allegro_order
    other, other_form = import_order(emulator, connected_account, sku="SKU-INV-2", price="10.00", quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:orders_order_changelist"),
            {"action": "issue_allegro_invoices", "_selected_action": [order.pk, other.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert "Wystawione faktury w kolejce do Allegro: 2." in response.content.decode()
    assert OrderInvoice.objects.filter(state=InvoiceState.SENT).count() == 2
    assert len(on_emulator(emulator, form["id"])) == len(on_emulator(emulator, other_form["id"])) == 1


def test_invoice_list_queries_do_not_grow(
    staff_client, allegro_order, emulator, connected_account, django_assert_max_num_queries
):
    from allegro.invoices.services.invoices import order_invoice_generate

    for n in range(4):
        extra, _ = import_order(emulator, connected_account, sku=f"SKU-LIST-{n}", price="5.00", quantity=1)
        order_invoice_generate(order=extra)
    with django_assert_max_num_queries(12):
        page = staff_client.get(reverse("admin:allegro_orderinvoice_changelist"))
    assert page.status_code == 200 and page.content.decode().count("faktura-FV-") == 4


def test_without_the_change_permission_the_page_is_read_only(client, django_user_model, allegro_order):
    order, _ = allegro_order
    viewer = django_user_model.objects.create_user("ogladacz", password="x", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__in=["view_order"]))
    client.force_login(viewer)
    html = client.get(invoice_url(order)).content.decode()
    assert "Żółta Łódź Sp. z o.o." in html and 'id="allegro-invoice-generate"' not in html
    assert client.post(invoice_url(order), {"action": "generate"}).status_code == 403
    assert not OrderInvoice.objects.exists()


def test_a_shop_order_has_no_invoice_page(staff_client):
    from orders.models import Order

    order = Order.objects.create()
    assert staff_client.get(invoice_url(order)).status_code == 404
