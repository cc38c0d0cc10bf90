"""Admin of the Allegro order import: the import status per account (lag, last import,
"Importuj teraz", "Pobierz zamówienia z okresu"), the quarantine with "Spróbuj ponownie", and the
Allegro panel on the shop's order page (purchase details, link to Allegro, "Dodaj numer przesyłki"), and the
customers' Allegro logins on the shop's customer page, list and search."""

from __future__ import annotations

import json
from datetime import datetime, time

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from allegro.accounts.models import AllegroAccount
from allegro.checkouts.models import (
    AllegroCheckout,
    AllegroShipment,
    CheckoutQuarantine,
    CustomerAllegroIdentity,
    OrderEventCursor,
)
from allegro.checkouts.services.order_import import (
    ImportBusy,
    checkout_quarantine_retry,
    order_cursor_for,
    order_import_backfill,
)
from allegro.checkouts.services.writeback import carriers_for, checkout_for_order, order_add_tracking
from allegro.checkouts.tasks import shipment_send
from allegro.core.admin_extensions import extend_admin
from allegro.integration.client import AllegroError
from orders.models import Order
from shop.models import Customer

RUN_PERMISSION = "allegro.run_sync"


class BackfillForm(forms.Form):
    account = forms.ModelChoiceField(label=_("account"), queryset=AllegroAccount.objects.filter(state="connected"))
    date_from = forms.DateField(label=_("from"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("to"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data


class TrackingForm(forms.Form):
    carrier_id = forms.ChoiceField(label=_("carrier"))
    carrier_name = forms.CharField(
        label=_("carrier name"), max_length=30, required=False, help_text=_("Only for “other carrier”.")
    )
    waybill = forms.CharField(label=_("tracking number"), max_length=64)

    def __init__(self, *args, carriers: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier_id"].choices = carriers

    def clean(self):
        data = super().clean()
        if data.get("carrier_id") == "OTHER" and not data.get("carrier_name"):
            self.add_error("carrier_name", _("Give the carrier's name for “other carrier”."))
        return data


@admin.register(OrderEventCursor)
class OrderEventCursorAdmin(admin.ModelAdmin):
    list_display = (
        "account",
        "create_orders_at",
        "last_import_at",
        "lag_display",
        "last_event_id",
        "last_sweep_at",
        "open_quarantine",
        "error_display",
        "taken_over_at",
    )
    list_select_related = ("account",)
    fields = (
        "account",
        "create_orders_at",
        "start_from",
        "last_event_id",
        "last_event_at",
        "last_import_at",
        "caught_up_at",
        "last_sweep_at",
        "last_error",
        "taken_over_at",
    )
    readonly_fields = (
        "account",
        "last_event_id",
        "last_event_at",
        "last_import_at",
        "caught_up_at",
        "last_sweep_at",
        "last_error",
        "taken_over_at",
    )
    # "Importuj zamówienia teraz" is added by the sync room: it starts the synchronisation job's order step.
    menu_group = "sales"
    menu_order = 80

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        # Every account has a row to show, even before its first import.
        for account in AllegroAccount.objects.exclude(order_cursor__isnull=False):
            order_cursor_for(account=account)
        return super().get_queryset(request)

    def changelist_view(self, request, extra_context=None):
        open_counts = dict(
            CheckoutQuarantine.objects.filter(resolved_at__isnull=True)
            .values_list("account_id")
            .annotate(n=Count("pk"))
            .values_list("account_id", "n")
        )
        self._open_counts = open_counts
        extra_context = {**(extra_context or {}), "backfill_url": reverse("admin:allegro_orders_backfill")}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("behind by"))
    def lag_display(self, obj: OrderEventCursor) -> str:
        seconds = obj.lag_seconds
        if seconds is None:
            return "—"
        if seconds < 120:
            return gettext("%(n)d s") % {"n": seconds}
        return gettext("%(n)d min") % {"n": seconds // 60}

    @admin.display(description=_("quarantined"))
    def open_quarantine(self, obj: OrderEventCursor) -> str:
        count = getattr(self, "_open_counts", {}).get(obj.account_id, 0)
        if not count:
            return "0"
        url = reverse("admin:allegro_checkoutquarantine_changelist") + f"?account__id__exact={obj.account_id}"
        return format_html('<a href="{}"><strong>{}</strong></a>', url, count)

    @admin.display(description=_("last import error"))
    def error_display(self, obj: OrderEventCursor) -> str:
        return obj.last_error[:120] or "—"

    def has_run_permission(self, request) -> bool:
        return request.user.has_perm(RUN_PERMISSION)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("backfill/", wrap(self.backfill_view), name="allegro_orders_backfill"),
            path("order/<int:order_id>/tracking/", wrap(self.tracking_view), name="allegro_orders_tracking"),
            *super().get_urls(),
        ]

    def backfill_view(self, request):
        """ "Pobierz zamówienia z okresu": import every Allegro order bought in a date range."""
        if not request.user.has_perm(RUN_PERMISSION):
            raise PermissionDenied
        form = BackfillForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            tz = timezone.get_current_timezone()
            start = datetime.combine(form.cleaned_data["date_from"], time.min, tzinfo=tz)
            end = datetime.combine(form.cleaned_data["date_to"], time.max, tzinfo=tz)
            try:
                result = order_import_backfill(
                    account=form.cleaned_data["account"], date_from=start, date_to=end, actor=request.user
                )
            except ImportBusy:
                self.message_user(request, gettext("An import of this account is running; try again in a minute."))
            except AllegroError as exc:
                self.message_user(request, "; ".join(exc.user_messages), messages.ERROR)
            else:
                self.message_user(request, result.summary(), messages.SUCCESS)
                return redirect("admin:allegro_ordereventcursor_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Fetch orders from a period"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/allegro/orders/backfill.html", context)

    def tracking_view(self, request, order_id: int):
        """ "Dodaj numer przesyłki": a tracking number with its carrier, sent to Allegro as a shipment."""
        if not request.user.has_perm("orders.change_order"):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=order_id)
        checkout = checkout_for_order(order_id=order.pk)
        if checkout is None:
            raise PermissionDenied
        try:
            carriers = carriers_for(account=checkout.account)
        except AllegroError as exc:
            self.message_user(request, "; ".join(exc.user_messages), messages.ERROR)
            return redirect("admin:orders_order_change", order.pk)
        form = TrackingForm(request.POST or None, carriers=carriers)
        if request.method == "POST" and form.is_valid():
            shipment = order_add_tracking(
                order=order,
                carrier_id=form.cleaned_data["carrier_id"],
                carrier_name=form.cleaned_data["carrier_name"],
                waybill=form.cleaned_data["waybill"],
                actor=request.user,
            )
            shipment_send.delay_on_commit(shipment.pk)
            self.message_user(request, gettext("Tracking number saved; it is being sent to Allegro."), messages.SUCCESS)
            return redirect("admin:orders_order_change", order.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Add tracking number"),
            "form": form,
            "order": order,
            "checkout": checkout,
            "opts": Order._meta,
        }
        return TemplateResponse(request, "admin/allegro/orders/tracking.html", context)


@admin.register(CheckoutQuarantine)
class CheckoutQuarantineAdmin(admin.ModelAdmin):
    list_display = ("checkout_form_id", "account", "short_reason", "attempts", "updated_at", "resolved_at", "retry")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter), "account")
    list_select_related = ("account",)
    search_fields = ("=checkout_form_id", "reason")
    readonly_fields = (
        "account",
        "checkout_form_id",
        "reason",
        "event_id",
        "attempts",
        "created_at",
        "updated_at",
        "resolved_at",
        "payload_pretty",
    )
    fields = readonly_fields
    actions = ["retry_selected"]
    list_per_page = 50
    menu_group = "sales"
    menu_order = 85

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("reason"))
    def short_reason(self, obj: CheckoutQuarantine) -> str:
        return obj.reason if len(obj.reason) <= 140 else obj.reason[:137] + "…"

    @admin.display(description=_("checkout form (as received)"))
    def payload_pretty(self, obj: CheckoutQuarantine) -> str:
        text = json.dumps(obj.payload, ensure_ascii=False, indent=2)[:50_000]
        return format_html('<pre style="white-space:pre-wrap;max-height:40em;overflow:auto">{}</pre>', text)

    @admin.display(description="")
    def retry(self, obj: CheckoutQuarantine) -> str:
        # The list is itself a form (actions): the button lives on the detail page; here a link to it.
        if obj.resolved_at:
            return ""
        url = reverse("admin:allegro_checkoutquarantine_change", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, gettext("Try again"))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/retry/", wrap(require_POST(self.retry_view)), name="allegro_checkoutquarantine_retry"),
            *super().get_urls(),
        ]

    def _retry(self, request, quarantine: CheckoutQuarantine) -> None:
        try:
            done = checkout_quarantine_retry(quarantine=quarantine, actor=request.user)
        except ImportBusy:
            self.message_user(request, gettext("An import of this account is running; try again in a minute."))
            return
        except AllegroError as exc:
            self.message_user(request, "; ".join(exc.user_messages), messages.ERROR)
            return
        if done:
            self.message_user(
                request,
                gettext("Checkout form %(id)s imported.") % {"id": quarantine.checkout_form_id},
                messages.SUCCESS,
            )
        else:
            quarantine.refresh_from_db()
            self.message_user(
                request,
                gettext("Checkout form %(id)s still cannot be imported: %(reason)s")
                % {"id": quarantine.checkout_form_id, "reason": quarantine.reason},
                messages.ERROR,
            )

    def retry_view(self, request, pk: int):
        if not request.user.has_perm(RUN_PERMISSION):
            raise PermissionDenied
        self._retry(request, get_object_or_404(CheckoutQuarantine.objects.select_related("account__app"), pk=pk))
        return redirect("admin:allegro_checkoutquarantine_changelist")

    @admin.action(description=_("Try again"), permissions=["run"])
    def retry_selected(self, request, queryset):
        for quarantine in queryset.filter(resolved_at__isnull=True).select_related("account__app"):
            self._retry(request, quarantine)

    def has_run_permission(self, request) -> bool:
        return request.user.has_perm(RUN_PERMISSION)


