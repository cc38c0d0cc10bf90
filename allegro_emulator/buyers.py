"""Generated Allegro buyers: Polish names and addresses, masked allegromail relay e-mails, returning buyers.

`get_or_create(conn, spec)` is called inside a `db.tx()`; `spec` is the optional `buyer` object of
`POST /_emulator/purchases` (`login`, `email`, `firstName`, `lastName`, `id`, `companyName`, `phoneNumber`,
`address`, `guest`). A known `login` (or `id`) returns the stored buyer, so tests can model returning customers.
"""

from __future__ import annotations

import random
import secrets
import unicodedata

from . import clock, db

FIRST_NAMES_M = (
    "Jan Piotr Krzysztof Andrzej Tomasz Paweł Michał Marcin Grzegorz Łukasz Adam Mateusz Jakub Kamil Wojciech "
    "Rafał Dariusz Zbigniew Jerzy Maciej Szymon Bartłomiej Sebastian Przemysław Mariusz Dawid Ryszard Wiesław"
).split()
FIRST_NAMES_F = (
    "Anna Maria Katarzyna Małgorzata Agnieszka Barbara Ewa Krystyna Magdalena Elżbieta Joanna Aleksandra Monika "
    "Zofia Teresa Danuta Natalia Karolina Marta Beata Dorota Justyna Paulina Weronika Julia Żaneta Grażyna Iwona"
).split()
# (masculine, feminine)
LAST_NAMES = [
    ("Nowak", "Nowak"),
    ("Kowalski", "Kowalska"),
    ("Wiśniewski", "Wiśniewska"),
    ("Wójcik", "Wójcik"),
    ("Kowalczyk", "Kowalczyk"),
    ("Kamiński", "Kamińska"),
    ("Lewandowski", "Lewandowska"),
    ("Zieliński", "Zielińska"),
    ("Szymański", "Szymańska"),
    ("Woźniak", "Woźniak"),
    ("Dąbrowski", "Dąbrowska"),
    ("Kozłowski", "Kozłowska"),
    ("Jankowski", "Jankowska"),
    ("Mazur", "Mazur"),
    ("Kwiatkowski", "Kwiatkowska"),
    ("Krawczyk", "Krawczyk"),
    ("Piotrowski", "Piotrowska"),
    ("Grabowski", "Grabowska"),
    ("Nowakowski", "Nowakowska"),
    ("Pawłowski", "Pawłowska"),
    ("Michalski", "Michalska"),
    ("Król", "Król"),
    ("Wieczorek", "Wieczorek"),
    ("Jabłoński", "Jabłońska"),
    ("Wróbel", "Wróbel"),
    ("Majewski", "Majewska"),
    ("Olszewski", "Olszewska"),
    ("Stępień", "Stępień"),
    ("Żak", "Żak"),
    ("Górski", "Górska"),
]
# (city, postcode prefix)
CITIES = [
    ("Warszawa", "00"),
    ("Kraków", "30"),
    ("Łódź", "90"),
    ("Wrocław", "50"),
    ("Poznań", "60"),
    ("Gdańsk", "80"),
    ("Szczecin", "70"),
    ("Bydgoszcz", "85"),
    ("Lublin", "20"),
    ("Białystok", "15"),
    ("Katowice", "40"),
    ("Gdynia", "81"),
    ("Częstochowa", "42"),
    ("Radom", "26"),
    ("Toruń", "87"),
    ("Rzeszów", "35"),
    ("Kielce", "25"),
    ("Olsztyn", "10"),
    ("Opole", "45"),
    ("Zielona Góra", "65"),
    ("Żyrardów", "96"),
    ("Nowy Sącz", "33"),
]
STREETS = (
    "Marszałkowska|Długa|Krótka|Polna|Leśna|Słoneczna|Ogrodowa|Lipowa|Brzozowa|Kwiatowa|Szkolna|Kościuszki|"
    "Mickiewicza|Sienkiewicza|Żeromskiego|Piłsudskiego|Jana Pawła II|3 Maja|Wojska Polskiego|Źródlana|"
    "Łąkowa|Świętokrzyska|Grunwaldzka|Kolejowa|Rynek"
).split("|")
COMPANY_WORDS = "Handel Usługi Trans Bud Tech Serwis Meble Ogród Elektro Instal Medi Agro".split()
COMPANY_FORMS = ("Sp. z o.o.", "s.c.", "S.A.", "Sp. j.", "")

