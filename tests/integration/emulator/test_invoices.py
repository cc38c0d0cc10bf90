"""Invoices on the emulator: the declaration and the PDF upload with Allegro's rules (number required, one
number per order, PDF only, 3 MB, one file per invoice, 429 when declaring too fast), the list the seller
reads back, and the fault switch. Every answer of `seller_api` is checked against Allegro's spec."""

from __future__ import annotations

import time
import uuid

import pytest
import requests  # noqa: TID251 — the test talks HTTP to the emulator

from allegro_emulator.invoices import MAX_FILE_BYTES, METADATA_INTERVAL_SECONDS
from tests.emulator_support import PUBLIC, make_offer

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def seller_api(emulator):
    return emulator.api(emulator.user_token()["access_token"])


@pytest.fixture
def form_id(emulator):
    offer_id = make_offer(emulator, price="123.00", stock=5)
    return emulator.post("purchases", {"offer_id": offer_id, "invoice": True})["checkout_form_id"]


def declare(emulator, api, form_id, number="FV/1/12/2026", name="faktura.pdf"):
    body = {"file": {"name": name}}
    if number is not None:
        body["invoiceNumber"] = number
    return api.post(
        emulator.url(f"/order/checkout-forms/{form_id}/invoices"), json=body, headers={"Content-Type": PUBLIC}
    )


def upload(emulator, api, form_id, invoice_id, data=PDF, content_type="application/pdf"):
    return api.put(
        emulator.url(f"/order/checkout-forms/{form_id}/invoices/{invoice_id}/file"),
        data=data,
        headers={"Content-Type": content_type},
    )


def listed(emulator, api, form_id) -> list[dict]:
    resp = api.get(emulator.url(f"/order/checkout-forms/{form_id}/invoices"))
    assert resp.status_code == 200, resp.text
    assert resp.json()["hasExternalInvoices"] is False
    return resp.json()["invoices"]


def codes(resp) -> list[str]:
    return [e["code"] for e in resp.json()["errors"]]


def test_declare_upload_and_list(emulator, seller_api, form_id):
    assert listed(emulator, seller_api, form_id) == []
    resp = declare(emulator, seller_api, form_id)
    assert resp.status_code == 201, resp.text
    invoice_id = resp.json()["id"]
    assert uuid.UUID(invoice_id)
    (waiting,) = listed(emulator, seller_api, form_id)
    assert waiting["invoiceNumber"] == "FV/1/12/2026"
    assert waiting["file"] == {"name": "faktura.pdf"}

    assert upload(emulator, seller_api, form_id, invoice_id).status_code == 200
    (done,) = listed(emulator, seller_api, form_id)
    assert done["file"]["uploadedAt"]
    assert done["file"]["securityVerification"]["status"] == "ACCEPTED"
    state = emulator.get(f"state/invoices?checkout_form_id={form_id}")["invoices"]
    assert [(i["id"], i["file_size"]) for i in state] == [(invoice_id, len(PDF))]
    stored = requests.get(emulator.url(f"/_emulator/invoices/{invoice_id}/file"), timeout=10)
    assert stored.content == PDF


def test_the_invoice_number_is_required(emulator, seller_api, form_id):
    resp = declare(emulator, seller_api, form_id, number=None)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["path"] == "invoiceNumber"
    resp = declare(emulator, seller_api, form_id, number="   ")
    assert resp.status_code == 422


def test_the_declaration_needs_a_pdf_name_and_a_file(emulator, seller_api, form_id):
    resp = declare(emulator, seller_api, form_id, name="faktura.docx")
    assert resp.status_code == 422 and resp.json()["errors"][0]["path"] == "file.name"
    resp = seller_api.post(
        emulator.url(f"/order/checkout-forms/{form_id}/invoices"),
        json={"invoiceNumber": "FV/1"},
        headers={"Content-Type": PUBLIC},
    )
    assert resp.status_code == 422 and resp.json()["errors"][0]["path"] == "file"
    assert emulator.get("state/invoices")["invoices"] == []


