"""The description section editor in a real browser: build a three-section description with text and images,
reorder it (buttons and drag and drop), save, reload, preview — the saved JSON equals what the preview shows;
a script typed or pasted into the editor never runs in the admin or the preview."""

from __future__ import annotations

import json

import pytest

from allegro.descriptions.models import ProductAllegroDescription
from shop.models import ProductImage
from tests.factories import make_product
from tests.integration.allegro.descriptions.test_description_storage import add_images

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=1</script>"

# What the preview shows, read back as Allegro's shape: text items as the preview's own HTML, images by the URL
# they were built from.
READ_PREVIEW = """root => Array.from(root.querySelectorAll('.de-pv-section')).map(section => ({
  items: Array.from(section.children).map(item => item.classList.contains('de-pv-text')
    ? {type: 'TEXT', content: item.innerHTML}
    : {type: 'IMAGE', url: item.querySelector('[data-url]').getAttribute('data-url')})
}))"""


def editor_json(page) -> dict:
    return json.loads(page.eval_on_selector("textarea.description-editor-json[name$='-description']", "e => e.value"))


def section(page, n: int):
    return page.locator(".description-editor .de-section").nth(n)


def wait_for_text_editors(page, count: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('.description-editor .de-section .ck-editor__editable').length === n", arg=count
    )


def preview_sections(page) -> list[dict]:
    return page.eval_on_selector(".description-editor .de-preview-body", READ_PREVIEW)


def assert_no_script_ran(page) -> None:
    page.wait_for_timeout(400)  # an <img onerror> would fire once the broken image fails to load
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("document.querySelectorAll('.de-preview script, .de-preview img[onerror]').length") == 0