_rng = random.Random()


def _ascii(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and c.isalnum()).lower()


def relay_email(login: str) -> str:
    """Allegro's masked relay address, e.g. `abc123+1a2b3c@allegromail.pl`."""
    local = (_ascii(login) or "buyer")[:12]
    return f"{local}+{secrets.token_hex(3)}@allegromail.pl"


def nip() -> str:
    """A random Polish NIP with a valid checksum."""
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    while True:
        digits = [_rng.randint(1, 9)] + [_rng.randint(0, 9) for _ in range(8)]
        check = sum(w * d for w, d in zip(weights, digits, strict=True)) % 11
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def phone() -> str:
    return f"+48 {_rng.choice('5678')}{_rng.randint(10, 99)} {_rng.randint(100, 999)} {_rng.randint(100, 999)}"


def address() -> dict:
    """`{street, city, postCode, countryCode}` (the buyer-address shape)."""
    city, prefix = _rng.choice(CITIES)
    street = f"ul. {_rng.choice(STREETS)} {_rng.randint(1, 140)}"
    if _rng.random() < 0.5:
        street += f"/{_rng.randint(1, 60)}"
    return {"street": street, "city": city, "postCode": f"{prefix}-{_rng.randint(0, 999):03d}", "countryCode": "PL"}


def company_name(last_name: str) -> str:
    return " ".join(p for p in (f"{_rng.choice(COMPANY_WORDS)}-{last_name}", _rng.choice(COMPANY_FORMS)) if p)


def person() -> tuple[str, str]:
    if _rng.random() < 0.5:
        return _rng.choice(FIRST_NAMES_M), _rng.choice(LAST_NAMES)[0]
    return _rng.choice(FIRST_NAMES_F), _rng.choice(LAST_NAMES)[1]


def _next_id(conn) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = 'buyer_seq'").fetchone()
    value = int(row["value"]) + 1 if row else 98000001
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('buyer_seq', ?)", (str(value),))
    return str(value)


def generate(conn, spec: dict | None = None) -> dict:
    spec = spec or {}
    first, last = person()
    first = spec.get("firstName") or first
    last = spec.get("lastName") or last
    login = spec.get("login") or f"{_ascii(first)[:6]}_{_ascii(last)[:8]}{_rng.randint(1, 9999)}"
    buyer = {
        "id": str(spec.get("id") or _next_id(conn)),
        "email": spec.get("email") or relay_email(login),
        "login": login,
        "firstName": first,
        "lastName": last,
        "companyName": spec.get("companyName"),
        "guest": bool(spec.get("guest", False)),
        "phoneNumber": spec.get("phoneNumber") or phone(),
        "preferences": {"language": "pl-PL"},
        "address": spec.get("address") or address(),
    }
    return {k: v for k, v in buyer.items() if v is not None}


def get_or_create(conn, spec: dict | None = None) -> dict:
    """A stored buyer for `spec.login`/`spec.id`, or a new generated one (stored). Call inside db.tx()."""
    spec = spec or {}
    row = None
    if spec.get("login"):
        row = conn.execute("SELECT data FROM buyers WHERE login = ?", (spec["login"],)).fetchone()
    if row is None and spec.get("id"):
        row = conn.execute("SELECT data FROM buyers WHERE id = ?", (str(spec["id"]),)).fetchone()
    if row is not None:
        return db.loads(row["data"])
    for _ in range(5):
        buyer = generate(conn, spec)
        if not conn.execute("SELECT 1 FROM buyers WHERE login = ? OR id = ?", (buyer["login"], buyer["id"])).fetchone():
            break
        spec = {k: v for k, v in spec.items() if k not in ("login", "id")}
    conn.execute(
        "INSERT INTO buyers(id, login, data, created_at) VALUES (?,?,?,?)",
        (buyer["id"], buyer["login"], db.dumps(buyer), clock.iso()),
    )
    return buyer
