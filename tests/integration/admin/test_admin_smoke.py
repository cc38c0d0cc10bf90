"""Every admin page answers staff and turns anonymous visitors away; changelists keep a constant
number of queries whatever the page holds; bad input gets a Polish message and saves nothing."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allegro.checkouts.models import CustomerAllegroIdentity
from orders.models import Order
from orders.services.orders import LineData, OrderData, order_create
from shop.models import Category, Product
from tests.factories import make_category, make_customer, make_product

pytestmark = pytest.mark.django_db


def _registered():
    return [(model, model_admin) for model, model_admin in admin.site._registry.items()]


@pytest.fixture
def catalogue():
    root = make_category("Elektronika")
    leaf = make_category("Smartfony", parent=root)
    product = make_product(category=leaf)
    customer = make_customer()
    CustomerAllegroIdentity.objects.create(customer=customer, seller_id="1", buyer_id="77", login="kupujacy_77")
    order_create(
        data=OrderData(
            customer=customer,
            lines=[LineData(name=product.name, quantity=1, unit_price=Decimal("5.00"), product=product)],
        )
    )
    return {"category": leaf, "product": product, "customer": customer}


@pytest.mark.parametrize("model,model_admin", _registered(), ids=lambda v: getattr(v, "__name__", ""))
def test_every_admin_page_answers_staff_and_redirects_anonymous(client, admin_user, catalogue, model, model_admin):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    anonymous = client.get(changelist)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]

    client.force_login(admin_user)
    assert client.get(changelist).status_code == 200
    if model_admin.has_add_permission(_request(admin_user)):
        assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200
    obj = model._default_manager.first()
    if obj is not None:
        assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])).status_code == 200


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def test_index_is_polish_and_grouped_like_the_shop_owner_knows(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    for heading in ("Sklep", "Sprzedaż", "Produkty", "Kategorie", "Klienci", "Zamówienia"):
        assert heading in page


def test_non_staff_user_cannot_open_the_panel(client, django_user_model):
    user = django_user_model.objects.create_user("klient", password="x")
    client.force_login(user)
    response = client.get(reverse("admin:shop_product_changelist"))
    assert response.status_code == 302


def _queries_for(client, url):
    client.get(url)  # warm the per-process caches (session, content types, the background-work banner)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url_name", ["admin:shop_product_changelist", "admin:orders_order_changelist", "admin:shop_customer_changelist"]
)
def test_changelists_keep_a_constant_number_of_queries(admin_client, url_name):
    root = make_category("Dom")
    for _ in range(3):
        _seed_row(root)
    url = reverse(url_name)
    few = _queries_for(admin_client, url)
    for _ in range(25):
        _seed_row(root)
    many = _queries_for(admin_client, url)
    assert many == few, f"{url_name}: {few} queries with 3 rows, {many} with 28"


def _seed_row(category):
    product = make_product(category=category)
    customer = make_customer()
    CustomerAllegroIdentity.objects.create(
        customer=customer, seller_id="1", buyer_id=str(customer.pk), login=f"login{customer.pk}"
    )
    order_create(
        data=OrderData(
            customer=customer, lines=[LineData(name="x", quantity=1, unit_price=Decimal("1.00"), product=product)]
        )
    )


def test_product_filter_includes_subcategories(admin_client):
    root = make_category("Sport")
    child = make_category("Rowery", parent=root)
    grandchild = make_category("Rowery górskie", parent=child)
    inside = make_product(category=grandchild, name="Rower Kross")
    outside = make_product(category=make_category("Dziecko"), name="Klocki")
    page = admin_client.get(reverse("admin:shop_product_changelist"), {"category": root.pk}).content.decode()
    assert inside.sku in page
    assert outside.sku not in page


def test_customer_search_finds_allegro_login(admin_client, catalogue):
    page = admin_client.get(reverse("admin:shop_customer_changelist"), {"q": "kupujacy_77"}).content.decode()
    assert catalogue["customer"].email in page


def _product_form(category: Category, **overrides):
    data = {
        "name": "Nowy produkt",
        "sku": "NOWY-1",
        "ean": "5901234123457",
        "brand": "",
        "category": category.pk,
        "price": "10.00",
        "vat_rate": "23",
        "stock": "5",
        "visible": "on",
        "weight": "",
        "description": "",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price", "-1.00", "Upewnij się, że ta wartość jest większa lub równa 0"),
        ("stock", "-3", "Upewnij się, że ta wartość jest większa lub równa 0"),
        ("ean", "5901234123458", "błędną cyfrę kontrolną"),
        ("ean", "12345", "8, 12, 13 lub 14 cyfr"),
        ("sku", "ISTNIEJE", "Istnieje już Produkt z tą wartością pola SKU"),
    ],
)
def test_bad_product_input_gets_a_polish_message_and_saves_nothing(admin_client, field, value, message):
    category = make_category("Elektronika")
    make_product(category=category, sku="ISTNIEJE")
    before = Product.objects.count()
    response = admin_client.post(reverse("admin:shop_product_add"), _product_form(category, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Product.objects.count() == before


def test_stock_edit_does_not_overwrite_a_concurrent_order(admin_client):
    category = make_category("Elektronika")
    product = make_product(category=category, stock=5)
    url = reverse("admin:shop_product_change", args=[product.pk])
    form = _product_form(category, sku=product.sku, ean=product.ean, name=product.name, stock="7")
    form["stock_seen"] = "5"
    Product.objects.filter(pk=product.pk).update(stock=4)  # an order took one piece meanwhile
    response = admin_client.post(url, form)
    assert response.status_code == 200
    assert "zmienił się" in response.content.decode()
    assert Product.objects.get(pk=product.pk).stock == 4


def test_order_status_form_refuses_a_forbidden_transition(catalogue):
    from django.forms.models import model_to_dict

    from orders.forms import OrderAdminForm

    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(status="cancelled")
    order.refresh_from_db()
    data = {k: v for k, v in model_to_dict(order).items() if v is not None}
    data["status"] = "sent"
    form = OrderAdminForm(data=data, instance=order)
    assert not form.is_valid()
    assert "anulowane" in str(form.errors["status"])
    assert Order.objects.get(pk=order.pk).status == "cancelled"


def test_panel_is_polish_even_for_an_english_browser_and_english_on_request(admin_client):
    page = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Produkty" in page and "Zamówienia" in page
    admin_client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "Products" in page and "Orders" in page
