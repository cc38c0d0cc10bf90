"""Category forms: validation against the cached parameters of leaf 257933 (39 real parameters),
product autofill, what became invalid after Allegro changed the parameters, and the form page."""

import copy

import pytest
from django.urls import reverse

from allegro.categories.models import AllegroCategory, CategoryForm, MappingEnvironment, ProductParameters
from allegro.categories.services.categories import category_level_fetch, category_mapping_set, category_parameters_fetch
from allegro.categories.services.category_forms import (
    CategoryFormInvalid,
    category_form_problems_list,
    category_form_save,
    category_product_parameters_build,
    category_values_validate,
    product_parameters_split,
)
from allegro.offers.services.offers import OfferLookups
from tests.emulator_support import PUBLIC
from tests.factories import make_category, make_product

CAMERA = "257933"
STAN, NOWY, UZYWANY = "11323", "11323_1", "11323_2"
STAN_OPAKOWANIA, ORYGINALNE, OTWARTE = "229205", "229205_340245", "229205_340249"
ROZDZIELCZOSC = "38"  # float, required, 0..1000, precision 2, Mpx
MODEL = "237206"  # string, required, 1..50
W_ZESTAWIE, KORPUS = "814", "814_1"
ROZMIAR_MATRYCY, APS_C = "206882", "206882_228774"
JAKOSC_VIDEO, FULL_HD = "206962", "206962_228946"
KOD_PRODUCENTA = "224017"
ISO = "211350"  # integer range
STABILIZACJA = "14349"  # multiple choices
MARKA, EAN = "248811", "225693"
ZALACZONE = "218161"  # string, up to 20 values, max 50


def valid_values() -> list[dict]:
    return [
        {"id": STAN, "valuesIds": [NOWY]},
        {"id": STAN_OPAKOWANIA, "valuesIds": [ORYGINALNE]},
        {"id": MODEL, "values": ["EOS R50"]},
        {"id": ROZDZIELCZOSC, "values": ["24.2"]},
        {"id": W_ZESTAWIE, "valuesIds": [KORPUS]},
        {"id": ROZMIAR_MATRYCY, "valuesIds": [APS_C]},
        {"id": JAKOSC_VIDEO, "valuesIds": [FULL_HD]},
        {"id": KOD_PRODUCENTA, "values": ["5811C002"]},
        {"id": ISO, "rangeValue": {"from": "100", "to": "32000"}},
        {"id": STABILIZACJA, "valuesIds": ["14349_1", "14349_4"]},
    ]


@pytest.fixture
def definitions(emulator, allegro_app):
    category_level_fetch(app=allegro_app)
    return cached_definitions(allegro_app, CAMERA)


def cached_definitions(app, allegro_id: str) -> list[dict]:
    """The category's parameters as the cache keeps Allegro's JSON (fetched first when cold): the tests change
    a definition there the way Allegro might, and the services take the stored JSON as well as the schemas."""
    category_parameters_fetch(app=app, allegro_id=allegro_id)
    return AllegroCategory.objects.filter(allegro_id=allegro_id, parameters__isnull=False).get().parameters


def replaced(values: list[dict], param_id: str, item: dict | None) -> list[dict]:
    out = [v for v in values if v["id"] != param_id]
    return out + ([{"id": param_id, **item}] if item else [])


def test_valid_values_pass_and_are_saved(definitions):
    assert category_values_validate(definitions=definitions, values=valid_values()) == {}
    form = category_form_save(allegro_category_id=CAMERA, definitions=definitions, values=valid_values())
    assert {v["id"] for v in form.values} == {v["id"] for v in valid_values()}


