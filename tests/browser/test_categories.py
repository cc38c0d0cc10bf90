"""Category mapping with the lazy Allegro tree and the category form of leaf 257933, in a real Chromium."""

import pytest
from django.urls import reverse

from allegro.categories.models import CategoryForm, CategoryMapping
from tests.factories import make_category, make_emulator_app, make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def emulator_app(emulator):
    return make_emulator_app(emulator)


def test_map_a_category_through_the_tree_and_search(page, admin_login, emulator, emulator_app, screenshot):
    foto = make_category("Fotografia")
    make_product(category=foto, name="Aparat cyfrowy Canon EOS")
    make_category("Obiektywy", parent=foto)
    base = admin_login()

    page.goto(base + reverse("admin:allegro_categorymapping_changelist") + "?env=custom")
    assert page.locator("tr.ac-unmapped").count() == 2
    page.locator(f'button.ac-open[data-category="{foto.pk}"]').click()
    picker = page.locator("#ac-picker")
    picker.get_by_role("button", name="Elektronika", exact=True).click()
    picker.get_by_role("button", name="Fotografia", exact=True).click()
    picker.get_by_role("button", name="Aparaty fotograficzne", exact=True).click()
    picker.get_by_role("button", name="Aparaty cyfrowe", exact=True).wait_for()
    screenshot("categories-01-tree")

    # Search over the levels opened so far.
    page.fill("#ac-search", "cyfrowe")
    page.click("#ac-search-button")
    result = page.locator("#ac-results .ac-result", has_text="Aparaty cyfrowe")
    result.wait_for()
    # "Podpowiedz" asks Allegro with the category's product names.
    page.click("#ac-suggest")
    page.locator("#ac-results .ac-result", has_text="Aparaty cyfrowe").first.wait_for()
    screenshot("categories-02-suggest")
    page.locator("#ac-results .ac-result", has_text="Aparaty cyfrowe").first.click()
    assert "257933" in page.text_content("#ac-chosen")
    page.click("#ac-save")

    page.wait_for_selector(".messagelist .success")
    mapping = CategoryMapping.objects.get()
    assert (mapping.category_id, mapping.allegro_category_id, mapping.environment) == (foto.pk, "257933", "custom")
    assert "dziedziczone z Fotografia" in page.text_content("#ac-mapping-table")
    screenshot("categories-03-mapped")


def test_category_form_with_dependent_values(page, admin_login, emulator, emulator_app, screenshot):
    base = admin_login()
    url = base + reverse("admin:allegro_categoryform_edit", args=["257933"]) + "?env=custom"
    page.goto(url)
    assert page.locator("label[for=id-param-11323] .required-star").count() == 1
    assert page.locator("#id-param-237206").count() == 0  # "Model" describes the product: on its page

    page.select_option("#id-param-11323", label="Nowy")
    # Only packaging states valid for a new item stay selectable.
    assert page.locator('#id-param-229205 option[value="229205_340249"]').is_disabled()  # otwarte
    page.select_option("#id-param-229205", label="oryginalne")
    page.click("#ac-save-form")
    page.wait_for_selector(".messagelist .success")
    values = {v["id"]: v for v in CategoryForm.objects.get().values}
    assert values == {
        "11323": {"id": "11323", "valuesIds": ["11323_1"]},
        "229205": {"id": "229205", "valuesIds": ["229205_340245"]},
    }
    screenshot("categories-04-form-saved")


