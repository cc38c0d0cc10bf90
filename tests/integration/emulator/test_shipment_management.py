"""Shipment management ("Wysyłam z Allegro") in the emulator: services from the catalogue, asynchronous create and
cancel commands (a repeated command id is the same command), PDF labels with one page per parcel, protocols,
pickup proposals and pickups. Every answer is checked against Allegro's spec by the `api()` session."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

COURIER = "5d9c7838-e05f-4dec-afdd-58e884170ba7"  # Allegro Kurier24 InPost
LOCKER = "2488f7b7-5d1c-4d65-b85c-4cbcf253fd93"  # Allegro Paczkomaty InPost
COD_COURIER = "85c3ad2f-4ec1-446c-866e-63473ed10e26"  # Allegro Kurier24 InPost pobranie
OCTET = "application/octet-stream"

ADDRESS = {
    "name": "Sklep Testowy",
    "street": "ul. Długa 5",
    "postalCode": "00-001",
    "city": "Warszawa",
    "countryCode": "PL",
    "email": "sklep@example.com",
    "phone": "500600700",
}
RECEIVER = {**ADDRESS, "name": "Jan Kowalski", "street": "ul. Krótka 1", "city": "Łódź", "postalCode": "90-001"}


def _package(weight: float = 2.0) -> dict:
    return {
        "type": "PACKAGE",
        "length": {"value": 30, "unit": "CENTIMETER"},
        "width": {"value": 20, "unit": "CENTIMETER"},
        "height": {"value": 10, "unit": "CENTIMETER"},
        "weight": {"value": weight, "unit": "KILOGRAMS"},
    }


def _input(method: str = COURIER, **extra) -> dict:
    return {"deliveryMethodId": method, "sender": ADDRESS, "receiver": RECEIVER, "packages": [_package()], **extra}


@pytest.fixture
def api(emulator):
    emulator.post("shipment-management/settings", {"command_seconds": 0.2})
    session = emulator.api(emulator.user_token()["access_token"])
    session.headers["Content-Type"] = "application/vnd.allegro.public.v1+json"
    return session


def _create(emulator, api, body: dict) -> dict:
    resp = api.post(emulator.url("/shipment-management/shipments/create-commands"), json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _wait(emulator, api, path: str) -> dict:
    import time

    for _ in range(50):
        doc = api.get(emulator.url(path)).json()
        if doc["status"] != "IN_PROGRESS":
            return doc
        time.sleep(0.1)
    raise AssertionError(f"{path} stayed IN_PROGRESS")


def _created(emulator, api, inp: dict, command_id: str | None = None) -> dict:
    body = {"input": inp} | ({"commandId": command_id} if command_id else {})
    command = _create(emulator, api, body)
    return _wait(emulator, api, f"/shipment-management/shipments/create-commands/{command['commandId']}")


def test_delivery_services_come_from_the_catalogue(emulator, api):
    services = api.get(emulator.url("/shipment-management/delivery-services")).json()["services"]
    by_method = {s["id"]["deliveryMethodId"]: s for s in services}
    assert by_method[LOCKER]["carrierId"] == "INPOST" and by_method[LOCKER]["owner"] == "ALLEGRO"
    assert "cashOnDelivery" in by_method[COD_COURIER] and "cashOnDelivery" not in by_method[COURIER]
    assert "1fa56f79-4b6a-4821-a6f2-ca9c16d5c925" not in by_method  # "Inny sposób dostawy" has no carrier


def test_create_command_is_in_progress_then_succeeds_with_a_shipment(emulator, api):
    emulator.post("shipment-management/settings", {"command_seconds": 30})
    command = _create(emulator, api, {"commandId": "6b1f6c8e-0d7e-4a55-9a0e-6f0a3c4a1b10", "input": _input()})
    assert command["commandId"] == "6b1f6c8e-0d7e-4a55-9a0e-6f0a3c4a1b10" and command["input"]["deliveryMethodId"]
    path = f"/shipment-management/shipments/create-commands/{command['commandId']}"
    first = api.get(emulator.url(path))
    assert first.json()["status"] == "IN_PROGRESS" and "shipmentId" not in first.json()
    assert first.headers["Retry-After"] == "1"
    emulator.clock(31)
    done = api.get(emulator.url(path)).json()
    assert done["status"] == "SUCCESS" and done["errors"] == []
    shipment = api.get(emulator.url(f"/shipment-management/shipments/{done['shipmentId']}")).json()
    assert shipment["carrier"] == "INPOST" and shipment["packages"][0]["waybill"].startswith("62")
    assert shipment["receiver"]["city"] == "Łódź" and "canceledDate" not in shipment


def test_a_repeated_command_id_is_the_same_command(emulator, api):
    first = _created(emulator, api, _input(), "0e5d2c7a-3b3f-4c11-8d5e-2b6a7c8d9e01")
    again = _create(emulator, api, {"commandId": "0e5d2c7a-3b3f-4c11-8d5e-2b6a7c8d9e01", "input": _input(LOCKER)})
    assert again["input"]["deliveryMethodId"] == COURIER  # the first command's input, not the second body's
    status = _wait(emulator, api, "/shipment-management/shipments/create-commands/0e5d2c7a-3b3f-4c11-8d5e-2b6a7c8d9e01")
    assert status["shipmentId"] == first["shipmentId"]
    assert len(emulator.get("state/shipments")["shipments"]) == 1


def test_rule_breaks_end_the_command_in_error(emulator, api):
    locker = _created(emulator, api, _input(LOCKER))
    assert locker["status"] == "ERROR" and locker["errors"][0]["path"] == "input.receiver.point"
    assert locker["errors"][0]["userMessage"]
    heavy = _created(emulator, api, _input(packages=[_package(weight=40)]))
    assert heavy["status"] == "ERROR" and heavy["errors"][0]["path"] == "input.packages[0].weight.value"
    cod = _created(emulator, api, _input(cashOnDelivery={"amount": "10.00", "currency": "PLN"}))
    assert cod["status"] == "ERROR" and cod["errors"][0]["path"] == "input.cashOnDelivery"
    unknown = _created(emulator, api, _input("00000000-0000-0000-0000-000000000000"))
    assert unknown["errors"][0]["code"] == "DELIVERY_SERVICE_NOT_FOUND"
    assert emulator.get("state/shipments")["shipments"] == []
    ok = _created(emulator, api, _input(LOCKER, receiver={**RECEIVER, "point": "WAW01M"}))
    assert ok["status"] == "SUCCESS"


def test_a_body_that_breaks_the_spec_is_refused_at_once(emulator, api):
    resp = api.post(emulator.url("/shipment-management/shipments/create-commands"), json={"input": {"sender": 5}})
    assert resp.status_code == 400 and resp.json()["errors"]
    missing = api.post(emulator.url("/shipment-management/shipments/create-commands"), json={"commandId": "x"})
    assert missing.status_code == 400 and missing.json()["errors"][0]["path"] == "input"


def test_label_has_one_page_per_parcel_and_protocol_lists_them(emulator, api):
    one = _created(emulator, api, _input())["shipmentId"]
    two = _created(emulator, api, _input(packages=[_package(), _package(3)]))["shipmentId"]
    api.headers["Accept"] = OCTET
    resp = api.post(emulator.url("/shipment-management/label"), json={"shipmentIds": [one, two], "pageSize": "A6"})
    assert resp.status_code == 200 and resp.headers["Content-Type"] == OCTET
    reader = PdfReader(io.BytesIO(resp.content))
    assert len(reader.pages) == 3
    waybill = api.get(
        emulator.url(f"/shipment-management/shipments/{one}"),
        headers={"Accept": "application/vnd.allegro.public.v1+json"},
    ).json()["packages"][0]["waybill"]
    assert waybill in reader.pages[0].extract_text()
    protocol = api.post(emulator.url("/shipment-management/protocol"), json={"shipmentIds": [one, two]})
    assert protocol.status_code == 200 and waybill in PdfReader(io.BytesIO(protocol.content)).pages[0].extract_text()
    missing = api.post(emulator.url("/shipment-management/label"), json={"shipmentIds": ["nie-ma"]})
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "NOT_FOUND"


def test_cancel_before_pickup_and_not_twice(emulator, api):
    shipment_id = _created(emulator, api, _input())["shipmentId"]
    resp = api.post(
        emulator.url("/shipment-management/shipments/cancel-commands"), json={"input": {"shipmentId": shipment_id}}
    )
    command_id = resp.json()["commandId"]
    done = _wait(emulator, api, f"/shipment-management/shipments/cancel-commands/{command_id}")
    assert done["status"] == "SUCCESS" and done["shipmentId"] == shipment_id
    assert "canceledDate" in api.get(emulator.url(f"/shipment-management/shipments/{shipment_id}")).json()
    again = api.post(
        emulator.url("/shipment-management/shipments/cancel-commands"), json={"input": {"shipmentId": shipment_id}}
    ).json()
    refused = _wait(emulator, api, f"/shipment-management/shipments/cancel-commands/{again['commandId']}")
    assert refused["status"] == "ERROR"
    api.headers["Accept"] = OCTET
    assert api.post(emulator.url("/shipment-management/label"), json={"shipmentIds": [shipment_id]}).status_code == 400


def test_pickup_from_a_proposal_then_no_cancel_after_the_courier_came(emulator, api):
    shipment_id = _created(emulator, api, _input())["shipmentId"]
    proposals = api.post(
        emulator.url("/shipment-management/pickup-proposals"), json={"shipmentIds": [shipment_id], "address": ADDRESS}
    ).json()
    times = proposals[0]["proposals"][0]["pickupTimes"]
    assert len(times) == 3
    day = times[0]["date"]
    command = api.post(
        emulator.url("/shipment-management/pickups/create-commands"),
        json={
            "input": {
                "shipmentIds": [shipment_id],
                "pickupDateProposalId": day,
                "pickupTime": times[0],
                "address": ADDRESS,
            }
        },
    ).json()
    done = _wait(emulator, api, f"/shipment-management/pickups/create-commands/{command['commandId']}")
    assert done["status"] == "SUCCESS" and done["carrierPickupId"]
    pickup = api.get(emulator.url(f"/shipment-management/pickups/{done['pickupId']}")).json()
    assert pickup["shipmentIds"] == [shipment_id] and len(pickup["waybills"]) == 1
    emulator.clock(5 * 24 * 3600)  # the pickup day has passed: the courier took the parcel
    api.headers["Authorization"] = f"Bearer {emulator.user_token()['access_token']}"  # the old token expired
    cancel = api.post(
        emulator.url("/shipment-management/shipments/cancel-commands"), json={"input": {"shipmentId": shipment_id}}
    ).json()
    assert (
        _wait(emulator, api, f"/shipment-management/shipments/cancel-commands/{cancel['commandId']}")["status"]
        == "ERROR"
    )


def test_a_bad_pickup_date_ends_in_error(emulator, api):
    shipment_id = _created(emulator, api, _input())["shipmentId"]
    command = api.post(
        emulator.url("/shipment-management/pickups/create-commands"),
        json={"input": {"shipmentIds": [shipment_id], "pickupDateProposalId": "2001-01-01", "address": ADDRESS}},
    ).json()
    done = _wait(emulator, api, f"/shipment-management/pickups/create-commands/{command['commandId']}")
    assert done["status"] == "ERROR" and done["errors"][0]["path"] == "input.pickupDateProposalId"


def test_another_sellers_shipment_is_not_found(emulator, api):
    shipment_id = _created(emulator, api, _input())["shipmentId"]
    emulator.add_seller("inny-sprzedawca")
    other = emulator.api(emulator.user_token("inny-sprzedawca")["access_token"])
    assert other.get(emulator.url(f"/shipment-management/shipments/{shipment_id}")).status_code == 404
