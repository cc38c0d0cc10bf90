from django.contrib import admin, messages
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from shop.forms import PriceChangeForm, ProductAdminForm
from shop.models import (
    Category,
    Customer,
    DeliveryMethod,
    Product,
    ProductImage,
    StockMovement,
)
from shop.services.products import product_change_prices, product_set_visibility
from shop.services.stock import stock_set


@admin.register(Category)
class CategoryAdmin(TreeAdmin):
    verbose_name_accusative = pgettext_lazy("accusative", "category")
    form = movenodeform_factory(Category)
    list_display = ("name", "visible")
    search_fields = ("name",)
    menu_order = 20


class CategoryTreeFilter(admin.SimpleListFilter):
    """Filter by a category together with all its subcategories (one prefix match on the tree path)."""

    title = _("category (with subcategories)")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [
            (str(pk), "\u2003" * (depth - 1) + name)
            for pk, name, depth in Category.objects.order_by("path").values_list("pk", "name", "depth")
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        path = Category.objects.filter(pk=self.value()).values_list("path", flat=True).first()
        if path is None:
            return queryset.none()
        return queryset.filter(category__path__startswith=path)


class StockFilter(admin.SimpleListFilter):
    title = _("stock")
    parameter_name = "stock_state"

    def lookups(self, request, model_admin):
        return [
            ("in", _("in stock")),
            ("out", _("out of stock (0)")),
            ("low", _("low (1–5)")),
            ("untracked", _("not tracked")),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "in":
                return queryset.filter(Q(stock__gt=0) | Q(stock__isnull=True))
            case "out":
                return queryset.filter(stock=0)
            case "low":
                return queryset.filter(stock__gte=1, stock__lte=5)
            case "untracked":
                return queryset.filter(stock__isnull=True)
        return queryset


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 1
    fields = ("image", "alt", "position")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm
    list_display = ("name", "sku", "ean", "category", "price", "stock_display", "visible")
    list_display_links = ("name",)
    list_filter = (CategoryTreeFilter, "visible", StockFilter, "vat_rate")
    list_select_related = ("category",)
    search_fields = ("name", "=sku", "=ean")
    search_help_text = _("Name (a fragment), SKU or EAN (exact).")
    list_per_page = 50
    inlines = [ProductImageInline]
    actions = ["make_visible", "make_hidden", "change_prices"]
    fieldsets = (
        (None, {"fields": ("name", "sku", "ean", "brand", "category")}),
        (_("Price and stock"), {"fields": ("price", "vat_rate", "stock", "visible", "weight")}),
        (_("Description"), {"fields": ("description", "stock_seen")}),
    )
    menu_order = 10

    def get_search_results(self, request, queryset, search_term):
        """SKU and EAN match exactly and case-sensitively, so their indexes answer; the name matches a fragment."""
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(sku=term) | Q(ean=term) | Q(name__icontains=term)), False

    @admin.display(description=_("stock"), ordering="stock")
    def stock_display(self, obj: Product) -> str:
        return "—" if obj.stock is None else str(obj.stock)

    def save_model(self, request, obj, form, change):
        obj._change_reason = _("edited by %(user)s") % {"user": request.user.get_username()}
        if not change:
            obj.save()
            return
        # Stock is never written from the form's copy: it goes through stock_set under a row lock,
        # so an order reserving stock at the same moment is not overwritten.
        new_stock = obj.stock
        obj.stock = obj._loaded_watched.get("stock")
        obj.save(update_fields=[f.name for f in obj._meta.concrete_fields if not f.primary_key and f.name != "stock"])
        if form.stock_changed_by_user:
            stock_set(product=obj, stock=new_stock, reason=obj._change_reason)

    @admin.action(description=_("Show selected products in the shop"), permissions=["change"])
    def make_visible(self, request, queryset):
        count = product_set_visibility(products=queryset, visible=True, reason=f"admin: {request.user}")
        self.message_user(request, ngettext("%d product shown.", "%d products shown.", count) % count)

    @admin.action(description=_("Hide selected products"), permissions=["change"])
    def make_hidden(self, request, queryset):
        count = product_set_visibility(products=queryset, visible=False, reason=f"admin: {request.user}")
        self.message_user(request, ngettext("%d product hidden.", "%d products hidden.", count) % count)

    @admin.action(description=_("Change prices of selected products by %%"), permissions=["change"])
    def change_prices(self, request, queryset):
        form = PriceChangeForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            count = product_change_prices(
                products=queryset, percent=form.cleaned_data["percent"], reason=f"admin: {request.user}"
            )
            self.message_user(
                request, ngettext("%d price changed.", "%d prices changed.", count) % count, messages.SUCCESS
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change prices"),
            "form": form,
            "queryset": queryset[:20],
            "count": queryset.count(),
            "action": "change_prices",
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/shop/product/change_prices.html", context)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    verbose_name_accusative = pgettext_lazy("accusative", "customer")
    list_display = ("email", "first_name", "last_name", "phone", "company")
    search_fields = ("email", "first_name", "last_name", "company")
    search_help_text = _("E-mail, name or company.")
    show_full_result_count = False
    list_per_page = 50
    fieldsets = (
        (None, {"fields": ("email", "first_name", "last_name", "phone")}),
        (_("Company"), {"fields": ("company", "nip")}),
        (
            _("Billing address"),
            {"fields": ("billing_street", "billing_post_code", "billing_city", "billing_country_code")},
        ),
        (
            _("Shipping address"),
            {
                "fields": (
                    "shipping_name",
                    "shipping_street",
                    "shipping_post_code",
                    "shipping_city",
                    "shipping_country_code",
                )
            },
        ),
    )
    menu_order = 30

    def get_search_results(self, request, queryset, search_term):
        """Fragments of the e-mail, name and company; no join, so no duplicate rows and no DISTINCT."""
        term = search_term.strip()
        if not term:
            return queryset, False
        query = (
            Q(email__icontains=term)
            | Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(company__icontains=term)
        )
        return queryset.filter(query), False


@admin.register(DeliveryMethod)
class DeliveryMethodAdmin(admin.ModelAdmin):
    verbose_name_accusative = pgettext_lazy("accusative", "delivery method")
    list_display = ("name", "price", "cash_on_delivery", "active", "position")
    list_editable = ("position", "active")
    menu_order = 40


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = ("created_at", "product", "delta", "reason")
    list_select_related = ("product",)
    search_fields = ("=product__sku", "reason", "=reference")
    date_hierarchy = "created_at"
    menu_order = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