def test_product_parameters_on_the_product_page(page, admin_login, emulator, emulator_app, screenshot):
    """The parameters that describe the product, on its page: the same widgets, errors under their field, what
    was entered kept, saved with the product."""
    from allegro.categories.models import MappingEnvironment, ProductParameters
    from allegro.categories.services.categories import category_level_fetch, category_mapping_set

    category_level_fetch(app=emulator_app)
    cameras = make_category("Aparaty")
    category_mapping_set(
        category=cameras, environment=MappingEnvironment.CUSTOM, allegro_category_id="257933", app=emulator_app
    )
    product = make_product(category=cameras, name="Aparat Canon EOS R50")
    base = admin_login()
    page.goto(base + reverse("admin:shop_product_change", args=[product.pk]))
    page.wait_for_selector("#allegro_parameters-group")
    page.fill("#id-param-237206", "EOS R50")
    page.fill("#id-param-38", "2400")  # above the maximum of 1000 Mpx
    page.select_option("#id-param-814", label="korpus")
    page.select_option("#id-param-206882", label="APS-C")
    page.select_option("#id-param-206962", label="4K")
    page.fill("#id-param-224017", "5811C002")
    page.fill("#id-param-211350", "100")
    page.fill("#id-param-211350-to", "32000")
    page.fill("#id-param-201417-custom", "Leica L")  # "Mocowanie": not on the list, typed
    page.locator("input[name=_continue]").click()

    error = page.locator("#row-param-38 .errorlist")
    error.wait_for()
    assert "Wartość może wynosić najwyżej 1000." in error.text_content()
    assert not ProductParameters.objects.exists()
    screenshot("categories-05-product-parameters-error")

    # What was entered is kept; fix the one wrong value.
    assert page.input_value("#id-param-237206") == "EOS R50"
    page.fill("#id-param-38", "24,2")
    page.locator("input[name=_continue]").click()
    page.wait_for_selector(".messagelist .success")
    values = {v["id"]: v for v in ProductParameters.objects.get(product=product).values}
    assert values["38"] == {"id": "38", "values": ["24.2"]}
    assert values["211350"]["rangeValue"] == {"from": "100", "to": "32000"}
    assert values["201417"] == {"id": "201417", "valuesIds": ["201417_208209"], "values": ["Leica L"]}
    assert page.input_value("#id-param-201417-custom") == "Leica L"
    assert page.locator("#id-param-201417 option:checked").text_content() == "inne"
    screenshot("categories-06-product-parameters-saved")


def test_parameter_shown_and_required_only_for_some_values(page, admin_login, emulator, emulator_app, screenshot):
    """The emulator's "Grille": "Rodzaj gazu" (the offer's) applies, and is required, only to a gas grill; "Rodzaj
    grilla" describes the product. Where both are on one page (the listing form) the row follows the choice; the
    category form, without the product's grill type, shows the row and does not insist on it."""
    from allegro.categories.models import MappingEnvironment
    from allegro.categories.services.categories import category_level_fetch, category_mapping_set
    from tests.factories import connect_account

    category_level_fetch(app=emulator_app)
    grills = make_category("Grille")
    category_mapping_set(
        category=grills, environment=MappingEnvironment.CUSTOM, allegro_category_id="260556", app=emulator_app
    )
    product = make_product(category=grills, name="Grill gazowy Weber")
    connect_account(emulator, emulator_app)
    base = admin_login()
    page.goto(base + reverse("admin:allegro_offer_list_product", args=[product.pk]))
    kind = page.locator(".ac-param", has=page.locator("label", has_text="Rodzaj grilla"))
    gas = page.locator(".ac-param", has=page.locator("label", has_text="Rodzaj gazu"))
    assert gas.is_hidden()
    kind.locator("select").select_option(label="gazowy")
    gas.wait_for(state="visible")
    assert gas.locator(".required-star").is_visible()
    kind.locator("select").select_option(label="węglowy")
    gas.wait_for(state="hidden")

    page.goto(base + reverse("admin:allegro_categoryform_edit", args=["260556"]) + "?env=custom")
    gas = page.locator(".ac-param", has=page.locator("label", has_text="Rodzaj gazu"))
    assert gas.is_visible() and not gas.locator(".required-star").is_visible()
    assert page.locator(".ac-param", has=page.locator("label", has_text="Rodzaj grilla")).count() == 0
    page.select_option("#id-param-11323", label="Nowy")
    page.click("#ac-save-form")
    page.wait_for_selector(".messagelist .success")
    gas_id = gas.get_attribute("data-param")
    assert gas_id not in {v["id"] for v in CategoryForm.objects.get().values}
    gas.locator("select").select_option(label="propan-butan")
    page.click("#ac-save-form")
    page.wait_for_selector(".messagelist .success")
    assert gas_id in {v["id"] for v in CategoryForm.objects.get().values}
    screenshot("categories-07-conditional-parameter")
