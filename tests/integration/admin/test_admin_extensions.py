"""The allegro rooms' additions to the shop's and orders' admin pages (declared with extend_admin, applied in
AllegroConfig.ready()): staff see the same inlines, actions, columns, filters and search as before."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.sites import AdminSite
from django.db.models import Q
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import path, reverse
from django.utils import translation

from allegro.categories.admin import ProductParametersInline
from allegro.checkouts.admin import CustomerAllegroIdentityInline
from allegro.checkouts.models import AllegroCheckout, CustomerAllegroIdentity, OrderEventCursor
from allegro.core import admin_extensions
from allegro.core.admin_extensions import AdminExtension, admin_extensions_apply
from allegro.descriptions.admin import ProductAllegroDescriptionInline
from allegro.messages.models import Issue
from allegro.offers.admin import ProductListingFilter, ProductOffersInline, list_on_allegro_link
from allegro.offers.models import Offer
from allegro.shipments.models import SwaShipment
from orders.models import Order, OrderLine, OrderStatusChange
from shop.admin import CustomerAdmin, ProductAdmin, ProductImageInline
from shop.models import Customer, Product
from tests.factories import make_customer, make_product

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_product_admin_has_the_allegro_inlines_actions_column_and_filter(admin_user):
    product_admin = admin.site.get_model_admin(Product)
    inlines = product_admin.get_inlines(_request(admin_user), None)
    assert list(inlines) == [
        ProductImageInline,
        ProductParametersInline,
        ProductAllegroDescriptionInline,
        ProductOffersInline,
    ]
    assert product_admin.list_display[-1] is list_on_allegro_link
    assert ProductListingFilter in product_admin.list_filter
    with translation.override("pl"):
        actions = {
            name: str(description) for _f, name, description in product_admin.get_actions(_request(admin_user)).values()
        }
    assert list(actions) == [
        "delete_selected",
        "make_visible",
        "make_hidden",
        "change_prices",
        "create_allegro_descriptions",
        "list_on_allegro",
    ]
    assert actions["create_allegro_descriptions"] == "Utwórz opis Allegro z opisu sklepu"
    assert actions["list_on_allegro"] == "Wystaw na Allegro (masowo)"


def test_the_description_action_is_hidden_without_the_description_permissions(django_user_model):
    user = django_user_model.objects.create_user("sprzedawca", password="x", is_staff=True)
    from django.contrib.auth.models import Permission

    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_product", "change_product"]))
    user = django_user_model.objects.get(pk=user.pk)
    actions = admin.site.get_model_admin(Product).get_actions(_request(user))
    assert "create_allegro_descriptions" not in actions and "make_visible" in actions


def test_product_pages_show_the_allegro_parts(admin_client):
    product = make_product()
    with translation.override("pl"):
        change = admin_client.get(reverse("admin:shop_product_change", args=[product.pk])).content.decode()
        changelist = admin_client.get(reverse("admin:shop_product_changelist")).content.decode()
    assert "allegro-description-inline" in change
    assert "Aukcje" in change
    assert 'value="create_allegro_descriptions"' in changelist and 'value="list_on_allegro"' in changelist
    assert "ao-list-link" in changelist
    assert "?allegro=" in changelist  # the "Allegro" filter


def test_order_and_offer_admins_have_their_allegro_parts(admin_user):
    order_inlines = admin.site.get_model_admin(Order).get_inlines(_request(admin_user), None)
    models = [inline.model for inline in order_inlines]
    # The page's own inlines first, then the rooms' panels: the purchase, then the after-sale rooms'.
    assert models[:3] == [OrderLine, OrderStatusChange, AllegroCheckout]
    assert {Issue, SwaShipment} <= set(models[3:])
    assert "relist_ended" in admin.site.get_model_admin(Offer).get_actions(_request(admin_user))


def test_customer_page_has_the_allegro_logins_inline_column_and_search(admin_client, admin_user):
    customer_admin = admin.site.get_model_admin(Customer)
    assert CustomerAllegroIdentityInline in customer_admin.get_inlines(_request(admin_user), None)
    with translation.override("pl"):
        assert str(customer_admin.search_help_text) == "E-mail, imię i nazwisko, firma lub login Allegro."
    customer = make_customer(email="kupujacy@example.com")
    CustomerAllegroIdentity.objects.create(customer=customer, seller_id="1", buyer_id="9", login="Kupujacy_PL")
    make_customer(email="inny@example.com")
    with translation.override("pl"):
        page = admin_client.get(reverse("admin:shop_customer_changelist"), {"q": "KUPUJACY_pl"}).content.decode()
    assert "kupujacy@example.com</a>" in page and "inny@example.com" not in page
    assert "Loginy Allegro" in page and "Kupujacy_PL" in page


def test_apply_keeps_the_registered_instance_and_appends_after_the_pages_own(admin_user):
    """On a fresh site, whatever was declared before the page was registered: the same instance, extended."""
    site = AdminSite(name="extension_test")
    site.register(Product, ProductAdmin)
    site.register(Customer, CustomerAdmin)
    registered = site.get_model_admin(Product)

    @admin.action(description="x", permissions=["extra"])
    def extra_action(modeladmin, request, queryset):
        return None

    def extra_view(request):
        return HttpResponse("extra")

    extensions = [
        AdminExtension(
            model=Product,
            inlines=(ProductOffersInline,),
            actions=(extra_action,),
            list_display=(list_on_allegro_link,),
            readonly_fields=("sku",),
            permissions={"extra": lambda request: request.user.is_superuser},
            urls=lambda model_admin: [path("extra/", extra_view, name="shop_product_extra")],
        ),
        AdminExtension(
            model=Customer,
            search_hooks=(lambda *, term: Q(pk__in=[]) if term == "none" else Q(email="found@example.com"),),
        ),
    ]
    admin_extensions_apply(site=site, extensions=extensions)

    product_admin = site.get_model_admin(Product)
    assert product_admin is registered and isinstance(product_admin, ProductAdmin)
    assert product_admin.inlines == [ProductImageInline, ProductOffersInline]
    assert product_admin.list_display == (*ProductAdmin.list_display, list_on_allegro_link)
    assert product_admin.readonly_fields == ("sku",)
    assert "extra_action" in product_admin.get_actions(_request(admin_user))
    assert product_admin.get_urls()[0].name == "shop_product_extra"
    assert ProductAdmin.inlines == [ProductImageInline]  # the shop's class itself is untouched

    found = make_customer(email="found@example.com")
    make_customer(email="other@example.com")
    customer_admin = site.get_model_admin(Customer)
    results, _duplicates = customer_admin.get_search_results(_request(admin_user), Customer.objects.all(), "found")
    assert list(results) == [found]
    results, _duplicates = customer_admin.get_search_results(_request(admin_user), Customer.objects.all(), "")
    assert results.count() == 2  # an empty search adds nothing (and the hook is not asked)


def test_an_extension_of_an_unregistered_model_fails_loudly():
    site = AdminSite(name="extension_test_empty")
    with pytest.raises(admin.sites.NotRegistered):
        admin_extensions_apply(site=site, extensions=[AdminExtension(model=Product, actions=())])


def test_every_room_declares_through_extend_admin():
    """The declarations the rooms made at import (what AllegroConfig.ready() applied)."""
    declared = {extension.model for extension in admin_extensions._declared}
    # OrderEventCursor: the sync room adds "import now" (a Synchronizuj aukcje job) to the checkouts' import page,
    # which cannot import the sync room above it.
    assert declared == {Product, Order, Offer, Customer, OrderEventCursor}
