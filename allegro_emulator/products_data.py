"""The finite product catalogue behind `/sale/products` (a seeded, deterministic list).

Allegro's catalogue is huge and untidy: one GTIN may name several products (colour variants that share a
code, duplicates; Allegro's answers in its API forum say so) and most shops have EANs it never heard of. The
emulator's catalogue is small and has all three cases on purpose:

- `DEMO_PRODUCTS`: products of the shop's demo catalogue (`manage.py seed_demo`) with their EANs. In each
  category below, the demo's first three products are in the catalogue once, the fourth twice (an ambiguous
  GTIN: the product and its "zestaw" variant), and the other four are unknown; demo products of the
  remaining shop categories (pots, knives, tents, puzzles, ...) are unknown altogether.
- kettles in Czajniki elektryczne (300407) with GTINs `KETTLE_GTINS` (one product each) and
  `KETTLE_SHARED_GTIN` (two colour variants), used by the panel's tests.
- a few products of each category with GTINs the shop does not have, for search by phrase.

Each product carries its category's product parameters (`describesProduct`) with valid values, the GTIN in
`EAN (GTIN)` (225693) and an MPN in `Kod producenta` (224017).
"""

from __future__ import annotations

import hashlib
import uuid

# (shop SKU, Allegro leaf, name, brand, model, EAN): the EANs `manage.py seed_demo` gives these products
DEMO_PRODUCTS = [
    ("DEMO-01-001", "165", "Smartfon Samsung A15 128 GB", "Samsung", "A15", "5900944822469"),
    ("DEMO-01-002", "165", "Smartfon Xiaomi Redmi 13 128 GB", "Xiaomi", "Redmi 13", "5901270230973"),
    ("DEMO-01-003", "165", "Smartfon Motorola G54 128 GB", "Motorola", "G54", "5900789847085"),
    ("DEMO-01-004", "165", "Smartfon Nokia X30 128 GB", "Nokia", "X30", "5902642468277"),
    ("DEMO-02-001", "85166", "Słuchawki bezprzewodowe JBL WH-CH520", "JBL", "WH-CH520", "5904070449262"),
    ("DEMO-02-002", "85166", "Słuchawki bezprzewodowe Sony Life Q30", "Sony", "Life Q30", "5907906125293"),
    ("DEMO-02-003", "85166", "Słuchawki bezprzewodowe Soundcore TAH4205", "Soundcore", "TAH4205", "5907778874626"),
    ("DEMO-02-004", "85166", "Słuchawki bezprzewodowe Philips Tune 520BT", "Philips", "Tune 520BT", "5908433871127"),
    ("DEMO-03-001", "300603", "Powerbank Baseus PowerCore 20000 mAh", "Baseus", "PowerCore", "5904167070331"),
    ("DEMO-03-002", "300603", "Powerbank Xiaomi PowerPlay 20000 mAh", "Xiaomi", "PowerPlay", "5908408910172"),
    ("DEMO-03-003", "300603", "Powerbank Anker Bipow 20000 mAh", "Anker", "Bipow", "5902111012680"),
    ("DEMO-03-004", "300603", "Powerbank Green Cell Mi 3 20000 mAh", "Green Cell", "Mi 3", "5902364701331"),
    ("DEMO-04-001", "300208", 'Laptop Lenovo Vivobook 15 15,6" 16 GB RAM', "Lenovo", "Vivobook 15", "5900604935010"),
    ("DEMO-04-002", "300208", 'Laptop Dell IdeaPad 3 15,6" 16 GB RAM', "Dell", "IdeaPad 3", "5906326215836"),
    ("DEMO-04-003", "300208", 'Laptop HP Inspiron 15 15,6" 16 GB RAM', "HP", "Inspiron 15", "5900764939248"),
    ("DEMO-04-004", "300208", 'Laptop Asus 250 G9 15,6" 16 GB RAM', "Asus", "250 G9", "5904150222822"),
    ("DEMO-05-001", "4575", "Mysz bezprzewodowa Logitech M185", "Logitech", "M185", "5901899285989"),
    ("DEMO-05-002", "4575", "Mysz bezprzewodowa Genesis Zircon 330", "Genesis", "Zircon 330", "5909262990348"),
    ("DEMO-05-003", "4575", "Mysz bezprzewodowa Razer Basilisk X", "Razer", "Basilisk X", "5905896096531"),
    ("DEMO-05-004", "4575", "Mysz bezprzewodowa SteelSeries Rival 3", "SteelSeries", "Rival 3", "5907741068199"),
    ("DEMO-06-001", "300204", 'Monitor LG S2721H 27" IPS', "LG", "S2721H", "5902318842066"),
    ("DEMO-06-002", "300204", 'Monitor Dell ProLite XU2793 27" IPS', "Dell", "ProLite XU2793", "5902040637572"),
    ("DEMO-06-003", "300204", 'Monitor iiyama 27B2H 27" IPS', "iiyama", "27B2H", "5903943219865"),
    ("DEMO-06-004", "300204", 'Monitor AOC 27MP400 27" IPS', "AOC", "27MP400", "5904887379417"),
    ("DEMO-07-001", "300202", "Klawiatura mechaniczna Genesis GK650K", "Genesis", "GK650K", "5905576844803"),
    (
        "DEMO-07-002",
        "300202",
        "Klawiatura mechaniczna Logitech Kumara K552",
        "Logitech",
        "Kumara K552",
        "5902006983965",
    ),
    ("DEMO-07-003", "300202", "Klawiatura mechaniczna SPC Gear Thor 303", "SPC Gear", "Thor 303", "5905455960938"),
    ("DEMO-07-004", "300202", "Klawiatura mechaniczna Redragon G413", "Redragon", "G413", "5907931001272"),
    ("DEMO-09-001", "300104", "Obiektyw Canon RF 50 mm f/1.8", "Canon", "RF 50 mm f/1.8", "5904808454384"),
    ("DEMO-09-002", "300104", "Obiektyw Sigma 30 mm f/1.4 DC", "Sigma", "30 mm f/1.4 DC", "5908852869545"),
    ("DEMO-09-003", "300104", "Obiektyw Tamron 17-70 mm", "Tamron", "17-70 mm", "5902052136025"),
    ("DEMO-09-004", "300104", "Obiektyw Samyang AF 35 mm", "Samyang", "AF 35 mm", "5905815701393"),
    ("DEMO-10-001", "300107", "Statyw fotograficzny Manfrotto TSL08", "Manfrotto", "TSL08", "5907646973437"),
    ("DEMO-10-002", "300107", "Statyw fotograficzny Benro C5i", "Benro", "C5i", "5901266292848"),
    ("DEMO-10-003", "300107", "Statyw fotograficzny Rollei Star 75", "Rollei", "Star 75", "5906833890434"),
    ("DEMO-10-004", "300107", "Statyw fotograficzny Hama Compact Action", "Hama", "Compact Action", "5905007223825"),
    ("DEMO-13-001", "300408", "Ekspres do kawy De'Longhi Magnifica S", "De'Longhi", "Magnifica S", "5905229387244"),
    ("DEMO-13-002", "300408", "Ekspres do kawy Philips EP2220", "Philips", "EP2220", "5902603593574"),
    ("DEMO-13-003", "300408", "Ekspres do kawy Krups Arabica", "Krups", "Arabica", "5905933160539"),
    ("DEMO-13-004", "300408", "Ekspres do kawy Siemens EQ.300", "Siemens", "EQ.300", "5904091448947"),
    ("DEMO-14-001", "260556", "Grill węglowy Weber Triton", "Weber", "Triton", "5909148402088"),
    ("DEMO-14-002", "260556", "Grill węglowy Landmann Kugel", "Landmann", "Kugel", "5909417413500"),
    ("DEMO-14-003", "260556", "Grill węglowy Activa MG911", "Activa", "MG911", "5900811700210"),
    ("DEMO-14-004", "260556", "Grill węglowy Master Grill Compact 57", "Master Grill", "Compact 57", "5907221641492"),
    ("DEMO-19-001", "301002", 'Rower górski Kross Big.Nine 60 29"', "Kross", "Big.Nine 60", "5908642807566"),
    ("DEMO-19-002", "301002", 'Rower górski Romet Talon 3 29"', "Romet", "Talon 3", "5907286209064"),
    ("DEMO-19-003", "301002", 'Rower górski Merida Hexagon 6.0 29"', "Merida", "Hexagon 6.0", "5906319548330"),
    ("DEMO-19-004", "301002", 'Rower górski Giant Rambler R9 29"', "Giant", "Rambler R9", "5909234951391"),
    ("DEMO-24-001", "300802", "Klocki LEGO Technic Auto", "LEGO", "Technic Auto", "5901834541958"),
    ("DEMO-24-002", "300802", "Klocki Cobi City Posterunek", "Cobi", "City Posterunek", "5908526145692"),
    ("DEMO-24-003", "300802", "Klocki Mega Bloks Titanic 1916", "Mega Bloks", "Titanic 1916", "5903694767523"),
    ("DEMO-24-004", "300802", "Klocki Cada Farma", "Cada", "Farma", "5900027111190"),
]
AMBIGUOUS_SUFFIX = " (zestaw)"
EXAMPLE_GTIN = "5901234123457"
KETTLE_CATEGORY = "300407"
EXTRA = {  # leaf -> (brand, model) of products the shop does not sell
    "165": [("Apple", "iPhone 15"), ("Google", "Pixel 8")],
    "85166": [("Sony", "WH-1000XM5"), ("JBL", "Tune 520BT")],
    "300208": [("Lenovo", "ThinkPad E14"), ("Dell", "Latitude 5440")],
    "4575": [("Logitech", "MX Master 3S"), ("Razer", "DeathAdder V3")],
    "300204": [("Dell", "P2723QE"), ("LG", "27UP850")],
    "300802": [("LEGO", "Technic 42151"), ("Cobi", "Titanic 1929")],
    "301002": [("Kross", "Hexagon 5.0"), ("Romet", "Rambler R9.2")],
    "260556": [("Weber", "Spirit E-325"), ("Campingaz", "Attitude 2100")],
    "300408": [("Philips", "EP2231"), ("Xiaomi", "Mi Capsule")],
}
KETTLE_NAMES = [
    ("Bosch", "TWK3A011"), ("Philips", "HD9318"), ("Tefal", "KI150D"), ("Zelmer", "ZCK7921"),
    ("Russell Hobbs", "26300-70"), ("Electrolux", "E7K1-6BP"),
]  # fmt: skip