@pytest.mark.xss_probe
def test_build_reorder_save_reload_preview_and_no_script_runs(page, admin_login, screenshot, live_server):
    url = admin_login()
    product = make_product(name="Czajnik elektryczny", description="<h2>O produkcie</h2><p>Opis <b>sklepu</b></p>")
    images = add_images(product, 3)
    change_url = f"{url}/admin/shop/product/{product.pk}/change/"
    page.goto(change_url)
    wait_for_text_editors(page, 1)

    # Section 1 starts as the description generated from the shop's HTML; type unsafe text into it.
    assert editor_json(page) == {
        "sections": [{"items": [{"type": "TEXT", "content": "<h2>O produkcie</h2><p>Opis <b>sklepu</b></p>"}]}]
    }
    editable = section(page, 0).locator(".ck-editor__editable")
    editable.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type(XSS_IMG)
    page.keyboard.press("Enter")
    page.keyboard.type(XSS_SCRIPT)
    # ...and paste unsafe HTML, as from a web page
    page.eval_on_selector(
        ".description-editor .de-section .ck-editor__editable",
        """(el, html) => { const dt = new DataTransfer(); dt.setData('text/html', html); dt.setData('text/plain', 'x');
            el.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true})); }""",
        f'<p>Wklejony <strong>tekst</strong></p>{XSS_IMG}{XSS_SCRIPT}<svg onload="window.__xss=1"></svg>',
    )
    page.wait_for_function("() => document.querySelector('.de-preview-body').textContent.includes('Wklejony')")

    # Section 2: one product image picked from the thumbnails (keyboard: focus + Enter).
    page.get_by_role("button", name="Dodaj sekcję na końcu opisu").click()
    section(page, 1).get_by_label("Układ sekcji 2").select_option("image")
    thumb = section(page, 1).locator(f".de-thumb[data-ref='product-image:{images[0].pk}']")
    thumb.focus()
    page.keyboard.press("Enter")
    assert thumb.get_attribute("aria-pressed") == "true"

    # Section 3: text + image.
    page.get_by_role("button", name="Dodaj sekcję na końcu opisu").click()
    section(page, 2).get_by_label("Układ sekcji 3").select_option("text-image")
    wait_for_text_editors(page, 2)
    section(page, 2).locator(".ck-editor__editable").click()
    page.keyboard.type("Trzecia sekcja ")
    page.keyboard.press("Control+B")
    page.keyboard.type("pogrubiona")
    section(page, 2).locator(f".de-thumb[data-ref='product-image:{images[2].pk}']").click()
    assert page.locator(".de-counter-sections").text_content() == "Sekcje: 3 / 100"

    built = editor_json(page)
    first, second, third = built["sections"]
    assert second == {"items": [{"type": "IMAGE", "url": f"product-image:{images[0].pk}"}]}
    assert third == {
        "items": [
            {"type": "TEXT", "content": "<p>Trzecia sekcja <b>pogrubiona</b></p>"},
            {"type": "IMAGE", "url": f"product-image:{images[2].pk}"},
        ]
    }
    # Typed markup is text, pasted markup is reduced to what Allegro allows.
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in first["items"][0]["content"]
    assert "&lt;img src=x onerror=" in first["items"][0]["content"]
    assert "Wklejony <b>tekst</b></p>" in first["items"][0]["content"]
    assert not any(tag in first["items"][0]["content"] for tag in ("<img", "<script", "<svg"))
    assert preview_sections(page) == built["sections"]
    bytes_shown = int(page.locator(".description-editor.de-ready").get_attribute("data-bytes"))
    assert bytes_shown == len(json.dumps(built, ensure_ascii=False, separators=(",", ":")).encode())
    assert_no_script_ran(page)
    screenshot("description-editor-built")

    # Reorder: section 3 up with its button (keyboard), then section 1 dragged below the last one.
    section(page, 2).get_by_role("button", name="Przesuń sekcję 3 w górę").focus()
    page.keyboard.press("Enter")
    assert [s["items"][0]["type"] for s in editor_json(page)["sections"]] == ["TEXT", "TEXT", "IMAGE"]
    assert editor_json(page)["sections"][1] == third
    # HTML5 drag and drop needs source and target on screen at once: the sections are tall, so is the window.
    page.set_viewport_size({"width": 1366, "height": 3200})
    last = section(page, 2)
    box = last.bounding_box()
    section(page, 0).locator(".de-handle").drag_to(last, target_position={"x": 20, "y": box["height"] - 5})
    reordered = editor_json(page)["sections"]
    assert reordered == [third, second, first]
    assert preview_sections(page) == reordered

    # Save, reload: what is stored is what the preview shows.
    page.get_by_role("button", name="Zapisz i kontynuuj edycję").click()
    page.wait_for_url(change_url)
    assert page.locator(".errornote").count() == 0
    stored = ProductAllegroDescription.objects.get(product=product).description
    assert stored == {"sections": reordered}
    page.reload()
    wait_for_text_editors(page, 2)
    assert editor_json(page) == stored
    assert preview_sections(page) == stored["sections"]
    preview_images = page.eval_on_selector_all(".de-preview-body img", "imgs => imgs.map(i => i.getAttribute('src'))")
    assert preview_images == [
        ProductImage.objects.get(pk=images[2].pk).image.url,
        ProductImage.objects.get(pk=images[0].pk).image.url,
    ]
    assert_no_script_ran(page)
    screenshot("description-editor-saved")


@pytest.mark.xss_probe
def test_unsafe_stored_description_never_runs_in_editor_or_preview(page, admin_login, screenshot):
    """Even a description written to the database behind the form's back (not cleaned) is shown inertly."""
    url = admin_login()
    product = make_product(description="<p>Sklep</p>")
    ProductAllegroDescription.objects.create(
        product=product,
        description={
            "sections": [
                {
                    "items": [
                        {"type": "TEXT", "content": f"<h1 onclick='x()'>Tytuł</h1>{XSS_IMG}{XSS_SCRIPT}<p>Tekst</p>"}
                    ]
                },
                {"items": [{"type": "IMAGE", "url": "javascript:window.__xss=1"}]},
                {"items": [{"type": "TEXT", "content": '<p><a href="javascript:window.__xss=1">klik</a></p>'}]},
            ]
        },
    )
    page.goto(f"{url}/admin/shop/product/{product.pk}/change/")
    wait_for_text_editors(page, 2)
    preview = preview_sections(page)
    assert preview[0]["items"][0] == {"type": "TEXT", "content": "<h1>Tytuł</h1><p>Tekst</p>"}
    assert preview[1]["items"][0] == {"type": "IMAGE", "url": "javascript:window.__xss=1"}
    assert page.eval_on_selector_all(".de-preview-body img", "imgs => imgs.length") == 0
    assert page.eval_on_selector_all(".de-preview-body a", "links => links.length") == 0
    page.locator(".de-preview-body").click()
    assert_no_script_ran(page)
    screenshot("description-editor-unsafe-input")


