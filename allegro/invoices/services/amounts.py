"""The money of an invoice: lines with their VAT rates, the net/VAT/gross summary per rate, and the
amount in Polish words. Decimal throughout; Allegro's prices are gross, so net and VAT are derived.

VAT of each rate is computed from the sum of that rate's gross values (the sum of the lines' VAT can
differ from it by a grosz, as on any invoice computed from gross prices)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
DEFAULT_VAT_RATE = 23


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def net_of(gross: Decimal, rate: int) -> Decimal:
    return money(Decimal(gross) * 100 / (100 + rate))


@dataclass(frozen=True)
class InvoiceLine:
    name: str
    quantity: int
    unit_gross: Decimal
    vat_rate: int

    @property
    def gross(self) -> Decimal:
        return money(self.unit_gross * self.quantity)

    @property
    def net(self) -> Decimal:
        return net_of(self.gross, self.vat_rate)

    @property
    def vat(self) -> Decimal:
        return self.gross - self.net

    @property
    def unit_net(self) -> Decimal:
        return net_of(self.unit_gross, self.vat_rate)

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "quantity": self.quantity,
            "unit_gross": str(money(self.unit_gross)),
            "vat_rate": self.vat_rate,
        }

    @classmethod
    def from_json(cls, data: dict) -> InvoiceLine:
        return cls(
            name=str(data["name"]),
            quantity=int(data["quantity"]),
            unit_gross=Decimal(str(data["unit_gross"])),
            vat_rate=int(data["vat_rate"]),
        )


@dataclass(frozen=True)
class RateSummary:
    vat_rate: int
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True)
class InvoiceTotals:
    rates: list[RateSummary]
    net: Decimal
    vat: Decimal
    gross: Decimal


def invoice_totals(*, lines: list[InvoiceLine]) -> InvoiceTotals:
    """Net, VAT and gross per VAT rate (highest rate first) and in total."""
    gross_by_rate: dict[int, Decimal] = {}
    for line in lines:
        gross_by_rate[line.vat_rate] = gross_by_rate.get(line.vat_rate, Decimal("0.00")) + line.gross
    rates = []
    for rate in sorted(gross_by_rate, reverse=True):
        gross = gross_by_rate[rate]
        net = net_of(gross, rate)
        rates.append(RateSummary(vat_rate=rate, net=net, vat=gross - net, gross=gross))
    return InvoiceTotals(
        rates=rates,
        net=sum((r.net for r in rates), Decimal("0.00")),
        vat=sum((r.vat for r in rates), Decimal("0.00")),
        gross=sum((r.gross for r in rates), Decimal("0.00")),
    )


# --- the amount in words ("słownie") ----------------------------------------------------------------------

_UNITS = ["", "jeden", "dwa", "trzy", "cztery", "pięć", "sześć", "siedem", "osiem", "dziewięć"]
_TEENS = [
    "dziesięć",
    "jedenaście",
    "dwanaście",
    "trzynaście",
    "czternaście",
    "piętnaście",
    "szesnaście",
    "siedemnaście",
    "osiemnaście",
    "dziewiętnaście",
]
_TENS = [
    "",
    "",
    "dwadzieścia",
    "trzydzieści",
    "czterdzieści",
    "pięćdziesiąt",
    "sześćdziesiąt",
    "siedemdziesiąt",
    "osiemdziesiąt",
    "dziewięćdziesiąt",
]
_HUNDREDS = [
    "",
    "sto",
    "dwieście",
    "trzysta",
    "czterysta",
    "pięćset",
    "sześćset",
    "siedemset",
    "osiemset",
    "dziewięćset",
]
_GROUPS = [("", "", ""), ("tysiąc", "tysiące", "tysięcy"), ("milion", "miliony", "milionów")]


def _plural(n: int, forms: tuple[str, str, str]) -> str:
    """Polish plural: 1 → forms[0], 2–4 (not 12–14) → forms[1], otherwise forms[2]."""
    if n == 1:
        return forms[0]
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return forms[1]
    return forms[2]


def _below_thousand(n: int) -> list[str]:
    words = [_HUNDREDS[n // 100]]
    rest = n % 100
    if 10 <= rest < 20:
        words.append(_TEENS[rest - 10])
    else:
        words += [_TENS[rest // 10], _UNITS[rest % 10]]
    return [w for w in words if w]


def number_in_words(n: int) -> str:
    """A whole number below a billion in Polish words ("sto dwadzieścia trzy")."""
    if n == 0:
        return "zero"
    words: list[str] = []
    for power in range(len(_GROUPS) - 1, -1, -1):
        group = (n // 1000**power) % 1000
        if not group:
            continue
        if power and group == 1:
            words.append(_GROUPS[power][0])
            continue
        words += _below_thousand(group)
        if power:
            words.append(_plural(group, _GROUPS[power]))
    return " ".join(words)


def amount_in_words(amount: Decimal, currency: str = "PLN") -> str:
    """ "sto dwadzieścia trzy złote 45/100" (other currencies: the code instead of złoty)."""
    amount = money(amount)
    whole = int(amount)
    cents = int((amount - whole) * 100)
    unit = _plural(whole, ("złoty", "złote", "złotych")) if currency == "PLN" else currency
    return f"{number_in_words(whole)} {unit} {cents:02d}/100"
