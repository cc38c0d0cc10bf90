"""No English on any page staff see: every changelist, add and change page of every registered model and
every custom admin page, opened by a staff member who holds every permission but is not a superuser, with
the Polish locale, must not show a word from a small list of English words the panel used to leak
(Django's generic buttons and titles, django-celery-beat's and django-axes' models, raw event-log codes)."""

import re
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tests.factories import make_allegro_offer, make_category, make_customer, make_product

pytestmark = pytest.mark.django_db

# Case-sensitive whole words (or phrases) that must not reach a Polish page.
ENGLISH = [
    "Periodic",
    "Crontab",
    "Crontabs",
    "Access",
    "Interval",
    "Clocked",
    "Solar",
    "sync end",
    "sync price",
    "sync stock",
    "orders_imported",
    "offer_published",
    "Add",
    "Change",
    "Delete",
    "Save",
    "History",
    "View",
    "Search",
    "Filter",
    "Yes",
    "No",
    "All",
    "Home",
    "Log out",
    "Actions",
    "Enabled",
    "Name",
    "Task",
    "Description",
    "Can add",
    "Can change",
    "Can delete",
    "Can view",
]
_PATTERN = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w-])")


class _VisibleText(HTMLParser):
    """Text a person reads: element text plus titles, placeholders, labels and button values; not scripts,
    styles, the values of text inputs, or elements marked translate="no" (Allegro's own dictionary values,
    such as brand names, are data)."""

    ATTRS = ("title", "placeholder", "aria-label", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._untranslated: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("translate") == "no":
            self._untranslated.append(tag)
        if tag in ("script", "style", "textarea"):
            self._skip += 1
        for name in self.ATTRS:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "textarea") and self._skip:
            self._skip -= 1
        if self._untranslated and self._untranslated[-1] == tag:
            self._untranslated.pop()

    def handle_data(self, data):
        if not self._skip and not self._untranslated and data.strip():
            self.parts.append(data.strip())


