"""What the panel reads back from Allegro about offers, parsed leniently at the edge."""

from decimal import Decimal

from allegro.integration.schemas.offers import parse_offer, parse_offer_events, parse_offer_page


def test_a_product_offer_reads_its_parts():
    offer = parse_offer(
        {
            "id": "7712345678",
            "name": "Smartfon Xiaomi 14 256 GB",
            "sellingMode": {"format": "BUY_NOW", "price": {"amount": "1299.00", "currency": "PLN"}},
            "stock": {"available": 4, "unit": "UNIT"},
            "publication": {"status": "ACTIVE", "republish": False},
            "external": {"id": "SKU-1"},
            "validation": {"errors": [], "warnings": [], "validatedAt": "2026-01-01T10:00:00Z"},
            "somethingNew": {"nested": True},
        }
    )
    assert offer.id == "7712345678" and offer.name == "Smartfon Xiaomi 14 256 GB"
    assert offer.price == Decimal("1299.00") and offer.available == 4
    assert offer.status == "ACTIVE" and offer.external_id == "SKU-1" and offer.validation_errors == []


def test_missing_null_and_garbled_parts_read_as_none():
    offer = parse_offer(
        {
            "id": 123,
            "sellingMode": {"price": {"amount": "not a number"}},
            "stock": None,
            "publication": "ACTIVE",
            "external": {},
        }
    )
    assert offer.id == "123"
    assert offer.price is None and offer.available is None and offer.status == "" and offer.external_id == ""
    empty = parse_offer(["not", "an", "object"])
    assert empty.id is None and empty.price is None and empty.status == ""


def test_a_draft_keeps_allegros_validation_errors():
    offer = parse_offer(
        {
            "id": "1",
            "publication": {"status": "INACTIVE"},
            "validation": {"errors": [{"code": "X", "message": "m", "userMessage": "Uzupełnij parametr"}, "junk"]},
        }
    )
    assert [(e.code, e.user_message) for e in offer.validation_errors] == [("X", "Uzupełnij parametr")]


def test_a_listing_page_keeps_every_item_for_paging():
    page = parse_offer_page(
        {"offers": [{"id": "1", "stock": {"available": "3"}}, 7, {"name": "no id"}], "totalCount": 12, "count": 3}
    )
    assert [item.id for item in page.items] == ["1", None, None]
    assert page.items[0].available == 3 and page.total_count == 12
    assert parse_offer_page(None).items == [] and parse_offer_page({"offers": None}).items == []


def test_offer_events_carry_ids_and_who_ended():
    events = parse_offer_events(
        [
            {"id": "e-1", "type": "OFFER_ENDED", "offer": {"id": "9", "publication": {"endedBy": "USER"}}},
            {"id": "e-2", "type": "OFFER_STOCK_CHANGED", "offer": {"id": 10}},
            "junk",
        ]
    )
    assert [(e.id, e.type, e.offer_id, e.ended_by) for e in events] == [
        ("e-1", "OFFER_ENDED", "9", "USER"),
        ("e-2", "OFFER_STOCK_CHANGED", "10", ""),
        (None, None, "", ""),
    ]
