from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from orders.forms import OrderAdminForm
from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange
from orders.selectors import orders_search
from orders.services.orders import StatusTransitionNotAllowed, order_change_status, order_recalculate_totals
from selly_allegro.paginators import LargeTablePaginator


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = ("product", "name", "sku", "quantity", "unit_price", "stock_reserved", "problem")
    readonly_fields = ("stock_reserved", "problem")
    raw_id_fields = ("product",)


class OrderStatusChangeInline(admin.TabularInline):
    model = OrderStatusChange
    extra = 0
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _status_action(status: str):
    def action(modeladmin, request, queryset):
        done = 0
        for order in queryset.order_by("pk"):
            try:
                order_change_status(order=order, status=status, actor=request.user)
                done += 1
            except StatusTransitionNotAllowed as exc:
                modeladmin.message_user(request, str(exc), messages.WARNING)
        if done:
            modeladmin.message_user(request, ngettext("%d order changed.", "%d orders changed.", done) % done)

    action.__name__ = f"set_status_{status}"
    action.short_description = _("Set status: %(status)s") % {"status": OrderStatus(status).label}
    action.allowed_permissions = ("change",)
    return action


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    form = OrderAdminForm
    list_display = (
        "number",
        "placed_at",
        "customer",
        "source",
        "status",
        "payment_status",
        "total",
        "delivery_method",
        "needs_attention",
    )
    # A date filter instead of date_hierarchy: the hierarchy's list of years is a DISTINCT over every order.
    list_filter = (
        "status",
        "source",
        "payment_status",
        "needs_attention",
        "delivery_method",
        ("placed_at", admin.DateFieldListFilter),
    )
    list_select_related = ("customer", "delivery_method")
    search_fields = ("=number", "customer__email", "customer__last_name", "delivery_name", "=external_key")
    search_help_text = _("Order number, e-mail or surname of the customer, recipient.")
    raw_id_fields = ("customer",)
    inlines = [OrderLineInline, OrderStatusChangeInline]
    readonly_fields = ("number", "source", "external_key", "items_total", "placed_at", "updated_at")
    actions = [_status_action(s) for s in (OrderStatus.PROCESSING, OrderStatus.SENT, OrderStatus.CANCELLED)]
    list_per_page = 50
    show_full_result_count = False
    paginator = LargeTablePaginator
    fieldsets = (
        (None, {"fields": ("number", "customer", "source", "external_key", "status", "placed_at", "updated_at")}),
        (_("Attention"), {"fields": ("needs_attention", "attention_note")}),
        (
            _("Payment"),
            {"fields": ("payment_type", "payment_provider", "payment_status", "paid_amount", "currency")},
        ),
        (
            _("Delivery"),
            {
                "fields": (
                    "delivery_method",
                    "delivery_method_name",
                    "delivery_cost",
                    "pickup_point_id",
                    "pickup_point_name",
                    "pickup_point_address",
                    "delivery_name",
                    "delivery_company",
                    "delivery_street",
                    "delivery_post_code",
                    "delivery_city",
                    "delivery_country_code",
                    "delivery_phone",
                    "tracking_number",
                )
            },
        ),
        (
            _("Invoice"),
            {
                "fields": (
                    "invoice_required",
                    "invoice_name",
                    "invoice_company",
                    "invoice_nip",
                    "invoice_street",
                    "invoice_post_code",
                    "invoice_city",
                    "invoice_country_code",
                )
            },
        ),
        (_("Totals and message"), {"fields": ("items_total", "total", "buyer_message")}),
    )
    menu_order = 10

    def get_search_results(self, request, queryset, search_term):
        """An order number or an external key exactly; anything else a fragment of the customer's e-mail or
        surname or of the recipient (``orders_search``)."""
        return orders_search(queryset=queryset, term=search_term), False

    def save_model(self, request, obj, form, change):
        if change and "status" in form.changed_data:
            new_status = obj.status
            obj.status = form.initial["status"]
            obj.save()
            order_change_status(order=obj, status=new_status, actor=request.user)
        else:
            obj.save()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if form.instance.source == "shop":
            order_recalculate_totals(order=form.instance)