@pytest.mark.parametrize(
    ("param_id", "item", "message"),
    [
        (STAN, None, "Ten parametr jest wymagany."),
        (ROZDZIELCZOSC, {"values": ["1000.5"]}, "Wartość może wynosić najwyżej 1000."),
        (ROZDZIELCZOSC, {"values": ["-1"]}, "Wartość musi wynosić co najmniej 0."),
        (ROZDZIELCZOSC, {"values": ["24.123"]}, "Dozwolone najwyżej 2 cyfry po przecinku."),
        (ROZDZIELCZOSC, {"values": ["dużo"]}, "Wpisz liczbę."),
        (W_ZESTAWIE, {"valuesIds": ["814_999"]}, "Nieznana wartość ze słownika: 814_999."),
        (W_ZESTAWIE, {"valuesIds": ["814_1", "814_2"]}, "Wybierz tylko jedną wartość."),
        (
            STAN_OPAKOWANIA,
            {"valuesIds": [OTWARTE]},
            "Wartość „otwarte” jest niedozwolona, gdy „Stan” ma wartość „Nowy”.",
        ),
        (MODEL, {"values": ["x" * 51]}, "Za długi tekst: najwyżej 50 znaków (jest 51)."),
        (ZALACZONE, {"values": [f"element {n}" for n in range(21)]}, "Najwyżej 20 wartości."),
        (ISO, {"rangeValue": {"from": "6400", "to": "100"}}, "Początek zakresu jest większy niż koniec."),
        (ISO, {"rangeValue": {"from": "100", "to": ""}}, "Podaj oba końce zakresu."),
        ("38", {"values": ["12.5"]}, None),  # sanity: a valid number passes
    ],
)
def test_each_validation_error_has_a_polish_message_and_saves_nothing(definitions, param_id, item, message):
    values = replaced(valid_values(), param_id, item)
    if message is None:
        assert category_values_validate(definitions=definitions, values=values) == {}
        return
    with pytest.raises(CategoryFormInvalid) as invalid:
        category_form_save(allegro_category_id=CAMERA, definitions=definitions, values=values)
    assert message in invalid.value.errors[param_id]
    assert not CategoryForm.objects.exists()


def test_dependent_value_needs_its_parent(definitions):
    values = replaced(valid_values(), STAN, None)
    errors = category_values_validate(definitions=definitions, values=values)
    assert "Najpierw wybierz „Stan”." in errors[STAN_OPAKOWANIA]
    used = replaced(replaced(valid_values(), STAN, {"valuesIds": [UZYWANY]}), STAN_OPAKOWANIA, {"valuesIds": [OTWARTE]})
    assert category_values_validate(definitions=definitions, values=used) == {}


def test_product_attributes_fill_brand_and_ean(definitions, emulator, allegro_app):
    category_form_save(allegro_category_id=CAMERA, definitions=definitions, values=valid_values())
    product = make_product(brand="canon", ean="5901234123457")
    params = category_product_parameters_build(product=product, allegro_category_id=CAMERA)
    by_id = {p["id"]: p for p in params}
    assert by_id[MARKA]["valuesIds"] and by_id[MARKA]["source"] == "product"
    marka = next(d for d in definitions if d["id"] == MARKA)
    assert next(e["value"] for e in marka["dictionary"] if e["id"] == by_id[MARKA]["valuesIds"][0]) == "Canon"
    assert by_id[EAN] == {"id": EAN, "values": ["5901234123457"], "source": "product", "describesProduct": True}
    assert by_id[STAN]["describesProduct"] is False and by_id[STAN]["source"] == "form"
    assert by_id[ROZDZIELCZOSC]["describesProduct"] is True
    product_level, offer_level = product_parameters_split(parameters=params)
    assert {"id": STAN, "valuesIds": [NOWY]} in offer_level
    assert {"id": EAN, "values": ["5901234123457"]} in product_level
    assert all(set(p) <= {"id", "valuesIds", "values", "rangeValue"} for p in product_level + offer_level)

    # A brand Allegro's dictionary does not know, in a parameter without custom values: left to the staff.
    unknown = make_product(brand="Marka Nieznana Sp. z o.o.", ean="")
    params = {p["id"]: p for p in category_product_parameters_build(product=unknown, allegro_category_id=CAMERA)}
    assert MARKA not in params and EAN not in params


def test_brand_becomes_a_custom_value_where_allowed(definitions):
    changed = copy.deepcopy(definitions)
    marka = next(d for d in changed if d["id"] == MARKA)
    marka["options"]["customValuesEnabled"] = True
    AllegroCategory.objects.filter(allegro_id=CAMERA).update(parameters=changed)
    product = make_product(brand="Zupełnie Nowa Marka")
    params = {p["id"]: p for p in category_product_parameters_build(product=product, allegro_category_id=CAMERA)}
    assert params[MARKA]["values"] == ["Zupełnie Nowa Marka"]