# --- the Allegro panel on the shop's order page ---------------------------------------------------------------


class AllegroCheckoutInline(admin.StackedInline):
    """All Allegro purchase details of the order, read-only, with a link to the form on Allegro."""

    model = AllegroCheckout
    fk_name = "order"
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = _("Allegro purchase")
    verbose_name_plural = _("Allegro purchase")
    fields = (
        "allegro_link",
        "account",
        "buyer_login",
        "buyer_id",
        "status",
        "fulfillment_status",
        "revision",
        "first_seen_at",
        "last_seen_at",
        "purchase_details",
        "shipments_display",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_order") or request.user.has_perm("orders.change_order")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account__app").prefetch_related("shipments")

    @admin.display(description=_("checkout form"))
    def allegro_link(self, obj: AllegroCheckout) -> str:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a> · <a class="button" href="{}">{}</a>',
            obj.web_url,
            obj.checkout_form_id,
            reverse("admin:allegro_orders_tracking", args=[obj.order_id]),
            gettext("Add tracking number"),
        )

    @admin.display(description=_("purchase details"))
    def purchase_details(self, obj: AllegroCheckout) -> str:
        return format_html(
            '<pre style="white-space:pre-wrap;max-height:30em;overflow:auto">{}</pre>',
            json.dumps(obj.payload, ensure_ascii=False, indent=2)[:50_000],
        )

    @admin.display(description=_("tracking numbers sent to Allegro"))
    def shipments_display(self, obj: AllegroCheckout) -> str:
        shipments: list[AllegroShipment] = list(obj.shipments.all())
        if not shipments:
            return "—"
        parts = [
            f"{s.waybill} ({s.carrier_name or s.carrier_id}) – "
            + (gettext("sent") if s.sent_at else (s.last_error or gettext("waiting")))
            for s in shipments
        ]
        return "; ".join(parts)


