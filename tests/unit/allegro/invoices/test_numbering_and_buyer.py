"""Invoice numbering per month (a rolled-back invoice gives its number back) and the buyer's invoice data read
from a checkout form whose ``invoice`` part may be missing, null, a company or a private person."""

from datetime import date

import pytest
from django.db import transaction

from allegro.checkouts.models import AllegroCheckout
from allegro.invoices.selectors import buyer_invoice_data
from allegro.invoices.services.numbering import invoice_number_next


@pytest.mark.django_db
def test_numbers_count_per_month_and_a_rollback_leaves_no_gap():
    with transaction.atomic():
        assert invoice_number_next(issued_on=date(2026, 12, 3)) == "FV/1/12/2026"
        assert invoice_number_next(issued_on=date(2026, 12, 31)) == "FV/2/12/2026"
        assert invoice_number_next(issued_on=date(2027, 1, 1)) == "FV/1/01/2027"
    with pytest.raises(RuntimeError, match="abandoned"):
        with transaction.atomic():
            assert invoice_number_next(issued_on=date(2026, 12, 4)) == "FV/3/12/2026"
            raise RuntimeError("invoice abandoned")
    with transaction.atomic():
        assert invoice_number_next(issued_on=date(2026, 12, 5)) == "FV/3/12/2026"


@pytest.mark.django_db(transaction=True)
def test_a_number_is_taken_only_inside_the_invoices_transaction():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        invoice_number_next(issued_on=date(2026, 12, 3))


BUYER = {
    "login": "kupujacy",
    "firstName": "Anna",
    "lastName": "Wiśniewska",
    "companyName": None,
    "address": {"street": "ul. Polna 3", "city": "Gniezno", "postCode": "62-200", "countryCode": "PL"},
}


def _checkout(payload: dict) -> AllegroCheckout:
    return AllegroCheckout(checkout_form_id="x", payload=payload)


def test_a_company_invoice():
    payload = {
        "buyer": BUYER,
        "invoice": {
            "required": True,
            "address": {
                "street": "ul. Źródlana 7",
                "city": "Łódź",
                "zipCode": "90-001",
                "countryCode": "PL",
                "company": {
                    "name": "Żółta Łódź Sp. z o.o.",
                    "ids": [{"type": "PL_NIP", "value": "5260250274"}],
                    "vatPayerStatus": "ACTIVE",
                    "taxId": None,
                },
                "naturalPerson": None,
            },
            "dueDate": None,
        },
    }
    data = buyer_invoice_data(checkout=_checkout(payload))
    assert data.requested and data.name == "Żółta Łódź Sp. z o.o." and data.nip == "5260250274"
    assert (data.street, data.post_code, data.city) == ("ul. Źródlana 7", "90-001", "Łódź")


def test_a_private_person_invoice():
    payload = {
        "buyer": BUYER,
        "invoice": {
            "required": True,
            "address": {
                "street": "ul. Lipowa 1",
                "city": "Kraków",
                "zipCode": "30-001",
                "countryCode": "PL",
                "company": None,
                "naturalPerson": {"firstName": "Jan", "lastName": "Nowak"},
            },
        },
    }
    data = buyer_invoice_data(checkout=_checkout(payload))
    assert data.requested and data.name == "Jan Nowak" and data.nip == "" and data.city == "Kraków"


@pytest.mark.parametrize("invoice", [None, {"required": False}, "garbage"])
def test_no_invoice_requested_falls_back_to_the_buyer(invoice):
    payload = {"buyer": BUYER} if invoice == "garbage" else {"buyer": BUYER, "invoice": invoice}
    if invoice == "garbage":
        payload["invoice"] = {"required": "not a bool", "address": 5}
    data = buyer_invoice_data(checkout=_checkout(payload))
    assert not data.requested
    assert data.name == "Anna Wiśniewska" and data.city == "Gniezno" and data.post_code == "62-200"


def test_an_empty_payload_reads_as_nothing_requested():
    assert buyer_invoice_data(checkout=_checkout({})) == buyer_invoice_data(checkout=_checkout({"invoice": None}))