def english_words(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    text = "\n".join(parser.parts)
    return sorted({m.group(1) for m in _PATTERN.finditer(text)})


def test_the_detector_finds_english_and_lets_polish_through():
    assert english_words('<h1>Add Allegro application</h1><input type="submit" value="Save">') == ["Add", "Save"]
    assert english_words('<a title="History">x</a><p>Periodic tasks</p>') == ["History", "Periodic"]
    assert english_words("<p>Dodaj aplikację Allegro</p><script>var Add = 1</script>") == []
    assert english_words('<input type="text" value="Add">') == []  # data typed by someone, not the panel's text
    assert english_words('<select translate="no"><option>Save</option></select><p>All</p>') == ["All"]


@pytest.fixture
def everything(connected_account, settings, tmp_path):
    """One row of every model registered in the admin, so each change page is opened with real content."""
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    from allegro.categories.models import CategoryForm, CategoryMapping
    from allegro.checkouts.models import CheckoutQuarantine, OrderEventCursor
    from allegro.core.services.events import event_log
    from allegro.descriptions.models import DescriptionTemplate
    from allegro.listing.models import ListingJob
    from allegro.shipping.models import (
        CategoryShippingRates,
        DeliveryMethodMapping,
        ProductShippingRates,
        ShippingRateSet,
    )
    from allegro.sync.models import AccountPriceRule, SyncRun
    from orders.models import Order
    from orders.services.orders import LineData, OrderData, order_create
    from shop.models import DeliveryMethod, StockMovement

    settings.MEDIA_ROOT = tmp_path
    account = connected_account
    root = make_category("Elektronika")
    leaf = make_category("Smartfony", parent=root)
    product = make_product(category=leaf)
    customer = make_customer()
    order_create(
        data=OrderData(
            customer=customer,
            lines=[LineData(name=product.name, quantity=1, unit_price=Decimal("5.00"), product=product)],
        )
    )
    if not StockMovement.objects.exists():
        StockMovement.objects.create(product=product, delta=1)
    delivery = DeliveryMethod.objects.create(name="Kurier", price=Decimal("12.00"))
    make_allegro_offer(account=account, product=product)
    for kind, action, rule in (
        ("sync", "sync end", "sync"),
        ("order", "orders_imported", "order import"),
        ("offer", "offer_published", ""),
    ):
        event_log(kind=kind, action=action, message="x", account=account, rule=rule)
    CategoryMapping.objects.create(category=leaf, allegro_category_id="257933")
    CategoryForm.objects.create(allegro_category_id="257933")
    OrderEventCursor.objects.get_or_create(account=account)
    CheckoutQuarantine.objects.create(account=account, checkout_form_id="cf-1", reason="brak pola")
    DescriptionTemplate.objects.create(name="Szablon")
    ListingJob.objects.create(account=account)
    rates = ShippingRateSet.objects.create(account=account, name="Cennik")
    CategoryShippingRates.objects.create(category=leaf, account=account, rate_set=rates)
    ProductShippingRates.objects.create(product=product, account=account, rate_set=rates)
    DeliveryMethodMapping.objects.create(allegro_method_id="m-1", delivery_method=delivery)
    SyncRun.objects.create(account=account, status=SyncRun.Status.DONE, steps=["offers"])
    AccountPriceRule.objects.get_or_create(account=account)
    interval = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    CrontabSchedule.objects.create(minute="0", hour="3")
    SolarSchedule.objects.create(event="sunrise", latitude=52.4, longitude=16.9)
    ClockedSchedule.objects.create(clocked_time=timezone.now() + timedelta(days=1))
    PeriodicTask.objects.create(name="Import zamówień", task="allegro.tasks.x", interval=interval)
    Group.objects.create(name="Magazyn")
    _axes_rows()
    _invoice_rows(account, order=Order.objects.get())
    return account


def _invoice_rows(account, *, order):
    from django.core.files.base import ContentFile

    from allegro.checkouts.models import AllegroCheckout
    from allegro.invoices.models import InvoiceSeller, InvoiceSource, OrderInvoice

    InvoiceSeller.objects.create(
        account=account,
        name="Sklep Kowalski",
        nip="5260250274",
        street="ul. Polna 1",
        post_code="60-001",
        city="Poznań",
    )
    checkout = AllegroCheckout.objects.create(account=account, checkout_form_id="cf-f", status="READY", order=order)
    invoice = OrderInvoice(
        order=order,
        checkout=checkout,
        number="FV/1/2026",
        source=InvoiceSource.UPLOADED,
        issued_on=timezone.localdate(),
        sold_on=timezone.localdate(),
        file_name="FV-1-2026.pdf",
    )
    invoice.file.save("FV-1-2026.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    invoice.save()


def _axes_rows():
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    common = {"user_agent": "Mozilla", "ip_address": "127.0.0.1", "username": "jan", "http_accept": "*/*"}
    AccessAttempt.objects.create(path_info="/admin/login/", get_data="", post_data="", failures_since_start=2, **common)
    AccessLog.objects.create(path_info="/admin/login/", **common)
    AccessFailureLog.objects.create(path_info="/admin/login/", **common)


@pytest.fixture
def all_permissions_staff(django_user_model, client):
    """Staff with every permission there is, but not a superuser: what a trusted shop employee gets."""
    user = django_user_model.objects.create_user("kierownik", "kierownik@example.com", "haslo", is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    client.force_login(user)
    return client


def _model_pages():
    pages = []
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        pages.append((f"{info[0]}.{info[1]}", "changelist", model, model_admin))
        pages.append((f"{info[0]}.{info[1]}", "add", model, model_admin))
        pages.append((f"{info[0]}.{info[1]}", "change", model, model_admin))
        pages.append((f"{info[0]}.{info[1]}", "history", model, model_admin))
    return pages


def _custom_urls():
    """Every custom admin page that takes no argument or one object id (other than the add/change family)."""
    generic = ("_changelist", "_add", "_change", "_delete", "_history", "_autocomplete")
    names = []
    for model, model_admin in admin.site._registry.items():
        for pattern in model_admin.get_urls():
            if pattern.name and not pattern.name.endswith(generic) and pattern.name != "javascript-catalog":
                names.append((pattern.name, model))
    return names


def _get(client, url):
    response = client.get(url, follow=True)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return response.content.decode()


@pytest.mark.slow
def test_no_english_on_any_admin_page_for_staff(all_permissions_staff, everything):
    client = all_permissions_staff
    found: dict[str, list[str]] = {}
    seen = 0
    for label, page, model, _model_admin in _model_pages():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        if page in ("change", "history"):
            obj = model._default_manager.order_by("pk").first()
            assert obj is not None, f"the fixture made no {label}"
            url = reverse(f"{info}_{page}", args=[obj.pk])
        else:
            url = reverse(f"{info}_{page}")
        response = client.get(url)
        if response.status_code == 403 or (page == "add" and response.status_code in (302, 404)):
            continue  # the admin offers no such page (read-only models), so no one sees it
        assert response.status_code in (200, 302), f"{url}: {response.status_code}"
        if response.status_code == 302:
            response = client.get(response["Location"])
        seen += 1
        if words := english_words(response.content.decode()):
            found[url] = words
    for name, model in _custom_urls():
        obj = model._default_manager.order_by("pk").first()
        for args in ([], [obj.pk] if obj else None):
            if args is None:
                continue
            try:
                url = reverse(f"admin:{name}", args=args)
            except NoReverseMatch:
                continue
            response = client.get(url)
            if response.status_code in (302, 405) or (args and response.status_code in (403, 404)):
                continue  # a POST-only action, a redirect back to the list, or an id of another model
            assert response.status_code == 200, f"{url}: {response.status_code}"
            if not response.get("Content-Type", "").startswith("text/html"):
                break  # a file (an invoice's PDF), not a page
            seen += 1
            if words := english_words(response.content.decode()):
                found[url] = words
            break
    for url in (reverse("admin:index"), reverse("admin:password_change")):
        seen += 1
        if words := english_words(_get(client, url)):
            found[url] = words
    assert seen > 80
    assert not found, "English on Polish pages:\n" + "\n".join(f"{url}: {words}" for url, words in found.items())


def test_technical_apps_are_for_superusers_only_and_polish_in_their_menu(all_permissions_staff, admin_client):
    staff_index = all_permissions_staff.get(reverse("admin:index")).content.decode()
    assert reverse("admin:django_celery_beat_periodictask_changelist") not in staff_index
    assert reverse("admin:axes_accessattempt_changelist") not in staff_index
    assert all_permissions_staff.get(reverse("admin:django_celery_beat_crontabschedule_changelist")).status_code == 403
    assert all_permissions_staff.get(reverse("admin:axes_accessfailurelog_changelist")).status_code == 403

    index = admin_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:django_celery_beat_periodictask_changelist") in index
    assert english_words(index) == []
    assert "Zadania okresowe" in index and "Nieudane logowania" in index


@pytest.mark.parametrize(
    ("url_name", "expected"),
    [
        ("admin:allegro_allegroapp_add", "Dodaj aplikację Allegro (REST API)"),
        ("admin:allegro_allegroapp_changelist", "Dodaj aplikację Allegro (REST API)"),
        ("admin:allegro_allegroapp_changelist", "Wybierz aplikację Allegro (REST API) do zmiany"),
        ("admin:shop_category_add", "Dodaj kategorię"),
        ("admin:shop_customer_changelist", "Dodaj klienta"),
        ("admin:auth_group_add", "Dodaj grupę"),
    ],
)
def test_titles_and_buttons_use_the_accusative(all_permissions_staff, url_name, expected):
    page = all_permissions_staff.get(reverse(url_name)).content.decode()
    assert expected in page
    assert "Dodaj aplikacja" not in page and "Dodaj kategoria" not in page


def test_change_and_delete_pages_use_the_accusative(all_permissions_staff, allegro_app):
    change = all_permissions_staff.get(reverse("admin:allegro_allegroapp_change", args=[allegro_app.pk]))
    assert "Zmień aplikację Allegro (REST API)" in change.content.decode()
    delete = all_permissions_staff.get(reverse("admin:allegro_allegroapp_delete", args=[allegro_app.pk]))
    assert "aplikację Allegro (REST API)" in delete.content.decode()


def test_permissions_are_listed_in_polish(all_permissions_staff):
    page = all_permissions_staff.get(reverse("admin:auth_group_add")).content.decode()
    assert "Sklep | produkt | może dodawać" in page or "shop | produkt | może dodawać" in page
    assert "Can add" not in page


def test_event_log_shows_actions_and_rules_in_polish(all_permissions_staff, allegro_app):
    from allegro.accounts.models import AllegroAccount
    from allegro.core.models import EventLogEntry
    from allegro.core.services.events import event_log

    account = AllegroAccount.objects.create(app=allegro_app, name="Konto")
    event_log(kind="sync", action="sync end", message="1 zakończona", account=account, rule="sync:schedule")
    event_log(kind="order", action="orders_imported", message="2 zamówienia", account=account, rule="order import")
    page = all_permissions_staff.get(reverse("admin:allegro_eventlogentry_changelist")).content.decode()
    assert "Zakończenie oferty" in page and "Pobranie zamówień" in page
    assert "synchronizacja według harmonogramu" in page and "import zamówień" in page
    assert "sync end" not in page and "orders_imported" not in page
    entry = EventLogEntry.objects.get(action="sync end")
    detail = all_permissions_staff.get(reverse("admin:allegro_eventlogentry_change", args=[entry.pk])).content.decode()
    assert "Zakończenie oferty" in detail and "sync end" not in detail
