from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from allegro.accounts.forms import AllegroAccountForm, AllegroAppForm
from allegro.accounts.models import AllegroAccount, AllegroApp, ConnectionState
from allegro.accounts.services.accounts import account_authorization_start, account_disconnect, oauth_redirect_uri
from allegro.accounts.services.checklist import account_checklist
from allegro.accounts.services.settings import account_fetch_choices, account_update_settings
from allegro.core.models import EventLogEntry, event_action_label, event_rule_label
from allegro.integration.client import AllegroError
from selly_allegro.paginators import LargeTablePaginator


@admin.register(AllegroApp)
class AllegroAppAdmin(admin.ModelAdmin):
    verbose_name_accusative = pgettext_lazy("accusative", "Allegro application (REST API)")
    form = AllegroAppForm
    list_display = ("name", "environment", "client_id", "created_at")
    fieldsets = (
        (None, {"fields": ("name", "environment", "client_id", "client_secret")}),
        (_("Custom addresses (emulator)"), {"fields": ("api_url", "auth_url", "upload_url"), "classes": ("collapse",)}),
    )
    menu_order = 10

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "redirect_uri": oauth_redirect_uri()}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "redirect_uri": oauth_redirect_uri()}
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if getattr(form, "credentials_warning", ""):
            messages.warning(request, form.credentials_warning)


