"""The emulator's category tree and parameters: real Allegro data from fixtures/ plus plausible Polish
lower levels (invented category ids 300000+, invented parameter ids 400000+)."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
ELEKTRONIKA = "42540aec-367a-4e5e-b411-17c09b08e41f"
OPTS = {
    "advertisement": False,
    "offersWithProductPublicationEnabled": True,
    "productCreationEnabled": True,
    "sellerCanRequirePurchaseComments": False,
}

# (id, name, children | params-kind). A str second element on a leaf names its parameter template.
TREE: dict[str, list] = {
    "8845": [  # Fotografia
        (
            "300101",
            "Aparaty fotograficzne",
            [("257933", "Aparaty cyfrowe", "camera"), ("300102", "Aparaty analogowe", "generic")],
        ),
        ("300103", "Obiektywy", [("300104", "Do lustrzanek", "lens"), ("300105", "Do bezlusterkowców", "lens")]),
        ("300106", "Akcesoria fotograficzne", [("300107", "Statywy", "tripod"), ("300108", "Karty pamięci", "memory")]),
    ],
    "2": [  # Komputery
        ("300201", "Myszy i klawiatury", [("4575", "Myszy", "mouse"), ("300202", "Klawiatury", "keyboard")]),
        (
            "300203",
            "Monitory",
            [("300204", "Monitory LCD", "monitor"), ("260041", "Akcesoria do monitorów", "generic")],
        ),
        (
            "300205",
            "Drukarki i skanery",
            [("300206", "Drukarki", "generic"), ("260338", "Materiały eksploatacyjne", "generic")],
        ),
        (
            "300207",
            "Laptopy i akcesoria",
            [("300208", "Laptopy", "laptop"), ("19357", "Zasilacze do laptopów", "charger")],
        ),
    ],
    "122233": [  # Konsole i automaty
        ("300301", "Konsole", [("146562", "PlayStation 4", "console"), ("300302", "Nintendo Switch", "console")]),
        ("300303", "Gry", [("300304", "Gry PC", "game"), ("300305", "Gry PlayStation", "game")]),
    ],
    "10": [  # RTV i AGD
        (
            "300401",
            "Sprzęt audio przenośny",
            [
                (
                    "66887",
                    "Słuchawki",
                    [("85166", "Bezprzewodowe", "headphones"), ("300402", "Przewodowe", "headphones")],
                )
            ],
        ),
        (
            "300403",
            "Telewizory i akcesoria",
            [("300404", "Telewizory", "tv"), ("300405", "Uchwyty do telewizorów", "generic")],
        ),
        (
            "300406",
            "AGD drobne",
            [("300407", "Czajniki elektryczne", "kettle"), ("300408", "Ekspresy do kawy", "generic")],
        ),
    ],
    "122332": [
        (
            "300501",
            "Mikrofony",
            [("300502", "Mikrofony dynamiczne", "generic"), ("300503", "Mikrofony pojemnościowe", "generic")],
        )
    ],
    "4": [
        ("165", "Smartfony i telefony komórkowe", "phone"),
        (
            "300601",
            "Akcesoria GSM",
            [("300602", "Etui", "case"), ("300603", "Ładowarki", "charger"), ("300604", "Szkła ochronne", "generic")],
        ),
    ],
    "5": [
        (
            "300701",
            "Ogród",
            [
                (
                    "300702",
                    "Grille i akcesoria",
                    [("260556", "Grille", "grill"), ("300703", "Akcesoria do grilla", "generic")],
                )
            ],
        ),
        ("300704", "Wyposażenie", [("300705", "Pościel", "bedding"), ("300706", "Zasłony i firany", "generic")]),
    ],
    "11763": [("300801", "Zabawki", [("300802", "Klocki", "toy"), ("300803", "Lalki", "toy")])],
    "ea5b98dd-4b6f-4bd0-8c80-22c2629132d0": [
        ("300901", "Odzież męska", [("300902", "Koszulki", "clothes"), ("300903", "Bluzy", "clothes")])
    ],
    "3919": [
        (
            "301001",
            "Rowery i akcesoria",
            [("301002", "Rowery górskie", "bike"), ("301003", "Kaski rowerowe", "generic")],
        )
    ],
    "258832": [("301101", "Kawa", [("301102", "Kawa ziarnista", "coffee"), ("301103", "Kawa mielona", "coffee")])],
    "1429": [("301201", "Perfumy", [("301202", "Perfumy damskie", "generic")])],
    "121882": [("301301", "Suplementy diety", [("301302", "Witaminy", "generic")])],
    "3": [
        (
            "301401",
            "Części samochodowe",
            [("301402", "Wycieraczki", "generic"), ("301403", "Żarówki samochodowe", "generic")],
        )
    ],
    "KULTURA": [("301501", "Książki", [("301502", "Kryminał, sensacja", "book"), ("301503", "Fantastyka", "book")])],
    "KOLEKCJE": [("301601", "Monety", [("301602", "Monety polskie", "generic")])],
    "FIRMA": [("301701", "Biuro", [("301702", "Papier do drukarek", "generic")])],
    "20782": [("301801", "Mieszkania", [("301802", "Mieszkania na sprzedaż", "generic")])],
}
ADVERTISEMENT_LEAVES = {"301802"}


def _load(name: str):
    with open(FIXTURES / name, encoding="utf-8") as fh:
        return json.load(fh)


_camera = {p["id"]: p for p in _load("parameters-257933.json")["parameters"]}
_dims = {entry["categoryId"]: entry["parameters"] for entry in _load("parameters-6-categories-dimensions-only.json")}
_next_pid = [400000]
_pid_cache: dict[str, str] = {}


def _pid(name: str) -> str:
    if name not in _pid_cache:
        _next_pid[0] += 1
        _pid_cache[name] = str(_next_pid[0])
    return _pid_cache[name]


def _base(pid, name, ptype, required, product, unit=None):
    return {
        "id": pid,
        "name": name,
        "type": ptype,
        "required": required,
        "requiredForProduct": required and product,
        "requiredIf": None,
        "displayedIf": None,
        "unit": unit,
        "options": {
            "ambiguousValueId": None,
            "dependsOnParameterId": None,
            "describesProduct": product,
            "customValuesEnabled": False,
        },
    }


def dictionary(name, values, *, required=False, product=True, multi=False, pid=None):
    pid = pid or _pid(name)
    p = _base(pid, name, "dictionary", required, product)
    p["dictionary"] = [{"id": f"{pid}_{i + 1}", "value": v, "dependsOnValueIds": []} for i, v in enumerate(values)]
    p["restrictions"] = {"multipleChoices": multi}
    return p


def integer(name, lo, hi, *, unit=None, required=False, product=True, rng=False):
    p = _base(_pid(name), name, "integer", required, product, unit)
    p["restrictions"] = {"min": lo, "max": hi, "range": rng}
    return p


def floating(name, lo, hi, precision, *, unit=None, required=False, product=True, rng=False):
    p = _base(_pid(name), name, "float", required, product, unit)
    p["restrictions"] = {"min": lo, "max": hi, "range": rng, "precision": precision}
    return p


def string(name, lo, hi, *, n=1, required=False, product=True):
    p = _base(_pid(name), name, "string", required, product)
    p["restrictions"] = {"minLength": lo, "maxLength": hi, "allowedNumberOfValues": n}
    return p


def _brand(values):
    """`Marka` (248811) limited to brands that fit the category, with the real value ids where they exist."""
    real = {d["value"]: d["id"] for d in _camera["248811"]["dictionary"]}
    p = json.loads(json.dumps(_camera["248811"]))
    p["dictionary"] = [
        {"id": real.get(v, f"248811_{900000 + i}"), "value": v, "dependsOnValueIds": []} for i, v in enumerate(values)
    ]
    return p


def _only_when(params: list[dict], name: str, *, parent: str, values: list[str]) -> list[dict]:
    """Make ``name`` shown and required only when ``parent`` has one of ``values`` (Allegro's
    ``displayedIf`` / ``requiredIf``, in the shape the API documents)."""
    by_name = {p["name"]: p for p in params}
    source = by_name[parent]
    ids = [e["id"] for e in source["dictionary"] if e["value"] in values]
    condition = {"parametersWithValue": [{"id": source["id"], "oneOfValueIds": ids}]}
    by_name[name]["requiredIf"] = {**condition, "parametersWithoutValue": []}
    by_name[name]["displayedIf"] = condition
    return params


STAN = _camera["11323"]  # real "Stan" (condition), offer-level
STAN_OPAKOWANIA = _camera["229205"]  # real, depends on Stan
EAN = _camera["225693"]
KOD = _camera["224017"]
COLORS = ["czarny", "biały", "szary", "srebrny", "niebieski", "czerwony", "zielony", "różowy", "złoty", "wielokolorowy"]

TEMPLATES = {
    "headphones": lambda: [
        _brand(["Sony", "JBL", "Apple", "Samsung", "Sennheiser", "Xiaomi", "Bose", "Marshall"]),
        string("Model", 1, 50, required=True),
        dictionary("Typ słuchawek", ["douszne", "dokanałowe", "nauszne", "wokółuszne"], required=True),
        dictionary("Łączność", ["Bluetooth", "radiowa", "przewodowa", "USB-C"], multi=True),
        integer("Czas pracy na baterii", 0, 200, unit="h"),
        integer("Pasmo przenoszenia", 1, 100000, unit="Hz", rng=True),
        dictionary("Kolor", COLORS),
    ],
    "phone": lambda: [
        _brand(["Apple", "Samsung", "Xiaomi", "Motorola", "Nokia", "OnePlus", "Google"]),
        string("Model telefonu", 1, 50, required=True),
        dictionary("Pamięć wbudowana", ["32 GB", "64 GB", "128 GB", "256 GB", "512 GB", "1 TB"], required=True),
        dictionary("Pamięć RAM", ["2 GB", "3 GB", "4 GB", "6 GB", "8 GB", "12 GB", "16 GB"]),
        floating("Przekątna ekranu", 1, 10, 2, unit='"'),
        dictionary("Kolor", COLORS),
        dictionary("Typ karty SIM", ["Nano SIM", "eSIM", "Nano SIM + eSIM", "Dual SIM"], multi=True),
    ],
    "book": lambda: [
        string("Tytuł", 1, 100, required=True),
        string("Autor", 1, 100, n=5, required=True),
        string("Wydawnictwo", 1, 100),
        integer("Rok wydania", 1800, 2030),
        integer("Liczba stron", 1, 5000, unit="szt."),
        dictionary("Okładka", ["miękka", "twarda", "miękka ze skrzydełkami"], required=True),
        dictionary("Język publikacji", ["polski", "angielski", "niemiecki"]),
    ],
    "coffee": lambda: [
        _brand(["Lavazza", "Jacobs", "Tchibo", "Segafredo", "Woseba", "Kimbo"]),
        dictionary("Rodzaj", ["arabica", "robusta", "arabica z robustą"], required=True),
        floating("Waga", 0.05, 10, 3, unit="kg", required=True),
        dictionary("Stopień palenia", ["jasny", "średni", "ciemny"]),
        string("Kraj pochodzenia", 1, 40, n=3),
    ],
    "clothes": lambda: [
        _brand(["Nike", "Adidas", "Puma", "Reserved", "4F", "House"]),
        dictionary("Rozmiar", ["XS", "S", "M", "L", "XL", "XXL", "3XL"], required=True, product=False),
        dictionary("Kolor", COLORS, required=True),
        dictionary("Materiał dominujący", ["bawełna", "poliester", "wiskoza", "len", "wełna"]),
        dictionary("Rękaw", ["krótki", "długi", "bez rękawów"]),
    ],
    "bike": lambda: [
        _brand(["Kross", "Romet", "Merida", "Giant", "Trek", "Cube"]),
        floating("Rozmiar koła", 12, 29, 1, unit='"', required=True),
        integer("Rozmiar ramy", 12, 24, unit='"'),
        dictionary("Materiał ramy", ["aluminium", "stal", "karbon"]),
        integer("Liczba biegów", 1, 36),
        floating("Wzrost rowerzysty", 100, 210, 0, unit="cm", rng=True),
    ],
    "tv": lambda: [
        _brand(["Samsung", "LG", "Sony", "Philips", "TCL", "Hisense"]),
        integer("Przekątna ekranu", 19, 100, unit='"', required=True),
        dictionary("Rozdzielczość", ["HD", "Full HD", "4K UHD", "8K"], required=True),
        dictionary("Smart TV", ["tak", "nie"]),
        dictionary("Klasa energetyczna", ["A", "B", "C", "D", "E", "F", "G"], required=True),
    ],
    "laptop": lambda: [
        _brand(["Lenovo", "Dell", "HP", "Asus", "Acer", "Apple", "MSI"]),
        string("Model", 1, 50, required=True),
        floating("Przekątna ekranu", 10, 20, 1, unit='"', required=True),
        dictionary("Pamięć RAM", ["4 GB", "8 GB", "16 GB", "32 GB", "64 GB"], required=True),
        integer("Pojemność dysku", 64, 8192, unit="GB"),
        dictionary("System operacyjny", ["Windows 11 Home", "Windows 11 Pro", "macOS", "Linux", "brak systemu"]),
    ],
    "kettle": lambda: [
        _brand(["Bosch", "Philips", "Tefal", "Zelmer", "Russell Hobbs", "Electrolux"]),
        floating("Pojemność", 0.3, 5, 1, unit="l", required=True),
        integer("Moc", 500, 3500, unit="W"),
        dictionary("Materiał wykonania", ["stal nierdzewna", "tworzywo sztuczne", "szkło"], multi=True),
    ],
    "toy": lambda: [
        _brand(["LEGO", "Cobi", "Mattel", "Hasbro", "Playmobil"]),
        integer("Wiek dziecka", 0, 18, unit="lat", rng=True, required=True),
        integer("Liczba elementów", 1, 20000, unit="szt."),
        string("Numer zestawu", 1, 20),
    ],
    "grill": lambda: _only_when(
        [
            _brand(["Weber", "Landmann", "Char-Broil", "Campingaz", "Activa"]),
            dictionary("Rodzaj grilla", ["węglowy", "gazowy", "elektryczny"], required=True),
            floating("Powierzchnia grillowania", 0.01, 5, 2, unit="m²"),
            dictionary("Rodzaj gazu", ["propan-butan", "gaz ziemny"], product=False),
        ],
        "Rodzaj gazu",
        parent="Rodzaj grilla",
        values=["gazowy"],
    ),
    "bedding": lambda: [
        dictionary("Rozmiar", ["140x200", "160x200", "200x220", "220x200"], required=True),
        dictionary("Materiał", ["bawełna", "satyna bawełniana", "kora", "mikrofibra", "len"]),
        dictionary("Kolor", COLORS),
    ],
    "game": lambda: [
        string("Tytuł", 1, 100, required=True),
        dictionary("Wersja językowa", ["polska", "angielska", "polskie napisy"], required=True),
        dictionary("Gatunek", ["akcji", "RPG", "strategiczne", "sportowe", "wyścigi", "przygodowe"], multi=True),
        dictionary("PEGI", ["3", "7", "12", "16", "18"]),
        dictionary("Wydanie", ["pudełkowe", "klucz cyfrowy"], product=False),
    ],
    "console": lambda: [
        _brand(["Sony", "Nintendo", "Microsoft"]),
        dictionary("Pojemność dysku", ["32 GB", "64 GB", "500 GB", "1 TB", "2 TB"], required=True),
        integer("Liczba padów w zestawie", 0, 4, unit="szt."),
    ],
    "mouse": lambda: [
        _brand(["Logitech", "Razer", "SteelSeries", "Genesis", "Microsoft"]),
        dictionary("Łączność", ["przewodowa", "bezprzewodowa", "Bluetooth"], required=True, multi=True),
        integer("Rozdzielczość", 100, 30000, unit="dpi"),
        integer("Liczba przycisków", 2, 20),
    ],
    "keyboard": lambda: [
        _brand(["Logitech", "Razer", "SteelSeries", "Genesis", "Microsoft"]),
        dictionary("Układ klawiatury", ["US (międzynarodowy)", "PL (programisty)", "DE"], required=True),
        dictionary("Typ klawiatury", ["mechaniczna", "membranowa", "nożycowa"]),
    ],
    "monitor": lambda: [
        _brand(["Dell", "LG", "Samsung", "AOC", "Iiyama", "BenQ"]),
        floating("Przekątna ekranu", 15, 57, 1, unit='"', required=True),
        integer("Częstotliwość odświeżania", 50, 500, unit="Hz"),
        dictionary("Matryca", ["IPS", "VA", "TN", "OLED"]),
    ],
    "lens": lambda: [
        _brand(["Canon", "Nikon", "Sony", "Sigma", "Tamron", "Fujifilm"]),
        floating("Ogniskowa", 4, 1200, 0, unit="mm", rng=True, required=True),
        floating("Jasność", 0.95, 32, 1),
        dictionary("Mocowanie", ["Canon EF", "Canon RF", "Nikon F", "Nikon Z", "Sony E", "Fujifilm X"], required=True),
    ],
    "tripod": lambda: [
        _brand(["Manfrotto", "Benro", "Velbon", "Joby"]),
        floating("Maksymalna wysokość", 10, 300, 1, unit="cm"),
        floating("Maksymalne obciążenie", 0.1, 50, 1, unit="kg"),
    ],
    "memory": lambda: [
        _brand(["SanDisk", "Kingston", "Samsung", "Lexar", "Goodram"]),
        dictionary(
            "Typ karty", ["SD", "SDHC", "SDXC", "microSD", "microSDHC", "microSDXC", "CFexpress"], required=True
        ),
        integer("Pojemność", 1, 2048, unit="GB", required=True),
    ],
    "case": lambda: [
        string("Model telefonu", 1, 50, n=10, required=True),
        dictionary("Rodzaj", ["plecki", "z klapką", "bumper", "pancerne"]),
        dictionary("Kolor", COLORS),
    ],
    "charger": lambda: [
        _brand(["Samsung", "Apple", "Anker", "Baseus", "Ugreen", "Green Cell"]),
        integer("Moc", 5, 300, unit="W", required=True),
        dictionary("Złącza", ["USB-A", "USB-C", "Lightning", "micro USB", "DC"], multi=True),
    ],
    "generic": lambda: [
        _brand(["Bosch", "Philips", "Samsung", "Xiaomi", "inna marka"]),
        string("Model", 1, 50),
        dictionary("Kolor", COLORS),
    ],
}


def _leaf_parameters(cat_id: str, template: str) -> list[dict]:
    if template == "camera":
        return _load("parameters-257933.json")["parameters"]  # the real, complete response
    params = [STAN, STAN_OPAKOWANIA] + TEMPLATES[template]()
    if template not in ("book", "game", "bedding", "case"):
        params += [EAN, KOD]
    elif template in ("book", "game"):
        params += [EAN]
    return params + _dims.get(cat_id, [])


def build() -> tuple[list[dict], dict[str, list[dict]]]:
    """(categories in tree order with `path`, parameters per leaf id)."""
    roots, elektronika = _load("categories-root-and-elektronika.json")
    cats: list[dict] = []
    params: dict[str, list[dict]] = {}
    by_name = {c["name"]: c["id"] for c in roots["categories"]}
    aliases = {
        "KULTURA": by_name.get("Kultura i rozrywka"),
        "KOLEKCJE": by_name.get("Kolekcje i sztuka"),
        "FIRMA": by_name.get("Firma i usługi"),
    }
    tree = {aliases.get(k, k): v for k, v in TREE.items()}
    for c in roots["categories"]:
        cats.append({**c, "path": c["name"]})
    for c in elektronika["categories"]:
        cats.append({**c, "path": f"Elektronika > {c['name']}"})
    paths = {c["id"]: c["path"] for c in cats}

    def add(parent_id: str, children: list) -> None:
        for cid, name, rest in children:
            leaf = not isinstance(rest, list)
            options = dict(OPTS, advertisement=cid in ADVERTISEMENT_LEAVES)
            path = f"{paths[parent_id]} > {name}"
            paths[cid] = path
            cats.append(
                {"id": cid, "name": name, "parent": {"id": parent_id}, "leaf": leaf, "options": options, "path": path}
            )
            if leaf:
                params[cid] = _leaf_parameters(cid, rest)
            else:
                add(cid, rest)

    for parent_id, children in tree.items():
        add(parent_id, children)
    return cats, params


COD_WORDS = ("pobranie",)


def delivery_methods() -> list[dict]:
    """The CSV's real ids and names, with the response-only fields shaped per the spec."""
    out = []
    with open(FIXTURES / "delivery-methods.from-allegro-announcements.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = row["name"].strip()
            cod = any(w in name.lower() for w in COD_WORDS)
            letter = "list" in name.lower()
            locker = any(w in name.lower() for w in ("paczkomat", "automat", "box", "punkt"))
            out.append(
                {
                    "id": row["id"],
                    "name": name,
                    "marketplaces": ["allegro-pl"],
                    "paymentPolicy": "CASH_ON_DELIVERY" if cod else "IN_ADVANCE",
                    "allegroEndorsed": name.startswith("Allegro"),
                    "dispatchCountry": None,
                    "destinationCountry": "PL",
                    "shippingRatesConstraints": {
                        "allowed": True,
                        "maxQuantityPerPackage": {"max": 10 if locker else 999999},
                        "maxPackageWeight": {
                            "supported": True,
                            "min": "0.001",
                            "max": "2.000" if letter else ("25.000" if locker else "31.500"),
                            "unit": "KILOGRAM",
                        },
                        "firstItemRate": {
                            "min": "0.00",
                            "max": "1000.00" if not letter else "100.00",
                            "currency": "PLN",
                        },
                        "nextItemRate": {"min": "0.00", "max": "1000.00", "currency": "PLN"},
                        "shippingTime": {
                            "default": {"from": "PT24H", "to": "PT48H" if not letter else "PT72H"},
                            "customizable": not name.startswith("Allegro"),
                        },
                    },
                }
            )
    return out


def carriers() -> list[tuple[str, str]]:
    out = []
    with open(FIXTURES / "carriers.from-allegro-announcements.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["status"].startswith("removed"):
                continue
            out.append(
                (
                    row["id"],
                    row["name"]
                    or {"DPD": "DPD", "OTHER": "Inny przewoźnik"}.get(row["id"], row["id"].replace("_", " ").title()),
                )
            )
    return out


def demo_uuid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"allegro-emulator:{name}"))


def leaves_of_template(template: str) -> frozenset[str]:
    """Ids of the leaves whose parameters come from `template` (e.g. "generic", the catch-all leaves)."""
    found: set[str] = set()

    def walk(children: list) -> None:
        for cid, _name, rest in children:
            if isinstance(rest, list):
                walk(rest)
            elif rest == template:
                found.add(cid)

    for children in TREE.values():
        walk(children)
    return frozenset(found)