class AllegroAccountOrderFilter(admin.SimpleListFilter):
    """Orders by the Allegro account they were bought on (the dashboard's order charts link here)."""

    title = _("Allegro account")
    parameter_name = "allegro_account"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in AllegroAccount.objects.order_by("name", "pk").values_list("pk", "name")]

    def queryset(self, request, queryset):
        if not (self.value() or "").isdigit():
            return queryset
        # A subquery, not a join: an order of several merged checkouts stays one row.
        return queryset.filter(pk__in=AllegroCheckout.objects.filter(account_id=self.value()).values("order_id"))


extend_admin(Order, inlines=[AllegroCheckoutInline], list_filter=[AllegroAccountOrderFilter])


# --- the Allegro logins on the shop's customer page and list --------------------------------------------------


class CustomerAllegroIdentityInline(admin.TabularInline):
    model = CustomerAllegroIdentity
    extra = 0
    fields = ("login", "buyer_id", "seller_id")


@admin.display(description=_("Allegro logins"))
def allegro_logins(obj: Customer) -> str:
    return ", ".join(identity.login for identity in obj.allegro_identities.all())


def customers_by_allegro_login(*, term: str) -> Q:
    """The Allegro login (ignoring case) through a subquery on its own indexed table, not a join: no duplicate
    rows, so no DISTINCT over every column."""
    return Q(pk__in=CustomerAllegroIdentity.objects.filter(login__iexact=term).values("customer_id"))


extend_admin(
    Customer,
    inlines=[CustomerAllegroIdentityInline],
    list_display=[allegro_logins],
    search_fields=["allegro_identities__login"],
    search_help_text=_("E-mail, name, company or Allegro login."),
    search_hooks=[customers_by_allegro_login],
    queryset_hooks=[lambda queryset: queryset.prefetch_related("allegro_identities")],
)