@admin.register(AllegroAccount)
class AllegroAccountAdmin(admin.ModelAdmin):
    verbose_name_accusative = pgettext_lazy("accusative", "Allegro account")
    form = AllegroAccountForm
    # The application by its name only (its environment is on its own page): the list fits a laptop screen.
    list_display = (
        "name", "login", "app_name", "state_badge", "token_expires_at", "last_success_at", "authorize_button"
    )  # fmt: skip
    list_filter = ("state", "app")
    list_select_related = ("app",)
    search_fields = ("name", "login", "=seller_id")
    readonly_fields = (
        "login",
        "seller_id",
        "state",
        "token_expires_at",
        "last_success_at",
        "last_error",
        "fingerprint",
    )
    actions = ["refresh_lists"]
    menu_order = 20
    fieldsets = (
        (None, {"fields": ("name", "app")}),
        (
            _("Connection"),
            {
                "fields": (
                    "login",
                    "seller_id",
                    "state",
                    "token_expires_at",
                    "fingerprint",
                    "last_success_at",
                    "last_error",
                )
            },
        ),
        (
            _("Warranties, complaints, returns and delivery"),
            {"fields": ("warranty_id", "implied_warranty_id", "return_policy_id", "shipping_rates_id")},
        ),
        (
            _("General offer settings"),
            {
                "fields": (
                    "default_template",
                    "default_duration",
                    "default_quantity",
                    "location_province",
                    "location_city",
                    "location_post_code",
                    "invoice_type",
                    "handling_time",
                    "promotion_emphasized",
                    "promotion_bold_title",
                    "promotion_department_page",
                    "price_markup_percent",
                )
            },
        ),
        (
            _("Product safety (GPSR)"),
            {
                "fields": ("gpsr_producer", "gpsr_safety_information", "gpsr_marketed_before"),
                "description": _("Defaults for every listing of this account; a single listing can change them."),
            },
        ),
        (
            _("Synchronisation"),
            {
                "fields": (
                    "sync_import_orders",
                    "sync_prices",
                    "sync_stock",
                    "sync_close_sold_out",
                    "sync_renew_ended",
                    "sync_renew_descriptions",
                ),
                "description": _("Each automatic task runs only after you switch it on."),
            },
        ),
    )

    @admin.display(description=_("application"), ordering="app__name")
    def app_name(self, obj: AllegroAccount) -> str:
        return obj.app.name

    @admin.display(description=_("connection"), ordering="state")
    def state_badge(self, obj: AllegroAccount) -> str:
        colour = {"connected": "#2e7d32", "needs_reauth": "#c62828", "disconnected": "#757575"}[obj.state]
        return format_html('<strong style="color:{}">{}</strong>', colour, obj.get_state_display())

    @admin.display(description=_("token fingerprint"))
    def fingerprint(self, obj: AllegroAccount) -> str:
        return obj.token_fingerprint or "—"

    @admin.display(description="")
    def authorize_button(self, obj: AllegroAccount) -> str:
        label = gettext("Authorise again") if obj.state == ConnectionState.NEEDS_REAUTH else gettext("Authorisation")
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:allegro_allegroaccount_authorize", args=[obj.pk]),
            label,
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/authorize/", wrap(self.authorize_view), name="allegro_allegroaccount_authorize"),
            path("<int:pk>/checklist/", wrap(self.checklist_view), name="allegro_allegroaccount_checklist"),
            path("checklist/", wrap(self.checklist_all_view), name="allegro_allegroaccount_checklist_all"),
            path(
                "<int:pk>/refresh-lists/",
                wrap(require_POST(self.refresh_lists_view)),
                name="allegro_allegroaccount_refresh_lists",
            ),
            path(
                "<int:pk>/disconnect/",
                wrap(require_POST(self.disconnect_view)),
                name="allegro_allegroaccount_disconnect",
            ),
            *super().get_urls(),
        ]

    def _account_or_403(self, request, pk: int, *, perm: str = "allegro.change_allegroaccount") -> AllegroAccount:
        if not request.user.has_perm(perm):
            raise PermissionDenied
        return get_object_or_404(AllegroAccount.objects.select_related("app"), pk=pk)

    def authorize_view(self, request, pk: int):
        """GET shows a confirmation page; POST (with CSRF) starts the OAuth flow."""
        account = self._account_or_403(request, pk, perm="allegro.authorize_account")
        if request.method == "POST":
            return redirect(account_authorization_start(account=account, session=request.session, user=request.user))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Authorise %(account)s on Allegro") % {"account": account},
            "account": account,
            "opts": self.model._meta,
            "redirect_uri": oauth_redirect_uri(),
        }
        response = TemplateResponse(request, "admin/allegro/allegroaccount/authorize.html", context)
        # The form's POST is answered with a redirect to this app's OAuth page: let the browser follow it.
        response._csp_update = {"form-action": [account.app.url("auth")]}
        return response

    def checklist_view(self, request, pk: int):
        account = self._account_or_403(request, pk, perm="allegro.view_allegroaccount")
        checks = account_checklist(account=account)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Setup checklist: %(account)s") % {"account": account},
            "account": account,
            "checks": checks,
            "all_ok": all(c.ok for c in checks),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/allegro/allegroaccount/checklist.html", context)

    def checklist_all_view(self, request):
        """The checklist of every account on one page (the "all accounts at once" view)."""
        if not request.user.has_perm("allegro.view_allegroaccount"):
            raise PermissionDenied
        results = [
            (account, account_checklist(account=account))
            for account in AllegroAccount.objects.select_related("app").order_by("name", "pk")
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Setup checklist of all accounts"),
            "results": results,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/allegro/allegroaccount/checklist_all.html", context)

    def refresh_lists_view(self, request, pk: int):
        account = self._account_or_403(request, pk)
        try:
            account_fetch_choices(account=account)
            self.message_user(request, gettext("Lists fetched from Allegro."), messages.SUCCESS)
        except AllegroError as exc:
            self.message_user(request, "; ".join(exc.user_messages), messages.ERROR)
        return redirect("admin:allegro_allegroaccount_change", account.pk)

    def disconnect_view(self, request, pk: int):
        account = self._account_or_403(request, pk, perm="allegro.authorize_account")
        account_disconnect(account=account, actor=request.user)
        self.message_user(request, gettext("Account disconnected."), messages.SUCCESS)
        return redirect("admin:allegro_allegroaccount_change", account.pk)

    @admin.action(description=_("Fetch after-sales conditions and price lists from Allegro"), permissions=["change"])
    def refresh_lists(self, request, queryset):
        for account in queryset.select_related("app"):
            try:
                account_fetch_choices(account=account)
            except AllegroError as exc:
                self.message_user(request, f"{account}: {'; '.join(exc.user_messages)}", messages.ERROR)
        self.message_user(request, gettext("Lists refreshed."), messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            account_update_settings(account=obj, changed=list(form.changed_data), actor=request.user)


@admin.register(EventLogEntry)
class EventLogEntryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at", "account", "kind", "action_label", "short_message", "success", "actor", "rule_label", "offer_id",
        "product_id",
    )  # fmt: skip
    # The stored codes of action and rule are shown as their Polish labels.
    fields = (
        "created_at", "account", "kind", "action_label", "message", "success", "actor", "rule_label", "offer_id",
        "product_id", "order_id", "request_summary", "response_summary", "trace_id",
    )  # fmt: skip
    readonly_fields = ("action_label", "rule_label")
    # Filter by offer and product with ?offer_id=<Allegro id> / ?product_id=<pk> (links on the offer and product pages).
    # A date filter instead of date_hierarchy: the hierarchy's list of years is a DISTINCT over a million rows.
    list_filter = ("kind", "success", "account", ("created_at", admin.DateFieldListFilter))
    list_select_related = ("account", "actor")
    search_fields = ("=offer_id", "=product_id", "=order_id", "=trace_id")
    search_help_text = _("Allegro offer number, product or order id, or trace-id (exact).")
    list_per_page = 100
    show_full_result_count = False
    paginator = LargeTablePaginator
    menu_group = "sales"
    menu_order = 90

    def get_search_results(self, request, queryset, search_term):
        """Exact matches on indexed columns only: the log holds millions of rows."""
        term = search_term.strip()
        if not term:
            return queryset, False
        query = Q(offer_id=term) | Q(trace_id=term)
        if term.isdigit():
            query |= Q(product_id=int(term)) | Q(order_id=int(term))
        return queryset.filter(query), False

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, obj: EventLogEntry) -> str:
        return event_action_label(obj.action)

    @admin.display(description=_("rule"), ordering="rule")
    def rule_label(self, obj: EventLogEntry) -> str:
        return event_rule_label(obj.rule)

    @admin.display(description=_("message"))
    def short_message(self, obj: EventLogEntry) -> str:
        return obj.message if len(obj.message) <= 120 else obj.message[:117] + "…"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