def test_template_editor_offers_placeholders_and_main_image(page, admin_login, screenshot):
    url = admin_login()
    add_images(make_product(name="Przykładowy produkt", description="<p>Opis</p>"), 1)
    page.goto(f"{url}/admin/allegro/descriptiontemplate/add/")
    page.fill("#id_name", "Standardowy")
    header = page.locator(".field-header .description-editor")
    header.get_by_role("button", name="Dodaj sekcję na końcu opisu").click()
    page.wait_for_function("() => document.querySelectorAll('.field-header .ck-editor__editable').length === 1")
    header.locator(".ck-editor__editable").click()
    page.keyboard.type("{{ nazwa }} za {{ cena }}")
    footer = page.locator(".field-footer .description-editor")
    footer.get_by_role("button", name="Dodaj sekcję na końcu opisu").click()
    footer.get_by_label("Układ sekcji 1").select_option("image")
    footer.get_by_role("button", name="Wstaw zdjęcie główne produktu (znacznik {{ zdjecie_glowne }})").click()
    page.get_by_role("button", name="Zapisz i kontynuuj edycję").click()
    page.wait_for_selector(".field-preview .de-offer")
    preview = page.locator(".field-preview .de-offer").inner_text()
    assert "Przykładowy produkt za 99,99 zł" in preview
    assert "Opis" in preview
    assert page.locator(".field-preview .de-offer img").count() == 1
    screenshot("description-template")


def test_image_uploaded_in_the_editor_becomes_a_product_image_and_is_picked(page, admin_login):
    from tests.integration.allegro.descriptions.test_description_storage import png_file

    url = admin_login()
    product = make_product(description="<p>Bez zdjęć</p>")
    page.goto(f"{url}/admin/shop/product/{product.pk}/change/")
    wait_for_text_editors(page, 1)
    page.get_by_role("button", name="Dodaj sekcję na końcu opisu").click()
    section(page, 1).get_by_label("Układ sekcji 2").select_option("image")
    upload = png_file("nowe.png")
    section(page, 1).get_by_label("Prześlij nowe zdjęcie:").set_input_files(
        {"name": "nowe.png", "mimeType": "image/png", "buffer": upload.read()}
    )
    page.wait_for_selector(".de-ready .de-section >> nth=1 >> .de-thumb[aria-pressed='true']")
    image = ProductImage.objects.get(product=product)
    assert editor_json(page)["sections"][1] == {"items": [{"type": "IMAGE", "url": f"product-image:{image.pk}"}]}
    # the new picture is offered in every image item of the page
    assert page.locator(f".de-ready .de-thumb[data-ref='product-image:{image.pk}']").count() == 1
    page.get_by_role("button", name="Zapisz i kontynuuj edycję").click()
    page.wait_for_load_state()
    assert ProductAllegroDescription.objects.get(product=product).description["sections"][1] == {
        "items": [{"type": "IMAGE", "url": f"product-image:{image.pk}"}]
    }


def test_text_toolbar_offers_exactly_what_allegro_accepts(page, admin_login):
    url = admin_login()
    product = make_product(description="<p>Tekst</p>")
    page.goto(f"{url}/admin/shop/product/{product.pk}/change/")
    wait_for_text_editors(page, 1)
    toolbar = section(page, 0).locator(".ck-toolbar__items")
    labels = toolbar.locator(":scope > .ck-button, :scope > .ck-dropdown").evaluate_all(
        "nodes => nodes.map(n => n.querySelector('.ck-button__label').textContent)"
    )
    assert labels == ["Akapit", "Pogrubienie", "Lista wypunktowana", "Lista numerowana"]
    toolbar.locator(".ck-heading-dropdown .ck-dropdown__button").click()
    options = toolbar.locator(".ck-heading-dropdown .ck-list__item .ck-button__label").all_text_contents()
    assert options == ["Akapit", "Nagłówek 1", "Nagłówek 2"]
