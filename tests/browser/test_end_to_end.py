"""The whole seed workflow as a shop owner, in a real Chromium against the offline Allegro emulator.

Everything the owner does is clicked in the panel: the app on "REST API – aplikacje", a new account authorised on
Allegro's consent page ("Zezwól"), after-sales conditions picked from dropdowns, the location, a delivery price
list saved to Allegro, the delivery-method mapping, a shop category mapped in the Allegro tree, its category form,
an offer template, one product listed with "Wystaw na Allegro", a whole category mass-listed, orders imported with
"Importuj zamówienia teraz", "Synchronizuj aukcje", restocking and "Wystaw ponownie", and the event log of the offer.
What the owner does not click is done where it happens: a buyer presses "Kup teraz" on the emulator's allegro.pl
offer page (in the same browser).

Each step saves a screenshot into docs/img/ — the user guide (docs/instrukcja.md) and the README show them.
Celery runs eagerly in tests, so the buttons that start background work finish within their own request.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from allegro.accounts.models import AllegroAccount, AllegroApp, ConnectionState
from allegro.categories.models import CategoryForm, CategoryMapping, ProductParameters
from allegro.core.models import EventLogEntry
from allegro.descriptions.models import DescriptionTemplate
from allegro.listing.models import ListingJob
from allegro.offers.models import Offer, OfferStatus
from allegro.shipping.models import ShippingRateSet
from allegro.sync.models import SyncJob
from orders.models import Order
from shop.models import Customer, DeliveryMethod, Product
from tests.factories import add_product_image, make_category, make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
CLIENT_ID, CLIENT_SECRET = "moj-sklep-client", "moj-sklep-secret"
KETTLE = "300407"  # Elektronika › RTV i AGD › AGD drobne › Czajniki elektryczne
COURIER = "Allegro Kurier24 InPost"  # the emulator's buyers choose it unless told otherwise


@pytest.fixture
def shot(page):
    """``shot("01-aplikacja")`` saves docs/img/01-aplikacja.png (committed: the guide and the README use them)."""
    DOCS_IMG.mkdir(parents=True, exist_ok=True)

    def take(name: str, *, full_page: bool = False, top: bool = True) -> Path:
        path = DOCS_IMG / f"{name}.png"
        if top and not full_page:
            page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def catalogue(settings, tmp_path):
    """A small shop: one category of kettles (four visible products with pictures, one hidden) and a delivery
    method. The first kettle has two pieces: the second purchase sells it out."""
    settings.MEDIA_ROOT = tmp_path
    kettles = make_category("Czajniki")
    products = []
    for n, (name, stock, colour) in enumerate(
        [
            ("Czajnik elektryczny Bosch TWK 3A011 stal nierdzewna 1,7 l", 2, (30, 120, 200)),
            ("Czajnik elektryczny Philips HD9350 1,7 l", 6, (200, 60, 40)),
            ("Czajnik szklany Tefal KI 7708 1,7 l", 4, (40, 160, 90)),
        ]
    ):
        product = make_product(
            category=kettles,
            name=name,
            sku=f"CZAJ-{n + 1:03d}",
            brand=name.split()[2],
            price=Decimal("149.99") + 20 * n,
            stock=stock,
            description=f"<h2>{name}</h2><p>Gotuje <b>szybko</b> i cicho. Pojemność 1,7 l.</p>",
        )
        add_product_image(product, name=f"czajnik-{n}.jpg", size=(400, 300), color=colour, format="JPEG")
        products.append(product)
    make_product(category=kettles, name="Czajnik z wyprzedaży (ukryty)", sku="CZAJ-900", visible=False)
    DeliveryMethod.objects.create(name="Kurier InPost", price=Decimal("16.99"))
    DeliveryMethod.objects.create(name="Odbiór osobisty", price=Decimal("0.00"))
    return kettles, products


def _select_first_real_option(page, selector: str) -> str:
    """Choose the first option after "—" of a dropdown filled from Allegro; returns its value."""
    value = page.locator(f"{selector} option").nth(1).get_attribute("value")
    page.select_option(selector, value)
    return value


def _emulated(emulator, offer_id: str) -> dict:
    """The emulator's own view of an offer (status, stock) — what allegro.pl shows buyers."""
    return {o["id"]: o for o in emulator.get("state/offers")["offers"]}[offer_id]


