"""Parameters that describe the product, kept per product: the rules they are checked by, the product page's panel
(saved with the product, errors under their own fields), the table of all products of a category with cells
pasted from a spreadsheet, the category form keeping only the offers' shared values, and the listing sending each
product's own values."""

import pytest
from django.urls import reverse

from allegro.categories.models import CategoryForm, MappingEnvironment, ProductParameters
from allegro.categories.services.categories import category_level_fetch, category_mapping_set
from allegro.categories.services.category_forms import CategoryFormInvalid, category_product_parameters_build
from allegro.categories.services.product_parameters import (
    product_definitions,
    product_parameters_save,
    product_parameters_table,
    product_parameters_table_read,
    product_parameters_table_save,
    product_parameters_tsv,
)
from allegro.integration.schemas.categories import category_parameters_parse
from tests.factories import make_category, make_product
from tests.integration.allegro.categories.test_category_forms import (
    CAMERA,
    INNE,
    ISO,
    KOD_PRODUCENTA,
    KORPUS,
    MARKA,
    MOCOWANIE,
    MODEL,
    NOWY,
    ROZDZIELCZOSC,
    STABILIZACJA,
    STAN,
    W_ZESTAWIE,
    cached_definitions,
    post_data,
)
from tests.integration.allegro.descriptions.test_description_storage import change_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def cameras(emulator, allegro_app):
    category_level_fetch(app=allegro_app)
    shop = make_category("Aparaty")
    category_mapping_set(
        category=shop, environment=MappingEnvironment.CUSTOM, allegro_category_id=CAMERA, app=allegro_app
    )
    return shop, cached_definitions(allegro_app, CAMERA)


def test_saving_checks_each_value_and_keeps_nothing_on_an_error(cameras):
    shop, definitions = cameras
    own = {p.id for p in product_definitions(definitions=definitions)}
    assert MODEL in own and ROZDZIELCZOSC in own and STAN not in own  # "Stan" describes the offer
    assert MARKA not in own  # filled from the product's brand
    product = make_product(category=shop)
    with pytest.raises(CategoryFormInvalid) as invalid:
        product_parameters_save(
            product=product,
            allegro_category_id=CAMERA,
            definitions=definitions,
            values=[{"id": ROZDZIELCZOSC, "values": ["1500"]}, {"id": STAN, "valuesIds": [NOWY]}],
        )
    assert "Wartość może wynosić najwyżej 1000." in invalid.value.errors[ROZDZIELCZOSC]
    assert invalid.value.errors[STAN]  # an offer parameter is not the product's
    assert not ProductParameters.objects.exists()

    # Required ones are not insisted on here (a product in Allegro's catalogue needs none of them).
    row = product_parameters_save(
        product=product,
        allegro_category_id=CAMERA,
        definitions=definitions,
        values=[{"id": ISO, "rangeValue": {"from": "100", "to": "6400"}}, {"id": MODEL, "values": ["EOS R50"]}],
    )
    assert row.values == [
        {"id": MODEL, "values": ["EOS R50"]},
        {"id": ISO, "rangeValue": {"from": "100", "to": "6400"}},
    ]
    product_parameters_save(product=product, allegro_category_id=CAMERA, definitions=definitions, values=[])
    assert not ProductParameters.objects.exists()


def test_each_product_lists_with_its_own_values(cameras):
    shop, definitions = cameras
    # An older category form still holds a product value: it stays the default of products without their own.
    CategoryForm.objects.create(
        allegro_category_id=CAMERA,
        values=[{"id": STAN, "valuesIds": [NOWY]}, {"id": MODEL, "values": ["z formularza"]}],
    )
    r50, r8, plain = (make_product(category=shop, brand="Canon") for _ in range(3))
    for product, model in ((r50, "EOS R50"), (r8, "EOS R8")):
        product_parameters_save(
            product=product,
            allegro_category_id=CAMERA,
            definitions=definitions,
            values=[{"id": MODEL, "values": [model]}],
        )

    def built(product):
        return {p["id"]: p for p in category_product_parameters_build(product=product, allegro_category_id=CAMERA)}

    assert built(r50)[MODEL] == {"id": MODEL, "values": ["EOS R50"], "source": "own", "describesProduct": True}
    assert built(r8)[MODEL]["values"] == ["EOS R8"]
    assert built(plain)[MODEL]["values"] == ["z formularza"] and built(plain)[MODEL]["source"] == "form"
    assert built(r50)[STAN]["source"] == "form" and built(r50)[MARKA]["source"] == "product"