def gtin13(body12: str) -> str:
    """A 13-digit GTIN with its check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


KETTLE_GTINS = [gtin13(f"590777{n:06d}") for n in range(1, len(KETTLE_NAMES) + 1)]
KETTLE_SHARED_GTIN = gtin13("590777999999")  # two kettles, a colour variant sharing the code


def product_id(key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"allegro-emulator-product:{key}"))


def _pick(key: str, n: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % max(n, 1)


def _value(p: dict, key: str, *, brand: str, model: str, gtin: str) -> dict | None:
    """A valid product-parameter value of definition `p` (None: leave the parameter out)."""
    name = p["name"]
    item = {"id": p["id"], "name": name, "options": {"identifiesProduct": False, "isGTIN": False}}
    if p["id"] == "225693":
        item.update(values=[gtin], options={"identifiesProduct": True, "isGTIN": True})
        return item
    if p["id"] == "224017":
        item.update(values=[model.upper().replace(" ", "-")], options={"identifiesProduct": True, "isGTIN": False})
        return item
    kind = p["type"]
    r = p.get("restrictions") or {}
    if kind == "dictionary":
        entries = [e for e in p.get("dictionary") or [] if not e.get("dependsOnValueIds")]
        if not entries:
            return None
        chosen = (
            next((e for e in entries if e["value"].lower() == brand.lower()), None) if p["id"] == "248811" else None
        )
        if chosen is None and p["id"] == "248811":
            return None  # a brand this category's dictionary lacks
        chosen = chosen or entries[_pick(key + name, len(entries))]
        item.update(valuesIds=[chosen["id"]], valuesLabels=[chosen["value"]])
        return item
    if kind in ("integer", "float"):
        lo, hi = float(r.get("min", 1)), float(r.get("max", 100))
        number = lo + (hi - lo) * (1 + _pick(key + name, 8)) / 20
        text = str(int(number)) if kind == "integer" else f"{number:.{min(int(r.get('precision', 1)), 2)}f}"
        if r.get("range"):
            item["rangeValue"] = {"from": text, "to": text}
        else:
            item["values"] = [text]
        if p.get("unit"):
            item["unit"] = p["unit"]
        return item
    if kind == "string":
        text = model if name.lower().startswith("model") else f"{brand} {model}"[: int(r.get("maxLength", 50))]
        item["values"] = [text]
        return item
    return None


def _product(key: str, leaf: str, name: str, brand: str, model: str, gtin: str, params: list[dict]) -> dict:
    values = []
    for p in params:
        if not (p.get("options") or {}).get("describesProduct") or p.get("requiredIf") or p.get("displayedIf"):
            continue
        v = _value(p, key, brand=brand, model=model, gtin=gtin)
        if v is not None:
            values.append(v)
    digest = hashlib.sha256(key.encode()).hexdigest()
    return {
        "id": product_id(key),
        "name": name,
        "category": {"id": leaf},
        "images": [{"url": f"https://a.allegroimg.com/original/11{digest[:4]}/{digest[4:32]}"}],
        "parameters": values,
        "gtins": [gtin],
        "mpn": model.upper().replace(" ", "-"),
    }


def build(params_by_leaf: dict[str, list[dict]]) -> list[dict]:
    """Every catalogue product, in a fixed order (ids and values are the same on every reset)."""
    out: list[dict] = []
    for sku, leaf, name, brand, model, ean in DEMO_PRODUCTS:
        params = params_by_leaf.get(leaf) or []
        out.append(_product(sku, leaf, name, brand, model, ean, params))
        if sku.endswith("-004"):  # the fourth of each category: a second product under the same GTIN
            out.append(_product(sku + "/2", leaf, name + AMBIGUOUS_SUFFIX, brand, model + " Set", ean, params))
    # GS1 Poland's example number, which the tests use for "a camera with a known EAN"
    out.append(
        _product(
            "camera-example",
            "257933",
            "Aparat cyfrowy Canon EOS R50",
            "Canon",
            "EOS R50",
            EXAMPLE_GTIN,
            params_by_leaf["257933"],
        )
    )
    for i, ((brand, model), gtin) in enumerate(zip(KETTLE_NAMES, KETTLE_GTINS, strict=True)):
        name = f"Czajnik elektryczny {brand} {model}"
        out.append(_product(f"kettle-{i}", KETTLE_CATEGORY, name, brand, model, gtin, params_by_leaf[KETTLE_CATEGORY]))
    for colour in ("biały", "czarny"):
        name = f"Czajnik elektryczny Tefal Loft KO250 {colour}"
        out.append(
            _product(
                f"kettle-shared-{colour}",
                KETTLE_CATEGORY,
                name,
                "Tefal",
                f"KO250-{colour}",
                KETTLE_SHARED_GTIN,
                params_by_leaf[KETTLE_CATEGORY],
            )
        )
    for leaf, items in EXTRA.items():
        for j, (brand, model) in enumerate(items):
            gtin = gtin13(f"400{int(leaf) % 100000:05d}{j:04d}")
            out.append(
                _product(f"extra-{leaf}-{j}", leaf, f"{brand} {model}", brand, model, gtin, params_by_leaf[leaf])
            )
    return out