def test_invalid_after_allegro_changed_the_parameters(definitions):
    form = category_form_save(allegro_category_id=CAMERA, definitions=definitions, values=valid_values())
    assert category_form_problems_list(form=form, definitions=definitions) == []
    changed = copy.deepcopy(definitions)
    changed = [d for d in changed if d["id"] != KOD_PRODUCENTA]  # parameter removed
    w_zestawie = next(d for d in changed if d["id"] == W_ZESTAWIE)
    w_zestawie["dictionary"] = [e for e in w_zestawie["dictionary"] if e["id"] != KORPUS]  # value removed
    next(d for d in changed if d["id"] == ROZDZIELCZOSC)["restrictions"]["max"] = 20  # tighter limit
    AllegroCategory.objects.filter(allegro_id=CAMERA).update(parameters=changed)

    problems = {p["id"]: p for p in category_form_problems_list(form=form, definitions=changed)}
    assert problems[KOD_PRODUCENTA]["messages"] == ["Allegro nie ma już tego parametru w tej kategorii."]
    assert problems[W_ZESTAWIE]["messages"] == [f"Nieznana wartość ze słownika: {KORPUS}."]
    assert problems[ROZDZIELCZOSC]["messages"] == ["Wartość może wynosić najwyżej 20."]
    assert problems[ROZDZIELCZOSC]["name"] == "Rozdzielczość"
    # The product gets only what is still valid.
    params = {p["id"] for p in category_product_parameters_build(product=make_product(), allegro_category_id=CAMERA)}
    assert {KOD_PRODUCENTA, W_ZESTAWIE, ROZDZIELCZOSC}.isdisjoint(params) and STAN in params


# --- the pages --------------------------------------------------------------------------------------------------


def post_data(values: list[dict]) -> dict:
    data: dict[str, list[str] | str] = {}
    for item in values:
        name = f"param-{item['id']}"
        if "valuesIds" in item:
            data[name] = item["valuesIds"]
        elif "rangeValue" in item:
            data[f"{name}-from"] = item["rangeValue"]["from"]
            data[f"{name}-to"] = item["rangeValue"]["to"]
        else:
            data[name] = item["values"]
    return data


@pytest.mark.slow
def test_form_page_costs_one_call_cold_none_warm_and_validates(
    emulator, staff_client, allegro_app, django_assert_max_num_queries
):
    category_level_fetch(app=allegro_app)
    shop = make_category("Aparaty")
    category_mapping_set(
        category=shop, environment=MappingEnvironment.CUSTOM, allegro_category_id=CAMERA, app=allegro_app
    )
    listing = staff_client.get(reverse("admin:allegro_categoryform_changelist"), {"env": "custom"})
    assert "Aparaty cyfrowe" in listing.content.decode()

    url = reverse("admin:allegro_categoryform_edit", args=[CAMERA]) + "?env=custom"
    since = emulator.requests()[-1]["seq"]
    page = staff_client.get(url)
    assert page.status_code == 200
    calls = [r for r in emulator.requests(since) if not r["path"].startswith("/auth/")]
    assert [c["path"] for c in calls] == [f"/sale/categories/{CAMERA}/parameters"]
    html = page.content.decode()
    assert 'class="required-star"' in html and "Stan opakowania" in html
    assert 'data-depends-on="id-param-11323"' in html

    since = emulator.requests()[-1]["seq"]
    with django_assert_max_num_queries(12):
        staff_client.get(url)
    assert emulator.requests(since) == []

    # The form holds the offers' shared values only (the product's own are on its page, see
    # test_product_parameters): a value posted for a product parameter is not taken, an offer one is checked.
    assert f'name="param-{ROZDZIELCZOSC}"' not in html
    bad = [{"id": STAN, "valuesIds": ["11323_999"]}, {"id": ROZDZIELCZOSC, "values": ["24.2"]}]
    response = staff_client.post(url, post_data(bad))
    assert response.status_code == 400
    assert "Nieznana wartość ze słownika: 11323_999." in response.content.decode()
    assert not CategoryForm.objects.exists()

    response = staff_client.post(url, post_data(valid_values()))
    assert response.status_code == 302
    saved = CategoryForm.objects.get()
    assert saved.values == [{"id": STAN, "valuesIds": [NOWY]}, {"id": STAN_OPAKOWANIA, "valuesIds": [ORYGINALNE]}]
    assert saved.allegro_category_path.endswith("Aparaty cyfrowe")

    # Allegro dropped a value from a list: the page lists the saved value that became invalid.
    changed = copy.deepcopy(cached_definitions(allegro_app, CAMERA))
    packaging = next(d for d in changed if d["id"] == STAN_OPAKOWANIA)
    packaging["dictionary"] = [e for e in packaging["dictionary"] if e["id"] != ORYGINALNE]
    AllegroCategory.objects.filter(allegro_id=CAMERA).update(parameters=changed)
    html = staff_client.get(url).content.decode()
    assert 'id="ac-problems"' in html and f"Nieznana wartość ze słownika: {ORYGINALNE}." in html

    # "Odśwież" fetches the parameters again (one call) and the warning goes away.
    since = emulator.requests()[-1]["seq"]
    staff_client.post(url, {"refresh": "1"})
    assert len([r for r in emulator.requests(since) if not r["path"].startswith("/auth/")]) == 1
    assert 'id="ac-problems"' not in staff_client.get(url).content.decode()