def test_listing_and_triage_send_the_products_values(cameras, connected_account, django_assert_max_num_queries):
    from allegro.offers.services.offers import offer_prepare, offers_triage

    shop, definitions = cameras
    products = [make_product(category=shop, brand="Canon") for _ in range(4)]
    for n, product in enumerate(products):
        product_parameters_save(
            product=product,
            allegro_category_id=CAMERA,
            definitions=definitions,
            values=[{"id": KOD_PRODUCENTA, "values": [f"KOD-{n}"]}],
        )
    offer = offer_prepare(product=products[1], account=connected_account)
    assert {"id": KOD_PRODUCENTA, "values": ["KOD-1"]} in offer.product_parameters
    with django_assert_max_num_queries(60) as queries:
        triage = offers_triage(products=products, account=connected_account)
    # The products' own values are read once for the selection, not once per product.
    assert sum("allegro_productparameters" in q["sql"] for q in queries.captured_queries) == 1
    assert {"id": KOD_PRODUCENTA, "values": ["KOD-3"]} in triage.offers[products[3].pk].product_parameters


def test_the_product_page_panel_saves_with_the_product(cameras, staff_client):
    shop, definitions = cameras
    product = make_product(category=shop, brand="Canon")
    url = reverse("admin:shop_product_change", args=[product.pk])
    page = staff_client.get(url)
    html = page.content.decode()
    assert 'id="allegro_parameters-group"' in html
    assert f'name="param-{MODEL}"' in html and f'name="param-{STAN}"' not in html  # the offer's stays in the form
    assert f'name="param-{MOCOWANIE}-custom"' in html

    data = change_form_data(page)
    data["allegro_parameters-present"] = "1"
    data.update(post_data([{"id": MODEL, "values": ["EOS R50"]}, {"id": ROZDZIELCZOSC, "values": ["1500"]}]))
    data["name"] = "Aparat Canon EOS R50 (nowa nazwa)"
    answer = staff_client.post(url, data)
    assert answer.status_code == 200  # the page again, with the error under the parameter's own field
    html = answer.content.decode()
    row = html[html.index(f'id="row-param-{ROZDZIELCZOSC}"') :]
    assert row.index("Wartość może wynosić najwyżej 1000.") < row.index("</div>")
    assert 'value="EOS R50"' in html  # what was typed stays
    product.refresh_from_db()
    assert product.name != "Aparat Canon EOS R50 (nowa nazwa)" and not ProductParameters.objects.exists()

    data.update(
        post_data(
            [{"id": ROZDZIELCZOSC, "values": ["24,2"]}, {"id": ISO, "rangeValue": {"from": "100", "to": "32000"}}]
        )
    )
    data[f"param-{MOCOWANIE}-custom"] = "Leica L"
    assert staff_client.post(url, data).status_code == 302
    saved = {v["id"]: v for v in ProductParameters.objects.get(product=product).values}
    assert saved[MODEL] == {"id": MODEL, "values": ["EOS R50"]}
    assert saved[ROZDZIELCZOSC] == {"id": ROZDZIELCZOSC, "values": ["24.2"]}
    assert saved[MOCOWANIE] == {"id": MOCOWANIE, "valuesIds": [INNE], "values": ["Leica L"]}
    assert saved[ISO] == {"id": ISO, "rangeValue": {"from": "100", "to": "32000"}}
    product.refresh_from_db()
    assert product.name == "Aparat Canon EOS R50 (nowa nazwa)"

    # A save of the product without the panel (another form) does not wipe the values.
    data.pop("allegro_parameters-present")
    data.pop(f"param-{MODEL}")
    assert staff_client.post(url, data).status_code == 302
    assert ProductParameters.objects.get(product=product).values


def test_the_panel_is_read_only_without_the_permission(cameras, client, django_user_model):
    from django.contrib.auth.models import Permission

    shop, definitions = cameras
    product = make_product(category=shop)
    product_parameters_save(
        product=product, allegro_category_id=CAMERA, definitions=definitions, values=[{"id": MODEL, "values": ["X1"]}]
    )
    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_product", "change_product", "view_productparameters"])
    )
    client.force_login(user)
    html = client.get(reverse("admin:shop_product_change", args=[product.pk])).content.decode()
    assert "X1" in html and f'name="param-{MODEL}"' not in html