def _submit(page, target) -> None:
    """Click a submit button (a locator or a selector) and wait for the page it leads to."""
    with page.expect_navigation():
        (page.locator(target) if isinstance(target, str) else target).click()


def _submit_action(page, action: str) -> None:
    page.select_option("select[name=action]", action)
    _submit(page, "button[name=index]")


def test_shop_owner_workflow_end_to_end(page, live_server, admin_login, emulator, settings, catalogue, shot):
    settings.SELLY_PUBLIC_URL = live_server.url
    settings.ALLEGRO_SYNC_DEBOUNCE_SECONDS = None  # "Synchronizuj aukcje" does the work, not a timer
    settings.ALLEGRO_LISTING_THREADS = 1
    settings.ALLEGRO_COMMAND_WAIT_SECONDS = 20
    emulator.set_settings(command_task_seconds=0)
    kettles, (bosch, philips, tefal) = catalogue
    base = admin_login()

    # 1. The app registered at apps.developer.allegro.pl (here: at the emulator) with the panel's redirect URI.
    page.goto(base + reverse("admin:allegro_allegroapp_add"))
    redirect_uri = page.input_value("#allegro-redirect-uri")
    assert redirect_uri == f"{live_server.url}/allegro/oauth/callback/"
    emulator.post("apps", {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [redirect_uri]})
    page.fill("#id_name", "Mój sklep")
    page.select_option("#id_environment", "custom")
    page.fill("#id_client_id", CLIENT_ID)
    page.fill("#id_client_secret", CLIENT_SECRET)
    page.locator("fieldset.collapse summary, fieldset.collapse h2").first.click()
    page.fill("#id_api_url", emulator.base_url)
    page.fill("#id_auth_url", emulator.base_url)
    page.fill("#id_upload_url", emulator.base_url)
    shot("01-aplikacja", full_page=True)
    page.locator("input[name=_save]").click()
    page.wait_for_url(base + reverse("admin:allegro_allegroapp_changelist"))
    app = AllegroApp.objects.get()
    assert app.client_secret == CLIENT_SECRET and CLIENT_SECRET not in page.content()

    # 2. A new account, authorised on Allegro's consent page.
    page.goto(base + reverse("admin:allegro_allegroaccount_add"))
    page.fill("#id_name", "Sklep na Allegro")
    page.select_option("#id_app", str(app.pk))
    page.locator("input[name=_continue]").click()
    page.wait_for_url("**/allegroaccount/*/change/")
    account = AllegroAccount.objects.get()
    page.get_by_role("link", name="Autoryzacja").first.click()
    shot("02-autoryzacja")
    page.get_by_role("button", name="Autoryzacja").click()
    page.wait_for_url(f"{emulator.base_url}/auth/oauth/authorize*")
    shot("03-zgoda-allegro")
    page.get_by_role("button", name="Zezwól").click()
    page.wait_for_url(base + reverse("admin:allegro_allegroaccount_change", args=[account.pk]))
    assert "zostało połączone z Allegro" in page.content()
    account.refresh_from_db()
    assert (account.state, account.login) == (ConnectionState.CONNECTED, "demo-seller")

    # 3. After-sales conditions from the dropdowns ("Odśwież listy z Allegro" first), location, sync switches.
    _submit(page, page.get_by_role("button", name="Odśwież listy z Allegro"))
    assert "Pobrano listy z Allegro." in page.locator(".messagelist .success").inner_text()
    warranty = _select_first_real_option(page, "#id_warranty_id")
    implied = _select_first_real_option(page, "#id_implied_warranty_id")
    returns = _select_first_real_option(page, "#id_return_policy_id")
    page.select_option("#id_location_province", "WIELKOPOLSKIE")
    page.fill("#id_location_city", "Poznań")
    page.fill("#id_location_post_code", "60-166")
    page.fill("#id_gpsr_producer", "Bosch Polska")
    page.fill("#id_gpsr_safety_information", "Nie zanurzać w wodzie.")
    for switch in ("sync_import_orders", "sync_stock", "sync_close_sold_out"):
        page.check(f"#id_{switch}")
    shot("04-konto-warunki", full_page=True)
    _submit(page, page.locator("input[name=_continue]"))
    page.wait_for_selector(".messagelist .success")
    account.refresh_from_db()
    assert (account.warranty_id, account.implied_warranty_id, account.return_policy_id) == (warranty, implied, returns)
    assert (account.location_city, account.sync_stock, account.sync_renew_ended) == ("Poznań", True, False)
    assert account.gpsr_producer == "Bosch Polska"

    # 4. A delivery price list, saved to Allegro and made the account's default.
    page.goto(base + reverse("admin:allegro_shippingrateset_add"))
    page.select_option("#id_account", str(account.pk))
    page.fill("#id_name", "Cennik sklepu")
    row = page.locator("#rates-0")
    row.locator(".select2-selection").click()
    page.fill(".select2-search__field", "Kurier24 InPost")
    page.locator(".select2-results__option[role=option]", has_text=COURIER).first.click()
    row.locator("input[name$=first_item_rate]").fill("16.99")
    row.locator("input[name$=max_quantity_per_package]").fill("5")
    shot("05-cennik-dostawy", full_page=True)
    _submit(page, page.locator("input[name=_continue]"))
    page.wait_for_selector(".messagelist .success")
    rate_set = ShippingRateSet.objects.get(name="Cennik sklepu")
    assert rate_set.allegro_id
    _submit(page, page.get_by_role("button", name="Ustaw jako domyślny cennik konta"))
    page.wait_for_selector(".messagelist .success")
    account.refresh_from_db()
    assert account.shipping_rates_id == rate_set.allegro_id

    # 5. Allegro delivery methods mapped to the shop's ones (imported orders get them).
    page.goto(base + reverse("admin:allegro_deliverymethodmapping_changelist"))
    page.fill("#allegro-mapping-filter", "kurier24 inpost")
    page.get_by_label(COURIER, exact=True).select_option(label="Kurier InPost")
    shot("06-mapowanie-dostaw")
    _submit(page, page.locator("#allegro-mapping-form input[type=submit]"))
    page.wait_for_selector(".messagelist .success")

    # 6. The shop category mapped to an Allegro leaf in the tree browser.
    page.goto(base + reverse("admin:allegro_categorymapping_changelist") + "?env=custom")
    page.locator(f'button.ac-open[data-category="{kettles.pk}"]').click()
    picker = page.locator("#ac-picker")
    for level in ("Elektronika", "RTV i AGD", "AGD drobne", "Czajniki elektryczne"):
        picker.get_by_role("button", name=level, exact=True).click()
    page.wait_for_function("() => document.querySelector('#ac-chosen').textContent.includes('300407')")
    shot("07-mapowanie-kategorii")
    _submit(page, "#ac-save")
    page.wait_for_selector(".messagelist .success")
    assert CategoryMapping.objects.get().allegro_category_id == KETTLE

    # 7. Its category form: the values every kettle's offer shares ("Stan"). The parameters that describe the
    # product ("Pojemność", "Kod producenta") are each kettle's own: pasted for all of them from a spreadsheet.
    page.goto(base + reverse("admin:allegro_categoryform_changelist") + "?env=custom")
    page.get_by_role("link", name="Edytuj formularz").click()
    page.select_option("#id-param-11323", label="Nowy")
    assert page.locator("label", has_text="Pojemność").count() == 0
    shot("08-formularz-kategorii", full_page=True)
    _submit(page, "#ac-save-form")
    page.wait_for_selector(".messagelist .success")
    assert {"id": "11323", "valuesIds": ["11323_1"]} in CategoryForm.objects.get(allegro_category_id=KETTLE).values
    page.get_by_role("link", name="Parametry produktów").click()
    page.wait_for_selector("#ac-product-parameters")
    rows = ["SKU\tPojemność\tKod producenta"] + [f"CZAJ-{n:03d}\t1,7\tCZAJNIK-{n}" for n in (1, 2, 3)]
    page.fill("#id_pasted", "\n".join(rows))
    shot("08b-parametry-produktow", full_page=True)
    _submit(page, "#ac-save-product-parameters")
    page.wait_for_selector(".messagelist .success")
    assert ProductParameters.objects.filter(allegro_category_id=KETTLE).count() == 3

    # 8. An offer template: a header and a footer around each product's own description.
    page.goto(base + reverse("admin:allegro_descriptiontemplate_add"))
    page.fill("#id_name", "Szablon sklepu")
    for part, text in (("header", "Sklep Selly poleca: {{ nazwa }}"), ("footer", "Wysyłka w 24 godziny. Zapraszamy!")):
        editor = page.locator(f".field-{part} .description-editor")
        editor.get_by_role("button", name="Dodaj sekcję na końcu opisu").click()
        page.wait_for_function(f"() => document.querySelectorAll('.field-{part} .ck-editor__editable').length === 1")
        editor.locator(".ck-editor__editable").click()
        page.keyboard.type(text)
    # ...used by default for the kettles (mass listing picks it up; subcategories inherit it)
    page.locator(".inline-group .add-row a").click()
    page.select_option("select[name$='-0-category']", str(kettles.pk))
    page.get_by_role("button", name="Zapisz i kontynuuj edycję").click()
    page.wait_for_selector(".field-preview .de-offer")
    assert "Wysyłka w 24 godziny" in page.locator(".field-preview .de-offer").inner_text()
    shot("09-szablon", full_page=True)
    template = DescriptionTemplate.objects.get()
    assert list(template.categories.values_list("category", flat=True)) == [kettles.pk]

    # 9. One product listed with "Wystaw na Allegro" and ZAPISZ.
    page.goto(base + reverse("admin:allegro_offer_list_product", args=[bosch.pk]))
    page.wait_for_selector("#ao-form")
    assert page.input_value("#id_quantity") == "2"
    page.fill("#id_title", "Czajnik Bosch TWK 3A011 stal nierdzewna 1,7 l")
    if page.locator("#id_template").count():
        page.select_option("#id_template", str(template.pk))
    page.fill("#id_responsible_producer_id", "Bosch Polska")
    page.fill("#id_safety_information", "Nie zanurzać w wodzie. Chronić przed dziećmi.")
    shot("10-wystaw-na-allegro")
    page.click("#ao-save")
    page.wait_for_url("**/admin/allegro/offer/*/change/")
    offer = Offer.objects.get(product=bosch)
    assert offer.status == OfferStatus.ACTIVE and offer.allegro_id
    assert "Wysyłka w 24 godziny" in json.dumps(offer.request_payload["description"], ensure_ascii=False)
    shot("11-aukcja-wystawiona")
    web_url = page.get_attribute("#ao-web-link", "href")

    # 10. Mass listing of the whole category: the dry run's triage, then the job to 100%.
    page.goto(base + reverse("admin:allegro_offer_changelist"))
    page.locator(f".object-tools a[href='{reverse('admin:allegro_listingjob_start')}']").click()
    page.select_option("#id_account", str(account.pk))
    page.select_option("#id_category", str(kettles.pk))
    page.click("input[name=preview]")
    page.wait_for_selector("#mass-listing-preview")
    assert page.locator("#mass-listing-preview-table tbody tr.listed").count() == 2
    assert "Czajnik elektryczny Bosch" in page.locator("#mass-listing-preview").inner_text()  # already listed
    shot("12-masowe-wystawianie-podglad", full_page=True)
    page.click("#mass-listing-start")
    page.wait_for_url(f"{base}/admin/allegro/listingjob/*/progress/")
    page.wait_for_function("() => document.querySelector('#listing-progress-text').textContent.trim() === '100%'")
    assert page.locator("#listing-succeeded").inner_text() == "2"
    assert page.locator("#listing-failed").inner_text() == "0"
    shot("13-masowe-wystawianie-gotowe", full_page=True)
    assert ListingJob.objects.get().succeeded == 2
    assert {o.product_id for o in Offer.objects.filter(status=OfferStatus.ACTIVE)} == {bosch.pk, philips.pk, tefal.pk}
    mass_listed = Offer.objects.get(product=philips)
    assert "Sklep Selly poleca" in json.dumps(mass_listed.request_payload["description"], ensure_ascii=False)

    # 11. A buyer buys one piece on allegro.pl (the emulator's offer page).
    page.goto(web_url)
    assert "Dostępnych sztuk: 2" in page.content()
    shot("14-oferta-na-allegro")
    page.get_by_role("button", name="Kup teraz").click()
    page.wait_for_selector("#checkout-form-id")
    shot("15-zakup-na-allegro")
    first_form = page.inner_text("#checkout-form-id")

    # 12. "Importuj zamówienia teraz": the order arrives with a new customer; the shop's stock falls.
    page.goto(base + reverse("admin:allegro_ordereventcursor_changelist"))
    page.locator("input[name=_selected_action]").first.check()
    _submit_action(page, "import_now")
    page.wait_for_selector(".messagelist li")
    shot("16-import-zamowien")
    order = Order.objects.get()
    assert first_form in order.external_key
    assert order.delivery_method.name == "Kurier InPost"
    bosch.refresh_from_db()
    assert bosch.stock == 1
    assert _emulated(emulator, offer.allegro_id)["stock_available"] == 1
    customer = order.customer
    login = customer.allegro_identities.get().login
    assert Customer.objects.count() == 1
    page.goto(base + reverse("admin:orders_order_change", args=[order.pk]))
    assert login in page.content() and first_form in page.content()
    shot("17-zamowienie", full_page=True)
    page.goto(base + reverse("admin:shop_customer_changelist") + f"?q={login}")
    assert page.locator("#result_list tbody tr").count() == 1
    shot("18-klient-z-allegro")

    # 13. The buyer (another one) takes the last piece: Allegro ends the offer; import and "Synchronizuj aukcje".
    page.goto(web_url)
    assert "Dostępnych sztuk: 1" in page.content()
    page.get_by_role("button", name="Kup teraz").click()
    page.wait_for_selector("#checkout-form-id")
    page.goto(base + reverse("admin:allegro_ordereventcursor_changelist"))
    page.locator("input[name=_selected_action]").first.check()
    _submit_action(page, "import_now")
    page.wait_for_selector(".messagelist li")
    assert Order.objects.count() == 2 and Customer.objects.count() == 2
    bosch.refresh_from_db()
    assert bosch.stock == 0

    page.goto(base + reverse("admin:allegro_offer_changelist"))
    page.locator("a.allegro-sync-all").click()
    shot("19-synchronizuj-aukcje")
    page.click("#sync-run")
    page.wait_for_url(base + reverse("admin:allegro_syncjob_progress", args=[SyncJob.objects.latest("pk").pk]))
    emulated = _emulated(emulator, offer.allegro_id)
    assert (emulated["status"], emulated["stock_available"]) == ("ENDED", 0)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ENDED
    page.goto(base + reverse("admin:allegro_offer_changelist") + "?status=ended")
    assert page.locator("#result_list tbody tr").count() == 1
    assert "zakończone" in page.locator("#result_list tbody tr").inner_text()
    shot("20-aukcja-zakonczona")

    # 14. Restock in the shop, then "Wystaw ponownie (aukcje zakończone)".
    page.goto(base + reverse("admin:shop_product_change", args=[bosch.pk]))
    page.fill("#id_stock", "5")
    _submit(page, page.locator("input[name=_save]"))
    page.wait_for_selector(".messagelist .success")
    assert Product.objects.get(pk=bosch.pk).stock == 5
    page.goto(base + reverse("admin:allegro_offer_changelist") + "?status=ended")
    page.locator("input[name=_selected_action]").first.check()
    _submit_action(page, "relist_ended")
    page.wait_for_selector("#relist-form")
    shot("21-wystaw-ponownie")
    _submit(page, "#relist-apply")
    page.wait_for_selector(".messagelist .success")
    renewed = Offer.objects.filter(product=bosch, status=OfferStatus.ACTIVE).get()
    emulated = _emulated(emulator, renewed.allegro_id)
    assert (emulated["status"], emulated["stock_available"]) == ("ACTIVE", 5)

    # 15. Every step of this offer in the event log ("Dziennik zdarzeń", filtered by the offer).
    page.goto(base + reverse("admin:allegro_offer_change", args=[renewed.pk]))
    page.click("#ao-events")
    page.wait_for_url(f"**/admin/allegro/eventlogentry/?offer_id={renewed.allegro_id}")
    rows = page.locator("#result_list tbody tr")
    actions = list(EventLogEntry.objects.filter(offer_id=renewed.allegro_id).values_list("action", flat=True))
    # listed by the owner, ended by the sync at zero stock, quantity and activation confirmed by the renewal
    assert {"offer_published", "sync end", "sync quantity", "sync activate"} <= set(actions), actions
    assert rows.count() == len(actions)
    assert "Wystawiona przez admin" in page.locator("#result_list").inner_text()
    page.set_viewport_size({"width": 1680, "height": 900})  # room for the message column
    shot("22-dziennik-zdarzen")
