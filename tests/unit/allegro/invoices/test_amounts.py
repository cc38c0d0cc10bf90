"""The money of an invoice: net and VAT from gross prices per rate in Decimal, and the amount in words."""

from decimal import Decimal

import pytest

from allegro.invoices.services.amounts import InvoiceLine, amount_in_words, invoice_totals, number_in_words


def test_totals_per_rate_from_gross_prices():
    lines = [
        InvoiceLine("Czajnik", 2, Decimal("123.00"), 23),
        InvoiceLine("Książka", 1, Decimal("49.99"), 5),
        InvoiceLine("Dostawa", 1, Decimal("12.99"), 23),
    ]
    totals = invoice_totals(lines=lines)
    assert [(r.vat_rate, r.net, r.vat, r.gross) for r in totals.rates] == [
        (23, Decimal("210.56"), Decimal("48.43"), Decimal("258.99")),
        (5, Decimal("47.61"), Decimal("2.38"), Decimal("49.99")),
    ]
    assert (totals.net, totals.vat, totals.gross) == (Decimal("258.17"), Decimal("50.81"), Decimal("308.98"))
    assert lines[0].unit_net == Decimal("100.00") and lines[0].vat == Decimal("46.00")


def test_vat_of_a_rate_comes_from_its_gross_sum_not_from_rounded_lines():
    lines = [InvoiceLine(f"Drobiazg {n}", 1, Decimal("0.05"), 23) for n in range(3)]
    assert sum(line.vat for line in lines) == Decimal("0.03")  # 0.01 rounded up three times
    totals = invoice_totals(lines=lines)
    assert (totals.net, totals.vat, totals.gross) == (Decimal("0.12"), Decimal("0.03"), Decimal("0.15"))
    assert totals.net + totals.vat == totals.gross


def test_a_line_round_trips_through_json():
    line = InvoiceLine("Zeszyt", 3, Decimal("4.5"), 8)
    assert InvoiceLine.from_json(line.as_json()) == InvoiceLine("Zeszyt", 3, Decimal("4.50"), 8)


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "zero"),
        (1, "jeden"),
        (12, "dwanaście"),
        (22, "dwadzieścia dwa"),
        (115, "sto piętnaście"),
        (1000, "tysiąc"),
        (2004, "dwa tysiące cztery"),
        (5012, "pięć tysięcy dwanaście"),
        (12_000, "dwanaście tysięcy"),
        (22_000, "dwadzieścia dwa tysiące"),
        (1_234_567, "milion dwieście trzydzieści cztery tysiące pięćset sześćdziesiąt siedem"),
    ],
)
def test_numbers_in_polish_words(number, words):
    assert number_in_words(number) == words


def test_amounts_in_words():
    assert amount_in_words(Decimal("1.00")) == "jeden złoty 00/100"
    assert amount_in_words(Decimal("2.5")) == "dwa złote 50/100"
    assert amount_in_words(Decimal("308.98")) == "trzysta osiem złotych 98/100"
    assert amount_in_words(Decimal("14.01")) == "czternaście złotych 01/100"
    assert amount_in_words(Decimal("3.10"), "EUR") == "trzy EUR 10/100"
