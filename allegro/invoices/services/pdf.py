"""The PDF of a VAT invoice issued in the panel (fpdf2).

The document is in Polish whatever the staff member's language: it is the buyer's tax document, not a
page of the panel. The font is DejaVu Sans Condensed shipped beside this room (``fonts/``), so Polish
letters print the same on every machine."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

from allegro.invoices.services.amounts import InvoiceLine, amount_in_words, invoice_totals, money

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
FONT = "DejaVu"


def _amount(value: Decimal) -> str:
    return f"{money(value):,.2f}".replace(",", " ").replace(".", ",")


def _party_lines(party: dict) -> list[str]:
    lines = [party.get("name") or "", party.get("person") or ""]
    if party.get("nip"):
        lines.append(f"NIP: {party['nip']}")
    lines.append(party.get("street") or "")
    lines.append(" ".join(filter(None, (party.get("post_code"), party.get("city")))))
    if party.get("country_code") and party.get("country_code") != "PL":
        lines.append(party["country_code"])
    return [line for line in lines if line]


def invoice_pdf_render(
    *,
    number: str,
    issued_on,
    sold_on,
    seller: dict,
    buyer: dict,
    lines: list[InvoiceLine],
    currency: str = "PLN",
    payment: str = "",
    paid: bool = False,
    order_reference: str = "",
) -> bytes:
    """The invoice as PDF bytes: parties, lines, the net/VAT/gross summary per rate, the total in words."""
    totals = invoice_totals(lines=lines)
    pdf = FPDF(format="A4")
    pdf.set_title(f"Faktura VAT {number}")
    pdf.set_creator("selly_allegro")
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSansCondensed.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSansCondensed-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font(FONT, "B", 16)
    pdf.cell(width, 9, f"Faktura VAT nr {number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    place = seller.get("place_of_issue") or seller.get("city") or ""
    pdf.cell(
        width,
        5,
        f"Data wystawienia: {issued_on:%d.%m.%Y}" + (f", {place}" if place else ""),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(width, 5, f"Data sprzedaży: {sold_on:%d.%m.%Y}", new_x="LMARGIN", new_y="NEXT")
    if order_reference:
        pdf.cell(width, 5, f"Zamówienie: {order_reference}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    top = pdf.get_y()
    half = width / 2
    for column, (title, party) in enumerate((("Sprzedawca", seller), ("Nabywca", buyer))):
        pdf.set_xy(pdf.l_margin + column * half, top)
        pdf.set_font(FONT, "B", 10)
        pdf.cell(half - 4, 6, title, new_x="LEFT", new_y="NEXT")
        pdf.set_font(FONT, "", 9)
        for text in _party_lines(party):
            pdf.multi_cell(half - 4, 5, text, new_x="LEFT", new_y="NEXT")
        if column == 0:
            left_bottom = pdf.get_y()
    pdf.set_y(max(pdf.get_y(), left_bottom) + 4)

    headers = ("Lp.", "Nazwa towaru lub usługi", "Ilość", "J.m.", "Cena brutto", "VAT", "Netto", "Kwota VAT", "Brutto")
    fixed = (8, 62, 12, 10, 20, 11, 20, 18)  # the last column (gross) takes what is left of the page
    widths = (*fixed, width - sum(fixed))
    pdf.set_font(FONT, "B", 8)
    with pdf.table(
        col_widths=widths,
        text_align=("RIGHT", "LEFT", "RIGHT", "CENTER", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=5,
        first_row_as_headings=True,
    ) as table:
        table.row(headers)
        for position, line in enumerate(lines, start=1):
            table.row(
                (
                    str(position),
                    line.name,
                    str(line.quantity),
                    "szt.",
                    _amount(line.unit_gross),
                    f"{line.vat_rate}%",
                    _amount(line.net),
                    _amount(line.vat),
                    _amount(line.gross),
                )
            )
    pdf.ln(4)

    pdf.set_font(FONT, "B", 9)
    pdf.cell(width, 6, "Podsumowanie według stawek VAT", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    summary_widths = (30, 35, 35, 35)
    with pdf.table(
        col_widths=summary_widths, width=sum(summary_widths), align="LEFT", line_height=5, text_align="RIGHT"
    ) as table:
        table.row(("Stawka VAT", "Netto", "Kwota VAT", "Brutto"))
        for rate in totals.rates:
            table.row((f"{rate.vat_rate}%", _amount(rate.net), _amount(rate.vat), _amount(rate.gross)))
        table.row(("Razem", _amount(totals.net), _amount(totals.vat), _amount(totals.gross)))
    pdf.ln(4)

    pdf.set_font(FONT, "B", 11)
    pdf.cell(width, 7, f"Razem do zapłaty: {_amount(totals.gross)} {currency}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    pdf.cell(width, 5, f"Słownie: {amount_in_words(totals.gross, currency)}", new_x="LMARGIN", new_y="NEXT")
    if payment:
        pdf.cell(
            width, 5, f"Sposób zapłaty: {payment}" + (" (zapłacono)" if paid else ""), new_x="LMARGIN", new_y="NEXT"
        )
    if seller.get("bank_account"):
        pdf.cell(width, 5, f"Rachunek bankowy: {seller['bank_account']}", new_x="LMARGIN", new_y="NEXT")
    if seller.get("issued_by"):
        pdf.ln(6)
        pdf.cell(width, 5, f"Wystawił(a): {seller['issued_by']}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
