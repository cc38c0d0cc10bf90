"""The shipment-management methods of AllegroClient against scripted HTTP (responses): the create command carries the
caller's command id and goes again with the same id after a timeout, statuses are polled until they end, labels come
back as the file itself, and Allegro's nulls are tolerated."""

from __future__ import annotations

import io
import json

import pytest
import requests  # noqa: TID251 — scripted timeouts and connection errors are requests exceptions
import responses
from fpdf import FPDF
from pypdf import PdfReader

from allegro.integration.client import FILE_MEDIA, PUBLIC_MEDIA, AllegroRetryLater
from allegro.integration.schemas.shipments import (
    Address,
    CommandStatus,
    Dimension,
    PackageRequest,
    ShipmentDetails,
    ShipmentInput,
    Weight,
)
from allegro.shipments.services.shipments import labels_merge
from tests.unit.allegro.integration.test_client import API, make_client

COMMAND = "5f0c6c1e-8d2b-4f5a-9e3c-1a2b3c4d5e6f"
ADDRESS = Address(street="ul. Długa 5", postalCode="00-001", city="Warszawa", email="a@example.com", phone="500")


def _input() -> ShipmentInput:
    return ShipmentInput(
        deliveryMethodId="dm-1",
        sender=ADDRESS,
        receiver=Address(**{**ADDRESS.model_dump(), "point": "WAW01M"}),
        packages=[
            PackageRequest(
                length=Dimension(value=30),
                width=Dimension(value=20),
                height=Dimension(value=10),
                weight=Weight(value=1.5),
            )
        ],
    )


@responses.activate
def test_create_command_sends_the_command_id_and_numbers_and_repeats_it_after_a_timeout():
    client, sleeps = make_client()
    url = f"{API}/shipment-management/shipments/create-commands"
    responses.post(url, body=requests.Timeout())
    responses.post(url, json={"commandId": COMMAND, "input": {}})

    status = client.create_shipment_command(COMMAND, _input())

    assert status.commandId == COMMAND and len(sleeps) == 1
    bodies = [json.loads(call.request.body) for call in responses.calls]
    assert bodies[0] == bodies[1] and bodies[0]["commandId"] == COMMAND
    package = bodies[0]["input"]["packages"][0]
    assert package["weight"] == {"value": 1.5, "unit": "KILOGRAMS"} and package["length"]["value"] == 30
    assert bodies[0]["input"]["receiver"]["point"] == "WAW01M" and "cashOnDelivery" not in bodies[0]["input"]
    assert responses.calls[0].request.headers["Content-Type"] == PUBLIC_MEDIA


@responses.activate
def test_a_create_command_that_never_answers_raises_retry_later():
    client, _ = make_client(max_attempts=2)
    responses.post(f"{API}/shipment-management/shipments/create-commands", body=requests.ConnectionError())
    with pytest.raises(AllegroRetryLater):
        client.create_shipment_command(COMMAND, _input())
    assert len(responses.calls) == 2


@responses.activate
def test_the_status_is_polled_until_the_command_ends():
    client, sleeps = make_client()
    url = f"{API}/shipment-management/shipments/create-commands/{COMMAND}"
    responses.get(url, json={"commandId": COMMAND, "status": "IN_PROGRESS", "errors": [], "shipmentId": None})
    responses.get(url, json={"commandId": COMMAND, "status": "IN_PROGRESS"})
    responses.get(url, json={"commandId": COMMAND, "status": "SUCCESS", "errors": None, "shipmentId": "S1"})

    status = client.wait_for_command(client.get_shipment_command, COMMAND, interval=0.5, max_wait=10)

    assert status.status == "SUCCESS" and status.shipmentId == "S1" and sleeps == [0.5, 0.5]


@responses.activate
def test_waiting_gives_up_with_the_last_in_progress_status():
    client, sleeps = make_client()
    url = f"{API}/shipment-management/shipments/create-commands/{COMMAND}"
    responses.get(url, json={"commandId": COMMAND, "status": "IN_PROGRESS"})
    status = client.wait_for_command(client.get_shipment_command, COMMAND, interval=1, max_wait=2)
    assert not status.finished and sleeps == [1, 1]


def _pdf(pages: int) -> bytes:
    pdf = FPDF()
    for n in range(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.cell(0, 10, f"strona {n}")
    return bytes(pdf.output())


@responses.activate
def test_labels_come_back_as_the_file():
    client, _ = make_client()
    responses.post(f"{API}/shipment-management/label", body=_pdf(2), content_type=FILE_MEDIA)
    data = client.get_shipment_labels(["S1", "S2"])
    assert len(PdfReader(io.BytesIO(data)).pages) == 2
    assert responses.calls[0].request.headers["Accept"] == FILE_MEDIA
    assert json.loads(responses.calls[0].request.body) == {"shipmentIds": ["S1", "S2"], "pageSize": "A6"}


def test_answers_with_nulls_and_unknown_keys_parse():
    status = CommandStatus.model_validate(
        {"commandId": None, "status": "ERROR", "errors": [{"code": "X", "userMessage": None, "message": "m"}], "new": 1}
    )
    assert status.error_text == "m"
    details = ShipmentDetails.model_validate(
        {"id": "S1", "carrier": None, "packages": [{"waybill": "620", "transportingInfo": None}], "canceledDate": None}
    )
    assert details.waybills == ["620"] and details.carrier == "" and details.canceledDate == ""


def test_labels_merge_keeps_every_page_in_order():
    merged = labels_merge(pdfs=[_pdf(1), _pdf(3), _pdf(1)])
    reader = PdfReader(io.BytesIO(merged))
    assert len(reader.pages) == 5
    assert "strona 0" in reader.pages[1].extract_text() and "strona 2" in reader.pages[3].extract_text()
