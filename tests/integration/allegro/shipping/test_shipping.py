"""Koszty dostawy and Mapowanie form dostawy against the emulator: every round trip through the admin
(create, edit, import, Allegro's refusal next to the row), local validation in Polish, the default and
override price lists, the delivery-method mapping and its checklist warning, query counts of the pages."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from allegro.accounts.services.checklist import account_checklist
from allegro.shipping.models import (
    AllegroDeliveryMethod,
    CategoryShippingRates,
    DeliveryMethodMapping,
    ProductShippingRates,
    ShippingRate,
    ShippingRateSet,
)
from allegro.shipping.selectors import delivery_method_shop_get, shipping_rate_set_get
from allegro.shipping.services.shipping import (
    RateData,
    ShippingRatesInvalid,
    delivery_method_refresh,
    shipping_rate_set_import,
    shipping_rate_set_make_default,
    shipping_rate_set_save,
)
from shop.models import DeliveryMethod
from tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db

PACZKOMATY = "2488f7b7-5d1c-4d65-b85c-4cbcf253fd93"  # Allegro Paczkomaty InPost (max 10 per package)
KURIER = "5d9c7838-e05f-4dec-afdd-58e884170ba7"  # Allegro Kurier24 InPost
KURIER_COD = "85c3ad2f-4ec1-446c-866e-63473ed10e26"  # Allegro Kurier24 InPost pobranie
DPD = "c3066682-97a3-42fe-9eb5-9bb2978cf293"  # Kurier DPD (shipping time customizable)
DEMO_SET_NAME = "Cennik standardowy"


def _allegro(emulator):
    """A session on the emulator as the demo seller (to look at Allegro's side, not through our client)."""
    return emulator.api(emulator.user_token(login="demo-seller")["access_token"])


def _allegro_set(emulator, set_id):
    response = _allegro(emulator).get(emulator.url(f"/sale/shipping-rates/{set_id}"))
    assert response.status_code == 200
    return response.json()


def _allegro_sets(emulator):
    return _allegro(emulator).get(emulator.url("/sale/shipping-rates")).json()["shippingRates"]


def _form_data(*, name, rates, account=None, initial=()):
    """The add/change form of a price list with its inline of rates (prefix "rates")."""
    data = {
        "name": name,
        "rates-TOTAL_FORMS": str(len(rates)),
        "rates-INITIAL_FORMS": str(len(initial)),
        "rates-MIN_NUM_FORMS": "0",
        "rates-MAX_NUM_FORMS": "1000",
    }
    if account is not None:
        data["account"] = str(account.pk)
    for i, rate in enumerate(rates):
        row = {
            "delivery_method_id": rate[0],
            "first_item_rate": rate[1],
            "max_quantity_per_package": str(rate[2]),
            "shipping_time_from": rate[3] if len(rate) > 3 else "",
            "shipping_time_to": rate[4] if len(rate) > 4 else "",
            "max_package_weight": "",
        }
        if i < len(initial):
            row["id"] = str(initial[i].pk)
            row["rate_set"] = str(initial[i].rate_set_id)
        data.update({f"rates-{i}-{key}": value for key, value in row.items()})
    return data


def tr(msgid: str, **params) -> str:
    """What the (Polish) panel shows for one of this module's messages; the Polish text comes with the
    catalogue update, so tests compare with the active translation instead of a hard-coded copy."""
    text = gettext(msgid)
    return text % params if params else text


def _errors_of_row(response, index):
    formset = response.context["inline_admin_formsets"][0].formset
    return formset.forms[index].errors


# --- delivery methods -------------------------------------------------------------------------------


def test_delivery_methods_are_cached_with_payment_policy_and_constraints(emulator, allegro_app):
    assert delivery_method_refresh(app=allegro_app) == 34
    assert delivery_method_refresh(app=allegro_app) == 34  # a refresh replaces, never duplicates

    methods = AllegroDeliveryMethod.objects.filter(app=allegro_app)
    assert methods.count() == 34
    assert methods.filter(payment_policy="CASH_ON_DELIVERY").count() == 11
    locker = methods.get(allegro_id=PACZKOMATY)
    assert locker.name == "Allegro Paczkomaty InPost"
    assert locker.payment_policy == "IN_ADVANCE"
    assert locker.constraints["maxQuantityPerPackage"]["max"] == 10


# --- create, edit, import ---------------------------------------------------------------------------


def test_new_price_list_is_published_to_allegro_and_saved_locally(emulator, connected_account, staff_client):
    delivery_method_refresh(app=connected_account.app)
    before = {s["id"] for s in _allegro_sets(emulator)}

    response = staff_client.post(
        reverse("admin:allegro_shippingrateset_add"),
        _form_data(
            account=connected_account,
            name="Cennik małe paczki, 2025",
            rates=[(PACZKOMATY, "9.99", 5), (DPD, "14.50", 20, "24", "48")],
        ),
    )

    assert response.status_code == 302, response.context and response.context.get("errors")
    rate_set = ShippingRateSet.objects.get(name="Cennik małe paczki, 2025")
    assert rate_set.account == connected_account and rate_set.allegro_id not in before and rate_set.allegro_id
    on_allegro = _allegro_set(emulator, rate_set.allegro_id)
    assert on_allegro["name"] == "Cennik małe paczki, 2025"
    assert [
        (r["deliveryMethod"]["id"], r["firstItemRate"]["amount"], r["maxQuantityPerPackage"])
        for r in on_allegro["rates"]
    ] == [(PACZKOMATY, "9.99", 5), (DPD, "14.50", 20)]
    assert on_allegro["rates"][1]["shippingTime"] == {"from": "PT24H", "to": "PT48H"}
    assert "shippingTime" not in on_allegro["rates"][0]
    local = list(rate_set.rates.order_by("position"))
    assert [(r.delivery_method_name, r.first_item_rate) for r in local] == [
        ("Allegro Paczkomaty InPost", Decimal("9.99")),
        ("Kurier DPD", Decimal("14.50")),
    ]
    # The account's dropdown of price lists knows the new one without another call to Allegro.
    connected_account.refresh_from_db()
    assert {"id": rate_set.allegro_id, "name": rate_set.name} in connected_account.choices_cache["shipping-rates"]


def test_editing_a_price_list_puts_it_to_allegro(emulator, connected_account, staff_client):
    shipping_rate_set_import(account=connected_account)
    rate_set = ShippingRateSet.objects.get(account=connected_account, name=DEMO_SET_NAME)
    rows = list(rate_set.rates.order_by("position"))
    count_before = len(_allegro_sets(emulator))

    response = staff_client.post(
        reverse("admin:allegro_shippingrateset_change", args=[rate_set.pk]),
        _form_data(
            name="Cennik standardowy 2",
            rates=[(PACZKOMATY, "11.49", 4), (KURIER, "16.99", 10), (KURIER_COD, "24.99", 10)],
            initial=rows,
        ),
    )

    assert response.status_code == 302
    on_allegro = _allegro_set(emulator, rate_set.allegro_id)
    assert on_allegro["name"] == "Cennik standardowy 2"
    assert on_allegro["rates"][0]["firstItemRate"]["amount"] == "11.49"
    assert on_allegro["rates"][0]["maxQuantityPerPackage"] == 4
    assert on_allegro["rates"][2]["firstItemRate"]["amount"] == "24.99"
    assert len(_allegro_sets(emulator)) == count_before  # PUT, not a second list
    rate_set.refresh_from_db()
    assert rate_set.name == "Cennik standardowy 2"
    assert list(rate_set.rates.order_by("position").values_list("first_item_rate", flat=True)) == [
        Decimal("11.49"),
        Decimal("16.99"),
        Decimal("24.99"),
    ]


def test_removing_a_row_removes_the_method_on_allegro(emulator, connected_account, staff_client):
    shipping_rate_set_import(account=connected_account)
    rate_set = ShippingRateSet.objects.get(account=connected_account)
    rows = list(rate_set.rates.order_by("position"))
    data = _form_data(
        name=DEMO_SET_NAME,
        rates=[(PACZKOMATY, "12.99", 5), (KURIER, "16.99", 10), (KURIER_COD, "22.99", 10)],
        initial=rows,
    )
    data["rates-2-DELETE"] = "on"

    response = staff_client.post(reverse("admin:allegro_shippingrateset_change", args=[rate_set.pk]), data)

    assert response.status_code == 302
    assert [r["deliveryMethod"]["id"] for r in _allegro_set(emulator, rate_set.allegro_id)["rates"]] == [
        PACZKOMATY,
        KURIER,
    ]
    assert rate_set.rates.count() == 2


def test_import_creates_then_updates_local_copies_and_never_deletes(emulator, connected_account, staff_client):
    local_only = ShippingRateSet.objects.create(account=connected_account, name="Tylko w panelu")

    response = staff_client.post(reverse("admin:allegro_shippingrateset_import"), follow=True)

    assert (
        tr(
            "%(account)s: %(created)s new and %(updated)s updated price lists fetched from Allegro.",
            account=connected_account,
            created=1,
            updated=0,
        )
        in response.content.decode()
    )
    imported = ShippingRateSet.objects.get(account=connected_account, name=DEMO_SET_NAME)
    assert imported.allegro_id == _allegro_sets(emulator)[0]["id"]
    assert [(r.delivery_method_id, r.first_item_rate, r.max_quantity_per_package) for r in imported.rates.all()] == [
        (PACZKOMATY, Decimal("12.99"), 5),
        (KURIER, Decimal("16.99"), 10),
        (KURIER_COD, Decimal("22.99"), 10),
    ]
    assert imported.rates.get(delivery_method_id=KURIER_COD).delivery_method_name == "Allegro Kurier24 InPost pobranie"

    result = shipping_rate_set_import(account=connected_account)

    assert (result.created, result.updated) == (0, 1)
    assert ShippingRateSet.objects.filter(account=connected_account).count() == 2
    assert ShippingRateSet.objects.filter(pk=local_only.pk).exists()
    assert ShippingRate.objects.filter(rate_set=imported).count() == 3


def test_saving_again_after_a_lost_answer_does_not_duplicate_the_list(emulator, connected_account):
    """POST has no idempotency key: a list of the same name unknown locally is updated instead."""
    delivery_method_refresh(app=connected_account.app)
    rates = [RateData(delivery_method_id=KURIER, first_item_rate=Decimal("15.00"), max_quantity_per_package=3)]
    first = shipping_rate_set_save(rate_set=ShippingRateSet(account=connected_account), name="Kurier", rates=rates)
    ShippingRateSet.objects.filter(pk=first.pk).delete()  # as if the answer never came back
    count = len(_allegro_sets(emulator))

    again = shipping_rate_set_save(rate_set=ShippingRateSet(account=connected_account), name="Kurier", rates=rates)

    assert again.allegro_id == first.allegro_id
    assert len(_allegro_sets(emulator)) == count


# --- refusals: Allegro's and our own ----------------------------------------------------------------


def test_allegro_refusal_is_shown_next_to_the_row_and_nothing_is_saved(emulator, connected_account, staff_client):
    delivery_method_refresh(app=connected_account.app)
    # Our cached constraints are out of date (Allegro lowered the maximum): the local check lets 1500 through.
    method = AllegroDeliveryMethod.objects.get(app=connected_account.app, allegro_id=DPD)
    method.constraints["firstItemRate"]["max"] = "5000.00"
    method.save()
    before = _allegro_sets(emulator)

    response = staff_client.post(
        reverse("admin:allegro_shippingrateset_add"),
        _form_data(
            account=connected_account, name="Cennik drogi", rates=[(PACZKOMATY, "9.99", 5), (DPD, "1500.00", 1)]
        ),
    )

    assert response.status_code == 200
    assert _errors_of_row(response, 1)["first_item_rate"] == [
        "Koszt dostawy musi mieścić się w zakresie 0.00–1000.00 PLN."
    ]
    assert not _errors_of_row(response, 0)
    html = response.content.decode()
    assert "Koszt dostawy musi mieścić się w zakresie 0.00–1000.00 PLN." in html
    assert tr("Allegro did not accept the price list; nothing was saved.") in html
    assert not ShippingRateSet.objects.exists()
    assert not ShippingRate.objects.exists()
    assert _allegro_sets(emulator) == before


def test_allegro_refusal_on_edit_keeps_the_old_local_copy(emulator, connected_account, staff_client):
    shipping_rate_set_import(account=connected_account)
    rate_set = ShippingRateSet.objects.get(account=connected_account)
    rows = list(rate_set.rates.order_by("position"))
    emulator.add_fault(
        r"^/sale/shipping-rates/",
        method="PUT",
        status=422,
        times=1,
        body={
            "errors": [
                {
                    "code": "VALIDATION_ERROR",
                    "message": "maxQuantityPerPackage too big",
                    "userMessage": "Za dużo sztuk w paczce dla tej metody.",
                    "path": "rates[2].maxQuantityPerPackage",
                }
            ]
        },
    )

    response = staff_client.post(
        reverse("admin:allegro_shippingrateset_change", args=[rate_set.pk]),
        _form_data(
            name="Nowa nazwa",
            rates=[(PACZKOMATY, "1.00", 5), (KURIER, "16.99", 10), (KURIER_COD, "22.99", 10)],
            initial=rows,
        ),
    )

    assert response.status_code == 200
    assert _errors_of_row(response, 2)["max_quantity_per_package"] == ["Za dużo sztuk w paczce dla tej metody."]
    rate_set.refresh_from_db()
    assert rate_set.name == DEMO_SET_NAME
    assert rate_set.rates.get(delivery_method_id=PACZKOMATY).first_item_rate == Decimal("12.99")
    assert _allegro_set(emulator, rate_set.allegro_id)["name"] == DEMO_SET_NAME


@pytest.mark.parametrize(
    ("name", "rates", "where", "message"),
    [
        (
            "Cennik <promocja>!",
            [(PACZKOMATY, "9.99", 5)],
            ("name", None),
            lambda: tr(
                "The name must have 1 to 64 characters: letters, digits, spaces, hyphens (-), dots (.) and commas (,)."
            ),
        ),
        (
            "Paczkomaty",
            [(PACZKOMATY, "9.99", 11)],
            ("max_quantity_per_package", 0),
            lambda: tr("“%(method)s”: at most %(max)s items in a package.", method="Allegro Paczkomaty InPost", max=10),
        ),
        (
            "Paczkomaty",
            [(KURIER, "16.99", 1), (PACZKOMATY, "1000.01", 5)],
            ("first_item_rate", 1),
            lambda: tr(
                "“%(method)s”: the price must be between %(min)s and %(max)s %(currency)s.",
                method="Allegro Paczkomaty InPost",
                min="0.00",
                max="1000.00",
                currency="PLN",
            ),
        ),
        (
            "Kurier",
            [(KURIER, "16.99", 1, "24", "48")],
            ("shipping_time_from", 0),
            lambda: tr(
                "“%(method)s”: Allegro sets the shipping time of this method; leave it empty.",
                method="Allegro Kurier24 InPost",
            ),
        ),
    ],
)
def test_local_validation_names_the_field_in_polish_and_sends_nothing(
    emulator, connected_account, staff_client, name, rates, where, message
):
    delivery_method_refresh(app=connected_account.app)
    since = emulator.requests()[-1]["seq"] if emulator.requests() else 0

    response = staff_client.post(
        reverse("admin:allegro_shippingrateset_add"), _form_data(account=connected_account, name=name, rates=rates)
    )

    assert response.status_code == 200
    field, row = where
    message = message()
    errors = response.context["adminform"].form.errors if row is None else _errors_of_row(response, row)
    assert any(message in e for e in errors[field]), errors
    assert message in response.content.decode()
    assert not ShippingRateSet.objects.exists()
    assert not [r for r in emulator.requests(since) if r["path"].startswith("/sale/shipping-rates")]


def test_a_method_allegro_does_not_allow_is_refused_locally(emulator, connected_account):
    delivery_method_refresh(app=connected_account.app)
    AllegroDeliveryMethod.objects.filter(allegro_id=KURIER).update(
        constraints={"allowed": False, "maxQuantityPerPackage": {"max": 10}, "firstItemRate": {"min": "0", "max": "9"}}
    )

    with pytest.raises(ShippingRatesInvalid) as info:
        shipping_rate_set_save(
            rate_set=ShippingRateSet(account=connected_account),
            name="Kurier",
            rates=[RateData(delivery_method_id=KURIER, first_item_rate=Decimal("5.00"), max_quantity_per_package=1)],
        )

    assert [(i.index, i.field, i.message) for i in info.value.issues] == [
        (
            0,
            "delivery_method_id",
            tr("Allegro does not allow “%(method)s” in delivery price lists.", method="Allegro Kurier24 InPost"),
        )
    ]
    assert not info.value.from_allegro
    assert not ShippingRateSet.objects.exists()


# --- default and overrides ----------------------------------------------------------------------------


def test_price_list_resolution_product_then_nearest_category_then_account_default(emulator, connected_account):
    shipping_rate_set_import(account=connected_account)
    default = ShippingRateSet.objects.get(account=connected_account)
    shipping_rate_set_make_default(account=connected_account, rate_set=default)
    big = ShippingRateSet.objects.create(account=connected_account, name="Gabaryty", allegro_id="big-1")
    small = ShippingRateSet.objects.create(account=connected_account, name="Drobne", allegro_id="small-1")
    own = ShippingRateSet.objects.create(account=connected_account, name="Własny", allegro_id="own-1")
    root = make_category("Dom i ogród")
    garden = make_category("Ogród", parent=root)
    tools = make_category("Narzędzia", parent=garden)
    other = make_category("Elektronika")
    hammer = make_product(category=tools)
    phone = make_product(category=other)

    assert shipping_rate_set_get(product=hammer, account=connected_account) == default
    CategoryShippingRates.objects.create(category=root, account=connected_account, rate_set=big)
    assert shipping_rate_set_get(product=hammer, account=connected_account) == big
    CategoryShippingRates.objects.create(category=garden, account=connected_account, rate_set=small)
    assert shipping_rate_set_get(product=hammer, account=connected_account) == small  # nearest ancestor wins
    ProductShippingRates.objects.create(product=hammer, account=connected_account, rate_set=own)
    assert shipping_rate_set_get(product=hammer, account=connected_account) == own
    assert shipping_rate_set_get(product=phone, account=connected_account) == default


def test_account_default_without_local_copy_and_without_any(emulator, connected_account):
    product = make_product()
    assert shipping_rate_set_get(product=product, account=connected_account) is None
    connected_account.shipping_rates_id = "only-on-allegro"
    connected_account.shipping_rates_name = "Z Allegro"
    connected_account.save()
    found = shipping_rate_set_get(product=product, account=connected_account)
    assert found.pk is None and found.allegro_id == "only-on-allegro" and found.name == "Z Allegro"


def test_make_default_button_sets_the_account_field(emulator, connected_account, staff_client):
    shipping_rate_set_import(account=connected_account)
    rate_set = ShippingRateSet.objects.get(account=connected_account)

    response = staff_client.post(reverse("admin:allegro_shippingrateset_make_default", args=[rate_set.pk]), follow=True)

    connected_account.refresh_from_db()
    assert connected_account.shipping_rates_id == rate_set.allegro_id
    assert connected_account.shipping_rates_name == DEMO_SET_NAME
    assert tr("Default price list of %(account)s", account=connected_account) in response.content.decode()


def test_category_override_form_refuses_a_second_list_for_the_same_account(emulator, connected_account, staff_client):
    a = ShippingRateSet.objects.create(account=connected_account, name="A", allegro_id="a-1")
    b = ShippingRateSet.objects.create(account=connected_account, name="B", allegro_id="b-1")
    category = make_category("Zabawki")
    CategoryShippingRates.objects.create(category=category, account=connected_account, rate_set=a)

    response = staff_client.post(
        reverse("admin:allegro_categoryshippingrates_add"), {"category": category.pk, "rate_set": b.pk}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["category"]
    assert CategoryShippingRates.objects.get(category=category).rate_set == a
    ok = staff_client.post(
        reverse("admin:allegro_categoryshippingrates_add"), {"category": make_category("Książki").pk, "rate_set": b.pk}
    )
    assert ok.status_code == 302
    assert CategoryShippingRates.objects.get(rate_set=b).account == connected_account


# --- delivery-method mapping --------------------------------------------------------------------------


def test_mapping_page_saves_all_rows_in_one_post_and_the_selector_uses_it(emulator, allegro_app, staff_client):
    delivery_method_refresh(app=allegro_app)
    courier = DeliveryMethod.objects.create(name="Kurier", price=Decimal("15.00"))
    cod = DeliveryMethod.objects.create(name="Kurier za pobraniem", price=Decimal("20.00"), cash_on_delivery=True)
    url = reverse("admin:allegro_deliverymethodmapping_changelist")

    page = staff_client.get(url)
    html = page.content.decode()
    advance, cod_label = tr("paid in advance").capitalize(), tr("cash on delivery").capitalize()
    assert html.index(advance) < html.index("Allegro Kurier24 InPost<") < html.index(cod_label)
    assert html.index(cod_label) < html.index("Allegro Kurier24 InPost pobranie<")
    assert 'id="allegro-mapping-filter"' in html

    response = staff_client.post(url, {f"method-{KURIER}": str(courier.pk), f"method-{KURIER_COD}": str(cod.pk)})

    assert response.status_code == 302
    assert delivery_method_shop_get(allegro_method_id=KURIER) == courier
    assert delivery_method_shop_get(allegro_method_id=KURIER_COD) == cod
    assert delivery_method_shop_get(allegro_method_id=PACZKOMATY) is None
    assert DeliveryMethodMapping.objects.get(allegro_method_id=KURIER).allegro_method_name == "Allegro Kurier24 InPost"

    # Unmapping one (empty choice) removes it; the other stays.
    staff_client.post(url, {f"method-{KURIER}": "", f"method-{KURIER_COD}": str(cod.pk)})
    assert delivery_method_shop_get(allegro_method_id=KURIER) is None
    assert delivery_method_shop_get(allegro_method_id=KURIER_COD) == cod


def test_mapping_page_refuses_an_unknown_shop_method_and_saves_nothing(emulator, allegro_app, staff_client):
    delivery_method_refresh(app=allegro_app)
    courier = DeliveryMethod.objects.create(name="Kurier", price=Decimal("15.00"))
    url = reverse("admin:allegro_deliverymethodmapping_changelist")

    response = staff_client.post(url, {f"method-{KURIER}": str(courier.pk), f"method-{DPD}": "999999"})

    assert response.status_code == 200
    assert response.context["form"].errors[f"method-{DPD}"]
    assert "Wybierz poprawną wartość" in response.content.decode()
    assert not DeliveryMethodMapping.objects.exists()


def test_checklist_warns_about_unmapped_methods_of_the_price_lists(emulator, connected_account):
    shipping_rate_set_import(account=connected_account)
    courier = DeliveryMethod.objects.create(name="Kurier", price=Decimal("15.00"))
    DeliveryMethodMapping.objects.create(allegro_method_id=KURIER, delivery_method=courier)

    check = next(
        c for c in account_checklist(account=connected_account) if str(c.name) == tr("Delivery method mapping")
    )

    assert check.warning and check.ok  # amber: orders still import, without a shop delivery method
    assert "Allegro Paczkomaty InPost" in check.message
    assert "Allegro Kurier24 InPost pobranie" in check.message
    assert "Allegro Kurier24 InPost," not in check.message and not check.message.endswith("Allegro Kurier24 InPost.")

    for method_id in (PACZKOMATY, KURIER_COD):
        DeliveryMethodMapping.objects.create(allegro_method_id=method_id, delivery_method=courier)
    check = next(
        c for c in account_checklist(account=connected_account) if str(c.name) == tr("Delivery method mapping")
    )
    assert check.ok and not check.warning


# --- query counts -------------------------------------------------------------------------------------


def test_price_list_page_has_a_constant_query_count(
    emulator, connected_account, staff_client, django_assert_max_num_queries
):
    for n in range(30):
        rate_set = ShippingRateSet.objects.create(account=connected_account, name=f"Cennik {n}", allegro_id=f"id-{n}")
        ShippingRate.objects.create(
            rate_set=rate_set, delivery_method_id=KURIER, first_item_rate=Decimal("9.99"), max_quantity_per_package=1
        )

    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse("admin:allegro_shippingrateset_changelist"))

    assert response.status_code == 200
    assert "Cennik 29" in response.content.decode()


def test_mapping_page_has_a_constant_query_count(emulator, allegro_app, staff_client, django_assert_max_num_queries):
    delivery_method_refresh(app=allegro_app)
    for n in range(15):
        DeliveryMethod.objects.create(name=f"Metoda {n}", price=Decimal("10.00"))
    url = reverse("admin:allegro_deliverymethodmapping_changelist")
    staff_client.get(url)  # warm the per-process caches (the header's banner and unread-messages figures)

    with django_assert_max_num_queries(10):
        response = staff_client.get(url)

    assert response.status_code == 200
    assert response.content.decode().count('class="allegro-mapping-row') == 34
