"""The mass-listing pages: the form with the current account, the dry run, starting a job (Celery runs it
eagerly on commit in tests), the progress page and its JSON, "Wystaw na Allegro" on the product list, cancel and
"Ponów nieudane"."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from allegro.accounts.selectors import CURRENT_ACCOUNT_SESSION_KEY
from allegro.listing.models import ListingJob, ListingJobItem
from tests.integration.allegro.listing.test_mass_listing import account, emulator_offers, kettle, tree  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

START = "admin:allegro_listingjob_start"


def form_data(seller, category, **extra):
    data = {
        "account": seller.pk,
        "category": category.pk if category else "",
        "only_visible": "on",
        "only_in_stock": "on",
        "template": "",
        "price_change_percent": "",
        "duration": "keep",
        "quantity": "",
    }
    data.update(extra)
    return data


@pytest.fixture
def panel(staff_client, account):  # noqa: F811
    session = staff_client.session
    session[CURRENT_ACCOUNT_SESSION_KEY] = str(account.pk)
    session.save()
    return staff_client


def test_form_preselects_the_current_account_and_requires_a_category(panel, account, tree):  # noqa: F811
    page = panel.get(reverse(START))
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(rf'<option value="{account.pk}" selected>', html)
    assert "Kolejna aukcja tego przedmiotu" in html or "Another offer of this item" in html

    page = panel.post(reverse(START), form_data(account, None, preview="1"))
    assert page.status_code == 200 and "errorlist" in page.content.decode()
    assert not ListingJob.objects.exists()


def test_dry_run_then_start_then_progress(panel, account, tree, emulator):  # noqa: F811
    root, child, _other = tree
    listed = [kettle(root), kettle(child)]
    hidden = kettle(root, visible=False)
    no_image = kettle(child, image=False)

    page = panel.post(reverse(START), form_data(account, root, preview="1"))
    html = page.content.decode()
    assert page.status_code == 200 and 'id="mass-listing-preview"' in html
    assert html.count('<tr class="listed">') == 2 and html.count('<tr class="skipped">') == 2
    assert html.count('<td class="price">') == 4 and " zł</td>" in html  # the price each would be listed at
    assert hidden.sku in html and no_image.sku in html and 'id="mass-listing-start"' in html
    assert 'id="mass-listing-triage"' in html  # the triage summary with a link to fix the product
    assert reverse("admin:shop_product_change", args=[no_image.pk]) in html
    assert not ListingJob.objects.exists() and not emulator_offers(emulator)

    page = panel.post(reverse(START), form_data(account, root, start="1"))
    job = ListingJob.objects.get()
    assert page.status_code == 302 and page["Location"] == reverse("admin:allegro_listingjob_progress", args=[job.pk])
    job.refresh_from_db()  # run by the eager task on commit
    assert (job.status, job.succeeded, job.skipped, job.failed) == ("done", 2, 2, 0)
    assert job.created_by.username == "pracownik"

    page = panel.get(page["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and 'value="100"' in html
    for product in listed:
        offer = job.items.get(product=product).offer
        assert f'href="{account.app.url("web")}/oferta/{offer.allegro_id}"' in html
    assert 'id="listing-cancel"' not in html  # finished
    assert 'id="listing-retry"' not in html  # nothing failed

    status = panel.get(reverse("allegro:listing_job_status", args=[job.pk])).json()
    assert status == {
        "id": job.pk,
        "status": "done",
        "status_label": status["status_label"],
        "total": 4,
        "done": 4,
        "succeeded": 2,
        "skipped": 2,
        "failed": 0,
        "percent": 100,
        "finished": True,
    }
    failed_only = panel.get(reverse("admin:allegro_listingjob_progress", args=[job.pk]) + "?result=skipped")
    assert failed_only.content.decode().count('<tr class="skipped"') == 2

    jobs = panel.get(reverse("admin:allegro_listingjob_changelist"))
    assert jobs.status_code == 200 and f"#{job.pk}" in jobs.content.decode()


def test_product_list_action_lists_the_selection(panel, account, tree, emulator):  # noqa: F811
    root, _child, other = tree
    chosen = [kettle(root), kettle(root)]
    kettle(root)  # not selected
    page = panel.post(
        reverse("admin:shop_product_changelist"),
        {"action": "list_on_allegro", ACTION_CHECKBOX_NAME: [p.pk for p in chosen]},
    )
    assert page.status_code == 302 and page["Location"] == reverse(START) + "?selection=1"
    page = panel.get(page["Location"])
    assert "2" in page.content.decode()

    page = panel.post(reverse(START) + "?selection=1", form_data(account, None, selection="1", preview="1"))
    html = page.content.decode()
    assert html.count('<tr class="listed">') == 2

    panel.post(reverse(START) + "?selection=1", form_data(account, None, selection="1", start="1"))
    job = ListingJob.objects.get()
    assert job.category is None and sorted(job.options["product_ids"]) == sorted(p.pk for p in chosen)
    assert job.succeeded == 2 and len(emulator_offers(emulator)) == 2


def test_retry_and_cancel_buttons(panel, account, tree, emulator):  # noqa: F811
    root, _child, _other = tree
    kettle(root)
    emulator.add_fault(
        "^/sale/product-offers$",
        method="POST",
        status=422,
        times=1,
        body={
            "errors": [
                {
                    "code": "X",
                    "message": "x",
                    "path": "name",
                    "userMessage": "Niedozwolony tytuł.",
                    "details": None,
                    "metadata": {},
                }
            ]
        },
    )
    panel.post(reverse(START), form_data(account, root, start="1"))
    job = ListingJob.objects.get()
    assert job.failed == 1
    page = panel.get(reverse("admin:allegro_listingjob_progress", args=[job.pk]))
    html = page.content.decode()
    assert "Niedozwolony tytuł." in html and 'id="listing-retry"' in html

    page = panel.post(reverse("admin:allegro_listingjob_retry", args=[job.pk]))
    retry = ListingJob.objects.exclude(pk=job.pk).get()
    assert page["Location"] == reverse("admin:allegro_listingjob_progress", args=[retry.pk])
    assert (retry.total, retry.succeeded) == (1, 1)

    page = panel.post(reverse("admin:allegro_listingjob_cancel", args=[retry.pk]), follow=True)
    assert page.status_code == 200  # already finished: a warning, nothing changes
    retry.refresh_from_db()
    assert retry.status == "done"


def test_progress_page_says_when_a_run_was_taken_over(panel, account, tree):  # noqa: F811
    root, _child, _other = tree
    job = ListingJob.objects.create(account=account, category=root, total=1)
    url = reverse("admin:allegro_listingjob_progress", args=[job.pk])
    assert 'id="listing-taken-over"' not in panel.get(url).content.decode()
    ListingJob.objects.filter(pk=job.pk).update(taken_over_at="2026-12-04T10:15:00+01:00")
    html = panel.get(url).content.decode()
    assert 'id="listing-taken-over"' in html and "Przejęte 4 grudnia 2026 10:15" in html


def test_progress_page_queries_do_not_grow_with_items(panel, account, tree, django_assert_max_num_queries):  # noqa: F811
    root, _child, _other = tree
    products = [kettle(root, image=False) for _ in range(30)]
    job = ListingJob.objects.create(account=account, category=root, total=30)
    ListingJobItem.objects.bulk_create([ListingJobItem(job=job, product=p) for p in products])
    with django_assert_max_num_queries(15):
        page = panel.get(reverse("admin:allegro_listingjob_progress", args=[job.pk]))
    assert page.status_code == 200 and 'data-running="1"' in page.content.decode()


def test_status_view_is_for_staff_only(client, account, tree):  # noqa: F811
    root, _child, _other = tree
    job = ListingJob.objects.create(account=account, category=root)
    page = client.get(reverse("allegro:listing_job_status", args=[job.pk]))
    assert page.status_code == 302 and "/login/" in page["Location"]
