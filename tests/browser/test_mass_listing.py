"""A staff member lists a whole small category on Allegro ("Masowe wystawianie aukcji") in a real Chromium: the
form, the dry run, then the job's progress bar — updated by static/allegro/listing.js from the JSON status view —
reaching 100% with a link to each offer.

The job runs in-process: the task is applied (eagerly) on commit in a background thread, so the page really polls a
job that is still running (the emulator answers with 300 ms latency and the job uses one thread)."""

import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse

from allegro.categories.models import CategoryForm, MappingEnvironment
from allegro.categories.services.categories import category_mapping_set, category_parameters_fetch
from allegro.listing.models import ListingJob
from tests.factories import connect_account, make_category, make_emulator_app, make_ready_to_list
from tests.integration.allegro.listing.test_mass_listing import KETTLE, NOWY, STAN, kettle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def small_category(emulator, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ALLEGRO_LISTING_THREADS = 1
    app = make_emulator_app(emulator)
    account = make_ready_to_list(
        connect_account(emulator, app, name="Sklep na Allegro"),
        gpsr_producer="Bosch Polska",
        gpsr_safety_information="Nie zanurzać w wodzie.",
    )
    root = make_category("Czajniki")
    child = make_category("Czajniki elektryczne", parent=root)
    category_mapping_set(category=root, environment=MappingEnvironment.CUSTOM, allegro_category_id=KETTLE, app=app)
    category_parameters_fetch(app=app, allegro_id=KETTLE)
    CategoryForm.objects.create(allegro_category_id=KETTLE, values=[{"id": STAN, "valuesIds": [NOWY]}])
    products = [kettle(root, name=f"Czajnik elektryczny Bosch model {n} 1,7 l") for n in range(3)]
    products += [kettle(child, name=f"Czajnik szklany Amica model {n} 1,5 l") for n in range(2)]
    emulator.set_settings(latency_ms=300)
    return account, root, products


@pytest.fixture
def run_in_background(monkeypatch):
    """The task applied eagerly on commit, but in a thread: the request that started the job returns at once."""
    from allegro.listing.tasks import listing_job_run as task

    threads = []

    def delay_on_commit(job_id):
        def run():
            try:
                task.apply(args=[job_id])
            finally:
                connection.close()

        def start():
            thread = threading.Thread(target=run, daemon=True)
            threads.append(thread)
            thread.start()

        transaction.on_commit(start)

    monkeypatch.setattr(task, "delay_on_commit", delay_on_commit)
    yield threads
    for thread in threads:
        thread.join(30)


def test_mass_listing_of_a_small_category_reaches_100_percent(
    page, admin_login, small_category, run_in_background, emulator, screenshot
):
    account, root, products = small_category
    base = admin_login()

    # Sprzedaż → Masowe wystawianie aukcji (the jobs list) → the form
    page.goto(base + reverse("admin:allegro_listingjob_changelist"))
    page.click(f"a[href='{reverse('admin:allegro_listingjob_start')}'].addlink")
    page.select_option("#id_account", str(account.pk))
    page.select_option("#id_category", str(root.pk))
    assert page.is_checked("#id_only_visible") and page.is_checked("#id_only_in_stock")
    assert not page.is_checked("#id_allow_relisting")
    page.fill("#id_price_change_percent", "5")
    screenshot("mass-listing-01-formularz")

    # The dry run: five products would be listed, nothing is sent yet.
    page.click("input[name=preview]")
    page.wait_for_selector("#mass-listing-preview")
    assert page.locator("#mass-listing-preview-table tbody tr.listed").count() == 5
    assert not emulator.get("state/offers")["offers"]
    screenshot("mass-listing-02-podglad")

    page.click("#mass-listing-start")
    page.wait_for_url(f"{base}/admin/allegro/listingjob/*/progress/")
    job = ListingJob.objects.get()
    seen = []
    # listing.js polls the status JSON every second and moves the bar; the job needs ~3-4 s here.
    for _ in range(150):
        value = int(page.get_attribute("#listing-progress", "value") or 0)
        if not seen or seen[-1] != value:
            seen.append(value)
            if 0 < value < 100 and len(seen) <= 3:
                screenshot("mass-listing-03-w-toku")
        if value == 100 and page.locator("#listing-results-table tbody tr.listed").count() == 5:
            break
        page.wait_for_timeout(100)
    assert seen[-1] == 100, seen
    assert seen == sorted(seen) and len(seen) >= 2, seen  # it moved forward while we watched
    assert page.locator("#listing-progress-text").inner_text() == "100%"
    assert page.locator("#listing-succeeded").inner_text() == "5"
    assert page.locator("#listing-failed").inner_text() == "0"
    job.refresh_from_db()
    assert (job.status, job.succeeded) == ("done", 5)
    offer_links = page.locator("#listing-results-table tbody tr.listed a[target=_blank]")
    assert offer_links.count() == 5
    assert offer_links.first.get_attribute("href").startswith(f"{emulator.base_url}/oferta/")
    assert page.locator("#listing-cancel").count() == 0
    screenshot("mass-listing-04-gotowe")
    assert len(emulator.get("state/offers")["offers"]) == 5