def test_the_table_reads_pasted_spreadsheet_rows(cameras):
    shop, definitions = cameras
    a, b = make_product(category=shop, sku="APT-1"), make_product(category=shop, sku="APT-2")
    params = category_parameters_parse(definitions)

    def table():
        return product_parameters_table(products=[a, b], definitions=params, stored={})

    # With a header (any order and subset of the columns) and names of dictionary values, "; " between values.
    pasted = "SKU\tKod producenta\tModel\tW zestawie\tStabilizacja\tCzułość ISO\n"
    pasted += "APT-1\t5811C002\tEOS R50\tkorpus\t\t100-32000\r\n"
    pasted += "APT-2\tX-2\tEOS R8\tkorpus + obiektyw\toptyczna obiektywu; Cyfrowa\t\n"
    read = product_parameters_table_read(table=table(), pasted=pasted)
    assert not read.has_errors, [r.errors for r in read.rows] + read.errors
    assert product_parameters_table_save(table=read, allegro_category_id=CAMERA) == 2
    first = {v["id"]: v for v in ProductParameters.objects.get(product=a).values}
    assert first[MODEL] == {"id": MODEL, "values": ["EOS R50"]}
    assert first[W_ZESTAWIE] == {"id": W_ZESTAWIE, "valuesIds": [KORPUS]}
    assert first[ISO] == {"id": ISO, "rangeValue": {"from": "100", "to": "32000"}}
    second = {v["id"]: v for v in ProductParameters.objects.get(product=b).values}
    assert len(second[STABILIZACJA]["valuesIds"]) == 2

    # The saved table reads back as the same cells, and as a spreadsheet with a header row.
    stored = dict(ProductParameters.objects.values_list("product_id", "values"))
    again = product_parameters_table(products=[a, b], definitions=params, stored=stored)
    assert again.rows[0].cells[ISO] == "100-32000" and again.rows[0].cells[W_ZESTAWIE] == "korpus"
    tsv = product_parameters_tsv(table=again).splitlines()
    assert tsv[0].startswith("SKU\tModel") and tsv[1].startswith("APT-1\tEOS R50")

    # Without a header: the page's columns in order. Wrong cells: errors under their cell, nothing saved.
    columns = [p.id for p in again.definitions]
    cells = ["" for _ in columns]
    cells[columns.index(ROZDZIELCZOSC)] = "2400"
    cells[columns.index(W_ZESTAWIE)] = "statyw"
    bad = product_parameters_table_read(table=again, pasted="APT-2\t" + "\t".join(cells))
    assert "Wartość może wynosić najwyżej 1000." in bad.rows[1].errors[ROZDZIELCZOSC]
    assert "statyw" in bad.rows[1].errors[W_ZESTAWIE][0]
    with pytest.raises(CategoryFormInvalid):
        product_parameters_table_save(table=bad, allegro_category_id=CAMERA)
    assert {v["id"]: v for v in ProductParameters.objects.get(product=b).values} == second

    unknown = product_parameters_table_read(table=table(), pasted="APT-9\tx")
    assert unknown.errors and "APT-9" in unknown.errors[0]
    column = product_parameters_table_read(table=table(), pasted="SKU\tStan\nAPT-1\tNowy")
    assert column.errors and "Stan" in column.errors[0]  # an offer parameter is not a column here


def test_the_table_page_pastes_and_saves(cameras, staff_client, django_assert_max_num_queries):
    shop, definitions = cameras
    products = [make_product(category=shop, sku=f"APT-{n}") for n in range(5)]
    url = reverse("admin:allegro_categoryform_products", args=[CAMERA]) + "?env=custom"
    page = staff_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "APT-4" in html and f'name="cell-{products[0].pk}-{MODEL}"' in html
    with django_assert_max_num_queries(20) as few:
        staff_client.get(url)
    more = [make_product(category=shop, sku=f"APT-{n}") for n in range(5, 15)]
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff_client.get(url)

    data = {f"cell-{products[0].pk}-{MODEL}": "EOS M50", "pasted": "SKU\tModel\nAPT-7\tEOS R7\nAPT-8\tEOS R6"}
    assert staff_client.post(url, data).status_code == 302
    models = {
        row.product.sku: row.values[0]["values"][0] for row in ProductParameters.objects.select_related("product")
    }
    assert models == {"APT-0": "EOS M50", "APT-7": "EOS R7", "APT-8": "EOS R6"}
    assert more  # the products made after the first page view are in the table too

    bad = staff_client.post(url, {f"cell-{products[1].pk}-{ROZDZIELCZOSC}": "abc"})
    assert bad.status_code == 400 and ProductParameters.objects.count() == 3


def test_the_category_form_keeps_only_the_offers_shared_values(cameras, staff_client):
    shop, definitions = cameras
    CategoryForm.objects.create(allegro_category_id=CAMERA, values=[{"id": MODEL, "values": ["z formularza"]}])
    url = reverse("admin:allegro_categoryform_edit", args=[CAMERA]) + "?env=custom"
    html = staff_client.get(url).content.decode()
    assert f'name="param-{STAN}"' in html and f'name="param-{MODEL}"' not in html
    assert reverse("admin:allegro_categoryform_products", args=[CAMERA]) in html
    # A required product parameter is not asked for here; the saved older product value stays.
    data = post_data([{"id": STAN, "valuesIds": [NOWY]}])
    data[f"param-{MODEL}"] = "ignored"
    assert staff_client.post(url, data).status_code == 302
    values = CategoryForm.objects.get().values
    assert {"id": STAN, "valuesIds": [NOWY]} in values and {"id": MODEL, "values": ["z formularza"]} in values
    assert staff_client.post(url, {}).status_code == 400  # "Stan" (the offer's, required) still is