MOCOWANIE, CANON_EF, INNE = "201417", "201417_1783560", "201417_208209"  # takes a typed value next to "inne"


@pytest.mark.parametrize(
    ("param_id", "item", "message"),
    [
        (MOCOWANIE, {"valuesIds": [INNE], "values": ["Leica L"]}, None),
        (MOCOWANIE, {"valuesIds": [CANON_EF, INNE], "values": ["Leica L"]}, "Wybierz wartość z listy albo wpisz"),
        (MOCOWANIE, {"valuesIds": [CANON_EF], "values": ["Leica L"]}, "Własna wartość idzie w parze z „inne”"),
        (
            W_ZESTAWIE,
            {"valuesIds": [KORPUS], "values": ["statyw"]},
            "Ten parametr przyjmuje tylko wartości ze słownika.",
        ),
    ],
)
def test_own_values_of_dictionary_parameters(definitions, param_id, item, message):
    errors = category_values_validate(definitions=definitions, values=replaced(valid_values(), param_id, item))
    if message is None:
        assert errors == {}
    else:
        assert any(m.startswith(message) for m in errors[param_id]), errors


def test_own_value_typed_on_the_page_reaches_allegro(emulator, staff_client, allegro_app):
    """ "Mocowanie" describes the product: typed on the product's page (its Allegro parameters panel)."""
    from tests.integration.allegro.descriptions.test_description_storage import change_form_data

    category_level_fetch(app=allegro_app)
    shop = make_category("Aparaty")
    category_mapping_set(
        category=shop, environment=MappingEnvironment.CUSTOM, allegro_category_id=CAMERA, app=allegro_app
    )
    product = make_product(category=shop)
    url = reverse("admin:shop_product_change", args=[product.pk])
    page = staff_client.get(url)
    html = page.content.decode()
    assert f'name="param-{MOCOWANIE}-custom"' in html and f'name="param-{W_ZESTAWIE}-custom"' not in html

    data = change_form_data(page)
    data["allegro_parameters-present"] = "1"
    data[f"param-{MOCOWANIE}-custom"] = "  Leica L "  # nothing chosen on the list: "inne" goes with it
    assert staff_client.post(url, data).status_code == 302
    saved = {v["id"]: v for v in ProductParameters.objects.get(product=product).values}
    assert saved[MOCOWANIE] == {"id": MOCOWANIE, "valuesIds": [INNE], "values": ["Leica L"]}
    html = staff_client.get(url).content.decode()
    assert 'value="Leica L"' in html and f'<option value="{INNE}" selected>' in html

    data[f"param-{MOCOWANIE}"] = CANON_EF  # a value from the list and a typed one: refused, nothing saved
    page = staff_client.post(url, data)
    assert page.status_code == 200 and "albo wpisz własną" in page.content.decode()
    assert {v["id"]: v for v in ProductParameters.objects.get(product=product).values} == saved

    # The product's parameters carry it to Allegro, which takes it.
    product_level, offer_level = product_parameters_split(
        parameters=category_product_parameters_build(product=product, allegro_category_id=CAMERA)
    )
    assert {"id": MOCOWANIE, "valuesIds": [INNE], "values": ["Leica L"]} in product_level + offer_level
    api = emulator.api(emulator.user_token()["access_token"])
    body = {
        "name": "Aparat cyfrowy z własnym mocowaniem",
        "category": {"id": CAMERA},
        "productSet": [
            {
                "product": {"name": "Aparat X", "category": {"id": CAMERA}, "parameters": product_level},
                "responsibleProducer": {"type": "NAME", "name": "Producent Sp. z o.o."},
                "safetyInformation": {"type": "TEXT", "description": "Bezpieczny w użyciu."},
            }
        ],
        "parameters": offer_level,
        "sellingMode": {"format": "BUY_NOW", "price": {"amount": "199.99", "currency": "PLN"}},
        "stock": {"available": 1, "unit": "UNIT"},
        "location": {"countryCode": "PL", "province": "WIELKOPOLSKIE", "city": "Poznań", "postCode": "60-166"},
        "images": ["https://cdn.example.pl/a.jpg"],
        "description": {"sections": [{"items": [{"type": "TEXT", "content": "<p>Aparat</p>"}]}]},
        "external": {"id": "SKU-MOC"},
    }
    resp = api.post(emulator.url("/sale/product-offers"), json=body, headers={"Content-Type": PUBLIC})
    assert resp.status_code == 201, resp.text


