"""Stored descriptions: the product's "Aukcje" editor (form validation naming section and item, cleaning of
unsafe input, query count), templates with placeholders, the template selector and the bulk conversion."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from allegro.accounts.models import AllegroAccount, AllegroApp
from allegro.descriptions.models import CategoryDescriptionTemplate, DescriptionTemplate, ProductAllegroDescription
from allegro.descriptions.selectors import description_template_get
from allegro.descriptions.services.descriptions import UnknownPlaceholders, description_validate
from allegro.descriptions.services.offers import (
    DescriptionImagesMissing,
    description_image_refs_list,
    description_offer_build,
    price_pln_format,
)
from allegro.descriptions.widgets import MODE_TEMPLATE, DescriptionFormField
from shop.models import ProductImage
from tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db


def png_file(name: str = "x.png") -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((320, 240)).convert("RGB").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def add_images(product, count: int) -> list[ProductImage]:
    return [
        ProductImage.objects.create(product=product, image=png_file(f"p{product.pk}-{n}.png"), position=n)
        for n in range(count)
    ]


def text(content: str) -> dict:
    return {"type": "TEXT", "content": content}


def image(url: str) -> dict:
    return {"type": "IMAGE", "url": url}


def desc(*sections: list[dict]) -> dict:
    return {"sections": [{"items": list(items)} for items in sections]}


def make_account(**fields) -> AllegroAccount:
    app = AllegroApp.objects.create(name="App", environment="sandbox", client_id=f"cid-{AllegroApp.objects.count()}")
    return AllegroAccount.objects.create(app=app, name="Konto", **fields)


def change_form_data(response) -> dict:
    """POST data of an admin change form as the browser would send it untouched (main form and inlines)."""
    data: dict = {}

    def add_form(form):
        for bound in form:
            value = bound.value()
            if value is None:
                continue
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
                continue
            if isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
                continue
            if bound.name in ("image",):
                continue
            data[bound.html_name] = (
                bound.field.widget.format_value(value)
                if hasattr(bound.field.widget, "format_value") and isinstance(value, dict)
                else str(value)
            )

    add_form(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = str(value)
        for form in formset.forms:
            add_form(form)
    return data


# --------------------------------------------------------------------------------------------------------------
# The form field
# --------------------------------------------------------------------------------------------------------------
def test_form_field_errors_name_section_and_item():
    field = DescriptionFormField(required=False)
    bad = desc([text("<p>Dobrze</p>")], [text("<p>Tekst</p>"), image("javascript:alert(1)")])
    with translation.override("en"), pytest.raises(Exception) as raised:
        field.clean(json.dumps(bad))
    messages = raised.value.messages
    assert any(m.startswith("Section 2, item 2:") and "http" in m for m in messages), messages


def test_form_field_reports_limits_on_the_whole_description():
    field = DescriptionFormField(required=False)
    too_many = {"sections": [{"items": [text(f"<p>Sekcja {n}</p>")]} for n in range(101)]}
    with pytest.raises(Exception) as raised:
        field.clean(json.dumps(too_many))
    assert any("101" in m for m in raised.value.messages)
    huge = {"sections": [{"items": [text("<p>" + "ż" * 9_000 + "</p>")]} for _ in range(3)]}
    with pytest.raises(Exception) as raised:
        field.clean(json.dumps(huge))
    assert any("40000" in m for m in raised.value.messages)


def test_form_field_cleans_pasted_html_into_allegro_grammar_and_is_idempotent():
    field = DescriptionFormField(required=False)
    pasted = desc(
        [text('<div style="x"><strong>Mocny</strong> tekst<br>druga linia</div><h3>Nagłówek</h3><script>x()</script>')]
    )
    cleaned = field.clean(json.dumps(pasted))
    content = cleaned["sections"][0]["items"][0]["content"]
    assert content == "<p><b>Mocny</b> tekst</p><p>druga linia</p><h2>Nagłówek</h2>"
    assert field.clean(json.dumps(cleaned)) == cleaned
    assert description_validate(cleaned) == []


def test_form_field_rejects_invalid_json_and_images_of_other_products():
    field = DescriptionFormField(required=False, image_pks={5, 6})
    with pytest.raises(Exception) as raised:
        field.clean("{not json")
    assert raised.value.code == "invalid_json"
    assert field.clean(json.dumps(desc([image("product-image:5")]))) == desc([image("product-image:5")])
    with translation.override("en"), pytest.raises(Exception) as raised:
        field.clean(json.dumps(desc([text("<p>a</p>")], [image("product-image:7")])))
    assert raised.value.messages == ["Section 2, item 1: the picked image is not one of this product's images"]


def test_template_field_rejects_unknown_placeholders_and_accepts_known_ones():
    field = DescriptionFormField(mode=MODE_TEMPLATE, required=False)
    ok = desc([text("<h1>{{ nazwa }}</h1><p>Cena: {{ cena }}, EAN {{ ean }}</p>")], [image("{{ zdjecie_glowne }}")])
    assert field.clean(json.dumps(ok)) == ok
    with pytest.raises(Exception) as raised:
        field.clean(json.dumps(desc([text("<p>{{ kolor }}</p>")])))
    assert any("kolor" in m and "nazwa" in m for m in raised.value.messages)


# --------------------------------------------------------------------------------------------------------------
# Product page ("Aukcje")
# --------------------------------------------------------------------------------------------------------------
def test_product_page_prefills_editor_from_shop_description(admin_client):
    product = make_product(description="<h2>O produkcie</h2><p>Świetny <strong>produkt</strong></p>")
    response = admin_client.get(reverse("admin:shop_product_change", args=[product.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-description-editor" in html
    assert "allegro/description_editor.js" in html
    formset = next(
        f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is ProductAllegroDescription
    )
    initial = formset.forms[0].initial["description"]
    assert initial == {"sections": [{"items": [text("<h2>O produkcie</h2><p>Świetny <b>produkt</b></p>")]}]}
    assert "<script>" not in html.split("data-description-editor", 1)[1].split("</textarea>", 1)[0]


def test_product_page_saves_cleaned_description_and_never_keeps_scripts(admin_client, admin_user):
    product = make_product(description="<p>Sklep</p>")
    images = add_images(product, 2)
    url = reverse("admin:shop_product_change", args=[product.pk])
    data = change_form_data(admin_client.get(url))
    evil = desc(
        [text('<h1>Tytuł</h1><p>Tekst<img src=x onerror="window.__xss=1"></p><script>window.__xss=1</script>')],
        [image(f"product-image:{images[1].pk}"), text('<p onclick="x()">&lt;script&gt;alert(1)&lt;/script&gt;</p>')],
    )
    data["allegro_description-0-description"] = json.dumps(evil)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    stored = ProductAllegroDescription.objects.get(product=product)
    assert stored.updated_by == admin_user
    assert stored.description == desc(
        [text("<h1>Tytuł</h1><p>Tekst</p>")],
        [image(f"product-image:{images[1].pk}"), text("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")],
    )
    assert description_image_refs_list(description=stored.description) == [images[1].pk]


def test_product_page_shows_the_validators_message_and_saves_nothing(admin_client):
    product = make_product(description="<p>Sklep</p>")
    url = reverse("admin:shop_product_change", args=[product.pk])
    data = change_form_data(admin_client.get(url))
    data["allegro_description-0-description"] = json.dumps(desc([text("<p>ok</p>"), image("http://")]))
    data["name"] = "Zmieniona nazwa"
    with translation.override("en"):
        response = admin_client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Sekcja 1, element 2" in response.content.decode()
    product.refresh_from_db()
    assert product.name != "Zmieniona nazwa"
    assert not ProductAllegroDescription.objects.filter(product=product).exists()


def test_product_change_page_query_count_does_not_grow_with_images(admin_client):
    few = make_product(description="<p>a</p>")
    many = make_product(description="<p>a</p>")
    add_images(few, 1)
    add_images(many, 12)
    counts = []
    for product in (few, many):
        url = reverse("admin:shop_product_change", args=[product.pk])
        admin_client.get(url)  # warm caches (content types, session)
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(url)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    html = response.content.decode()
    assert html.count("product-image:") >= 12


def test_upload_view_adds_a_product_image_for_staff_only(admin_client, client, staff_user):
    product = make_product()
    url = reverse("allegro:description_image_upload", args=[product.pk])
    response = admin_client.post(url, {"image": png_file()})
    assert response.status_code == 201
    body = response.json()
    assert body["ref"] == f"product-image:{body['id']}"
    assert ProductImage.objects.get(pk=body["id"]).product == product
    assert client.post(url, {"image": png_file()}).status_code == 403
    client.force_login(staff_user)
    bad = client.post(url, {"image": SimpleUploadedFile("x.png", b"not an image", content_type="image/png")})
    assert bad.status_code == 400
    assert ProductImage.objects.filter(product=product).count() == 1


# --------------------------------------------------------------------------------------------------------------
# Templates, placeholders and composition
# --------------------------------------------------------------------------------------------------------------
def test_price_is_formatted_the_polish_way():
    assert price_pln_format(price=Decimal("1299")) == "1 299,00 zł"
    assert price_pln_format(price=Decimal("9.5")) == "9,50 zł"
    assert price_pln_format(price=Decimal("1234567.891")) == "1 234 567,89 zł"


def test_offer_description_composes_header_product_and_footer_with_placeholders():
    product = make_product(name="Kubek <Duży>", price=Decimal("1299.00"), sku="KUB-1", brand="Ćma", ean="5901234123457")
    main, second = add_images(product, 2)
    ProductAllegroDescription.objects.create(
        product=product, description=desc([text("<p>Opis produktu</p>"), image(f"product-image:{second.pk}")])
    )
    template = DescriptionTemplate.objects.create(
        name="Standard",
        header=desc([text("<h1>{{ nazwa }}</h1><p>{{ marka }} · {{ cena }} · {{ sku }} · {{ ean }}</p>")]),
        footer=desc([image("{{ zdjecie_glowne }}")], [text("<p>Dziękujemy!</p>")]),
    )
    urls = {main.pk: "https://a.allegroimg.com/original/main.jpg", second.pk: "https://a.allegroimg.com/original/2.jpg"}
    result = description_offer_build(product=product, account=None, template=template, image_urls=urls)
    assert result == desc(
        [text("<h1>Kubek &lt;Duży&gt;</h1><p>Ćma · 1 299,00 zł · KUB-1 · 5901234123457</p>")],
        [text("<p>Opis produktu</p>"), image(urls[second.pk])],
        [image(urls[main.pk])],
        [text("<p>Dziękujemy!</p>")],
    )
    assert description_validate(result, gallery=list(urls.values())) == []
    with pytest.raises(DescriptionImagesMissing) as missing:
        description_offer_build(product=product, account=None, template=template, image_urls={main.pk: urls[main.pk]})
    assert missing.value.pks == [second.pk]
    with pytest.raises(UnknownPlaceholders):
        description_offer_build(product=product, account=None, template=template, image_urls=None)


def test_offer_description_prefers_override_then_stored_then_shop_html():
    product = make_product(description="<p>Z opisu <b>sklepu</b></p>")
    assert description_offer_build(product=product, account=None) == desc([text("<p>Z opisu <b>sklepu</b></p>")])
    ProductAllegroDescription.objects.create(product=product, description=desc([text("<p>Stały</p>")]))
    product.refresh_from_db()
    assert description_offer_build(product=product, account=None) == desc([text("<p>Stały</p>")])
    override = desc([text("<p>Tylko ta oferta {{ nazwa }}</p>")])
    # the product part is never interpreted: a literal placeholder there stays text
    assert description_offer_build(product=product, account=None, override=override) == override


# --------------------------------------------------------------------------------------------------------------
# Selector: category default (inherited from the nearest ancestor), else the account's default
# --------------------------------------------------------------------------------------------------------------
def test_template_selector_uses_nearest_category_then_account_default():
    root = make_category("Dom")
    child = make_category("Kuchnia", parent=root)
    leaf = make_category("Kubki", parent=child)
    other = make_category("Ogród")
    product = make_product(category=leaf)
    outsider = make_product(category=other)
    root_t = DescriptionTemplate.objects.create(name="Dom")
    child_t = DescriptionTemplate.objects.create(name="Kuchnia")
    account_t = DescriptionTemplate.objects.create(name="Konto")
    account = make_account(default_template=account_t)

    assert description_template_get(product=product, account=account) == account_t
    assert description_template_get(product=product, account=None) is None
    CategoryDescriptionTemplate.objects.create(category=root, template=root_t)
    assert description_template_get(product=product, account=account) == root_t
    link = CategoryDescriptionTemplate.objects.create(category=child, template=child_t)
    assert description_template_get(product=product, account=account) == child_t
    child_t.is_active = False
    child_t.save()
    assert description_template_get(product=product, account=account) == root_t
    link.delete()
    assert description_template_get(product=outsider, account=account) == account_t
    account_t.is_active = False
    account_t.save()
    assert description_template_get(product=outsider, account=account) is None
    product = type(product).objects.select_related("category").get(pk=product.pk)
    with CaptureQueriesContext(connection) as ctx:
        description_template_get(product=product, account=account)
    assert len(ctx.captured_queries) <= 2


def test_deleting_a_template_clears_account_default():
    template = DescriptionTemplate.objects.create(name="T")
    account = make_account(default_template=template)
    template.delete()
    account.refresh_from_db()
    assert account.default_template is None


# --------------------------------------------------------------------------------------------------------------
# Template admin
# --------------------------------------------------------------------------------------------------------------
def test_template_admin_rejects_unknown_placeholder_and_previews_with_a_sample_product(admin_client):
    product = make_product(name="Przykładowy czajnik", price=Decimal("249.00"))
    add_images(product, 1)
    category = product.category
    add_url = reverse("admin:allegro_descriptiontemplate_add")
    page = admin_client.get(add_url)
    assert page.status_code == 200
    assert "{{ zdjecie_glowne }}" in page.content.decode()
    base = {
        "name": "Szablon",
        "is_active": "on",
        "footer": json.dumps(desc([text("<p>Stopka</p>")])),
        "categories-TOTAL_FORMS": "1",
        "categories-INITIAL_FORMS": "0",
        "categories-MIN_NUM_FORMS": "0",
        "categories-MAX_NUM_FORMS": "1000",
        "categories-0-category": str(category.pk),
    }
    bad = admin_client.post(add_url, {**base, "header": json.dumps(desc([text("<p>{{ kolor }}</p>")]))})
    assert bad.status_code == 200
    assert "kolor" in bad.content.decode()
    assert not DescriptionTemplate.objects.exists()
    good = admin_client.post(
        add_url, {**base, "header": json.dumps(desc([text("<h1>{{ nazwa }}</h1><p>{{ cena }}</p>")]))}
    )
    assert good.status_code == 302
    template = DescriptionTemplate.objects.get()
    assert CategoryDescriptionTemplate.objects.get().template == template
    change = admin_client.get(reverse("admin:allegro_descriptiontemplate_change", args=[template.pk]))
    html = change.content.decode()
    assert "<h1>Przykładowy czajnik</h1><p>249,00 zł</p>" in html
    assert "<p>Stopka</p>" in html


# --------------------------------------------------------------------------------------------------------------
# Bulk action: "Utwórz opis Allegro z opisu sklepu"
# --------------------------------------------------------------------------------------------------------------
def test_bulk_action_converts_reports_losses_and_skips_existing(admin_client):
    clean = make_product(description="<h2>Tytuł</h2><p>Prosty opis</p>")
    lossy = make_product(
        description='<table><tr><td>A</td><td>B</td></tr></table><script>x()</script><p><a href="#">link</a></p>'
    )
    empty = make_product(description="")
    existing = make_product(description="<p>Nowy</p>")
    ProductAllegroDescription.objects.create(product=existing, description=desc([text("<p>Ręcznie</p>")]))
    url = reverse("admin:shop_product_changelist")
    selected = [str(p.pk) for p in (clean, lossy, empty, existing)]
    response = admin_client.post(url, {"action": "create_allegro_descriptions", "_selected_action": selected})
    assert response.status_code == 200
    html = response.content.decode()
    counts = response.context["counts"]
    assert counts == {"created": 2, "replaced": 0, "skipped": 1, "empty": 1}
    assert response.context["with_losses"] == 1
    assert "usunięto elementy aktywne/osadzone: script" in html
    assert "tabele zamieniono na akapity" in html
    assert ProductAllegroDescription.objects.get(product=clean).description == desc(
        [text("<h2>Tytuł</h2><p>Prosty opis</p>")]
    )
    assert ProductAllegroDescription.objects.get(product=existing).description == desc([text("<p>Ręcznie</p>")])
    assert not ProductAllegroDescription.objects.filter(product=empty).exists()

    replaced = admin_client.post(
        url, {"action": "create_allegro_descriptions", "_selected_action": [str(existing.pk)], "replace": "1"}
    )
    assert replaced.context["counts"]["replaced"] == 1
    assert ProductAllegroDescription.objects.get(product=existing).description == desc([text("<p>Nowy</p>")])


def test_bulk_action_needs_allegro_description_permission(client, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("sklep", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="shop"))
    client.force_login(user)
    response = client.get(reverse("admin:shop_product_changelist"))
    assert response.status_code == 200
    assert "create_allegro_descriptions" not in response.content.decode()