def test_one_invoice_per_number_per_order(emulator, seller_api, form_id):
    first = declare(emulator, seller_api, form_id)
    assert first.status_code == 201
    again = declare(emulator, seller_api, form_id)
    assert again.status_code == 409 and codes(again) == ["CONFLICT"]
    assert [i["id"] for i in listed(emulator, seller_api, form_id)] == [first.json()["id"]]
    # the same number on another order is that order's business
    other = make_offer(emulator, stock=3)
    other_form = emulator.post("purchases", {"offer_id": other})["checkout_form_id"]
    assert declare(emulator, seller_api, other_form).status_code == 201


def test_declaring_the_next_invoice_too_fast_is_429(emulator, seller_api, form_id):
    first = declare(emulator, seller_api, form_id, number="FV/1/12/2026")
    too_fast = declare(emulator, seller_api, form_id, number="FV/2/12/2026")
    assert too_fast.status_code == 429 and too_fast.headers["Retry-After"]
    emulator.clock(METADATA_INTERVAL_SECONDS + 1)
    assert declare(emulator, seller_api, form_id, number="FV/2/12/2026").status_code == 201
    # a file on the previous declaration lets the next one through at once
    assert upload(emulator, seller_api, form_id, first.json()["id"]).status_code == 200


def test_the_file_rules(emulator, seller_api, form_id):
    invoice_id = declare(emulator, seller_api, form_id).json()["id"]
    assert upload(emulator, seller_api, form_id, invoice_id, data=b"").status_code == 422
    assert upload(emulator, seller_api, form_id, invoice_id, data=b"PK\x03\x04 not a pdf").status_code == 422
    too_big = PDF + b"0" * (MAX_FILE_BYTES + 1 - len(PDF))
    assert upload(emulator, seller_api, form_id, invoice_id, data=too_big).status_code == 413
    wrong_type = upload(emulator, seller_api, form_id, invoice_id, content_type="image/png")
    assert wrong_type.status_code == 415
    exactly = PDF + b"0" * (MAX_FILE_BYTES - len(PDF))
    assert upload(emulator, seller_api, form_id, invoice_id, data=exactly).status_code == 200
    twice = upload(emulator, seller_api, form_id, invoice_id)
    assert twice.status_code == 409
    assert emulator.get("state/invoices")["invoices"][0]["file_size"] == MAX_FILE_BYTES


def test_unknown_orders_invoices_and_other_sellers(emulator, seller_api, form_id):
    assert seller_api.get(emulator.url("/order/checkout-forms/not-a-uuid/invoices")).status_code == 404
    assert declare(emulator, seller_api, str(uuid.uuid4())).status_code == 404
    assert upload(emulator, seller_api, form_id, str(uuid.uuid4())).status_code == 404
    emulator.add_seller("inny-sprzedawca")
    other_api = emulator.api(emulator.user_token(login="inny-sprzedawca")["access_token"])
    assert other_api.get(emulator.url(f"/order/checkout-forms/{form_id}/invoices")).status_code == 403
    assert declare(emulator, other_api, form_id).status_code == 403


def test_polish_messages(emulator, form_id):
    api = emulator.api(emulator.user_token()["access_token"], lang="pl-PL")
    resp = declare(emulator, api, form_id, name="faktura.jpg")
    assert resp.json()["errors"][0]["userMessage"] == "Fakturę można dodać tylko jako plik PDF."


def test_a_timed_out_declaration_still_happens(emulator, seller_api, form_id):
    """A delay fault: the client gives up, the emulator still declares the invoice (as Allegro may)."""
    emulator.add_fault(r"/invoices$", method="POST", delay_ms=800, times=1)
    with pytest.raises(requests.Timeout):
        declare_session = emulator.api(emulator.user_token()["access_token"])
        declare_session.post(
            emulator.url(f"/order/checkout-forms/{form_id}/invoices"),
            json={"invoiceNumber": "FV/9/12/2026", "file": {"name": "f.pdf"}},
            headers={"Content-Type": PUBLIC},
            timeout=0.3,
        )
    emulator.add_fault(r"/invoices$", method="GET", status=503, times=1)
    assert seller_api.get(emulator.url(f"/order/checkout-forms/{form_id}/invoices")).status_code == 503
    deadline = time.monotonic() + 5
    while not emulator.get("state/invoices")["invoices"] and time.monotonic() < deadline:
        time.sleep(0.05)
    (found,) = listed(emulator, seller_api, form_id)
    assert found["invoiceNumber"] == "FV/9/12/2026"