GRILLE = "260556"  # the emulator's "Grille": "Rodzaj gazu" is shown and required only for a gas grill


def _grill(definitions: list[dict]) -> tuple[str, dict, str]:
    by_name = {d["name"]: d for d in definitions}
    kind = by_name["Rodzaj grilla"]
    values = {e["value"]: e["id"] for e in kind["dictionary"]}
    gas = by_name["Rodzaj gazu"]
    return kind["id"], values, gas["id"]


def test_required_and_displayed_only_when_other_values_say_so(emulator, allegro_app):
    category_level_fetch(app=allegro_app)
    definitions = cached_definitions(allegro_app, GRILLE)
    kind, kinds, gas = _grill(definitions)
    propane = next(d for d in definitions if d["id"] == gas)["dictionary"][0]["id"]

    def errors(*items):
        """The messages for "Rodzaj gazu" (the category has other required parameters)."""
        return category_values_validate(definitions=definitions, values=list(items)).get(gas)

    assert errors({"id": kind, "valuesIds": [kinds["węglowy"]]}) is None
    assert errors({"id": kind, "valuesIds": [kinds["gazowy"]]}) == ["Ten parametr jest wymagany."]
    assert errors({"id": kind, "valuesIds": [kinds["gazowy"]]}, {"id": gas, "valuesIds": [propane]}) is None
    assert errors({"id": kind, "valuesIds": [kinds["węglowy"]]}, {"id": gas, "valuesIds": [propane]}) == [
        "Ten parametr nie dotyczy wartości wybranych wyżej; wyczyść go."
    ]

    # The page: the row is there for the script, hidden and not required until "gazowy" is chosen.
    from allegro.categories.forms import parameter_fields

    fields = {f.id: f for f in parameter_fields(definitions=definitions, values=[], errors={})}
    assert not fields[gas].shown and not fields[gas].required and fields[gas].required_if
    chosen = [{"id": kind, "valuesIds": [kinds["gazowy"]]}]
    fields = {f.id: f for f in parameter_fields(definitions=definitions, values=chosen, errors={})}
    assert fields[gas].shown and fields[gas].required


def test_a_saved_value_that_does_not_apply_to_the_product_is_not_sent(emulator, allegro_app, connected_account):
    """A parameter shown only for one brand: valid in the category form (the brand comes from each product),
    left out for a product of another brand — also through the lookups every listing uses."""
    category_level_fetch(app=allegro_app)
    definitions = copy.deepcopy(cached_definitions(allegro_app, GRILLE))
    kind, kinds, gas = _grill(definitions)
    propane = next(d for d in definitions if d["id"] == gas)["dictionary"][0]["id"]
    marka = next(d for d in definitions if d["id"] == MARKA)
    weber = next(e["id"] for e in marka["dictionary"] if e["value"] == "Weber")
    next(d for d in definitions if d["id"] == gas)["displayedIf"] = {
        "parametersWithValue": [{"id": MARKA, "oneOfValueIds": [weber]}]
    }
    AllegroCategory.objects.filter(allegro_id=GRILLE).update(parameters=definitions)
    values = [{"id": kind, "valuesIds": [kinds["gazowy"]]}, {"id": gas, "valuesIds": [propane]}]
    assert gas not in category_values_validate(definitions=definitions, values=values)  # the brand: undecided
    CategoryForm.objects.create(allegro_category_id=GRILLE, values=values)

    for brand, sent in (("Landmann", False), ("Weber", True)):
        product = make_product(brand=brand)
        direct = {p["id"] for p in category_product_parameters_build(product=product, allegro_category_id=GRILLE)}
        listed = {p["id"] for p in OfferLookups(connected_account).product_parameters(product, GRILLE)}
        assert kind in direct and kind in listed
        assert (gas in direct, gas in listed) == (sent, sent), brand
