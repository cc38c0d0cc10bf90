"""Admin of returns and refunds: the returns list (status, items, reason, buyer's message, parcel tracking) and a
return's page with "Akceptuj", "Odrzuć" and "Przyjęto na magazyn"; the refund page of an order (the amount
shown before it is sent); the refunds and commission refund claims lists; the import and the automatic claim
rule per account; and the returns, refunds and claims panel on the shop's order page."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from allegro.checkouts.models import AllegroCheckout
from allegro.core.admin_extensions import extend_admin
from allegro.integration.client import AllegroError
from allegro.returns.forms import RefundForm, RejectForm
from allegro.returns.models import (
    ClaimState,
    CustomerReturn,
    CustomerReturnItem,
    Refund,
    RefundClaim,
    RefundState,
    RejectionCode,
    ReturnsCursor,
)
from allegro.returns.selectors import order_refund_claims, order_refunds, order_returns, refund_for_intent
from allegro.returns.services.claims import ClaimRefused, refund_claim_create, refund_claim_lines, refund_claims_auto
from allegro.returns.services.refunds import RefundRefused, refund_create, refund_quote, refund_refresh
from allegro.returns.services.returns import (
    ReturnActionRefused,
    customer_return_accept,
    customer_return_reject,
    customer_return_restock,
    returns_cursor_for,
    returns_import_account,
)
from allegro.returns.tasks import refund_claim_send, refund_send
from orders.models import Order

RUN_PERMISSION = "allegro.run_sync"
DECIDE_PERMISSION = "allegro.change_customerreturn"
REFUND_PERMISSION = "allegro.add_refund"
CLAIM_PERMISSION = "allegro.add_refundclaim"


def _items_html(items) -> str:
    return format_html_join(
        "",
        "<div>{} × {}</div>",
        ((item.quantity, item.name or item.offer_id) for item in items),
    )


def _reasons_html(items) -> str:
    return format_html_join(
        "",
        "<div><strong>{}</strong>{}</div>",
        (
            (item.get_reason_display() or "—", f": „{item.buyer_comment}”" if item.buyer_comment else "")
            for item in items
        ),
    )


@admin.register(ReturnsCursor)
class ReturnsCursorAdmin(admin.ModelAdmin):
    list_display = ("account", "last_import_at", "auto_claims", "claim_after_days", "last_claims_run_at", "error")
    list_editable = ("auto_claims", "claim_after_days")
    list_select_related = ("account",)
    fields = ("account", "auto_claims", "claim_after_days", "last_import_at", "last_claims_run_at", "last_error")
    readonly_fields = ("account", "last_import_at", "last_claims_run_at", "last_error")
    actions = ["import_now", "claims_now"]
    menu_group = "sales"
    menu_order = 90

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        from allegro.accounts.models import AllegroAccount

        for account in AllegroAccount.objects.exclude(returns_cursor__isnull=False):
            returns_cursor_for(account=account)
        return super().get_queryset(request)

    @admin.display(description=_("last import error"))
    def error(self, obj: ReturnsCursor) -> str:
        return obj.last_error[:120] or "—"

    def has_run_permission(self, request) -> bool:
        return request.user.has_perm(RUN_PERMISSION)

    @admin.action(description=_("Import returns now"), permissions=["run"])
    def import_now(self, request, queryset):
        for cursor in queryset.select_related("account__app"):
            try:
                result = returns_import_account(account=cursor.account)
            except AllegroError as exc:
                self.message_user(request, f"{cursor.account}: {'; '.join(exc.user_messages)}", messages.ERROR)
                continue
            self.message_user(request, f"{cursor.account}: {result.summary()}", messages.SUCCESS)

    @admin.action(description=_("File commission refund claims now (automatic rule)"), permissions=["run"])
    def claims_now(self, request, queryset):
        for cursor in queryset.select_related("account__app"):
            if not cursor.auto_claims:
                self.message_user(
                    request, gettext("%(account)s: the automatic rule is off.") % {"account": cursor.account}
                )
                continue
            made = refund_claims_auto(account=cursor.account)
            self.message_user(
                request, gettext("%(account)s: claims filed: %(n)d") % {"account": cursor.account, "n": len(made)}
            )


class CustomerReturnItemInline(admin.TabularInline):
    model = CustomerReturnItem
    extra = 0
    max_num = 0
    can_delete = False
    fields = ("name", "offer_id", "quantity", "unit_price", "reason", "buyer_comment", "order_line", "restocked")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CustomerReturn)
class CustomerReturnAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "order_link",
        "account",
        "status",
        "decision",
        "items_display",
        "reasons_display",
        "tracking_display",
        "created_at",
        "restocked_at",
    )
    list_filter = ("decision", "status", "account")
    list_select_related = ("account", "order")
    search_fields = ("=reference_number", "=return_id", "=checkout_form_id", "buyer_login")
    search_help_text = _("Return number, Allegro return or checkout form id, or Allegro login.")
    fields = (
        "decision_panel",
        "reference_number",
        "return_id",
        "account",
        "order",
        "checkout_form_id",
        "status",
        "decision",
        "rejection_code",
        "rejection_reason",
        "decided_at",
        "decided_by",
        "buyer_login",
        "buyer_email",
        "tracking_display",
        "created_at",
        "restocked_at",
        "first_seen_at",
        "last_seen_at",
    )
    readonly_fields = fields
    inlines = [CustomerReturnItemInline]
    actions = ["restock_selected"]
    list_per_page = 50
    menu_group = "sales"
    menu_order = 86

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("items", queryset=CustomerReturnItem.objects.order_by("position")))
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Every field is Allegro's or a decision's: the page has buttons, not a save.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("order"))
    def order_link(self, obj: CustomerReturn) -> str:
        if obj.order_id is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]), obj.order)

    @admin.display(description=_("items"))
    def items_display(self, obj: CustomerReturn) -> str:
        return _items_html(obj.items.all())

    @admin.display(description=_("reason and buyer's message"))
    def reasons_display(self, obj: CustomerReturn) -> str:
        return _reasons_html(obj.items.all())

    @admin.display(description=_("parcel tracking"))
    def tracking_display(self, obj: CustomerReturn) -> str:
        return ", ".join(obj.tracking) or "—"

    @admin.display(description=_("decision"))
    def decision_panel(self, obj: CustomerReturn) -> str:
        """The buttons submit the page's own form (it carries the CSRF token) to their action's address."""
        parts = []
        if obj.order_id:
            parts.append(
                format_html(
                    '<a class="button" id="allegro-return-refund" href="{}?return={}">{}</a>',
                    reverse("admin:allegro_returns_refund", args=[obj.order_id]),
                    obj.pk,
                    gettext("Refund the payment"),
                )
            )
        if obj.waiting_for_decision:
            parts.append(
                format_html(
                    '<button type="submit" class="button" id="allegro-return-accept" formaction="{}">{}</button>',
                    reverse("admin:allegro_returns_accept", args=[obj.pk]),
                    gettext("Accept the return"),
                )
            )
            options = format_html_join("", '<option value="{}">{}</option>', RejectionCode.choices)
            parts.append(
                format_html(
                    '<span class="allegro-reject"><select name="code" id="allegro-reject-code">{}</select> '
                    '<input type="text" name="reason" maxlength="250" id="allegro-reject-reason" placeholder="{}"> '
                    '<button type="submit" class="button" id="allegro-return-reject" formaction="{}">{}</button></span>',
                    options,
                    gettext("reason for the buyer"),
                    reverse("admin:allegro_returns_reject", args=[obj.pk]),
                    gettext("Reject the refund"),
                )
            )
        if obj.restocked_at is None:
            parts.append(
                format_html(
                    '<button type="submit" class="button" id="allegro-return-restock" formaction="{}">{}</button>',
                    reverse("admin:allegro_returns_restock", args=[obj.pk]),
                    gettext("Received into stock"),
                )
            )
        return format_html_join(" ", "{}", ((p,) for p in parts)) if parts else "—"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/accept/", wrap(require_POST(self.accept_view)), name="allegro_returns_accept"),
            path("<int:pk>/reject/", wrap(require_POST(self.reject_view)), name="allegro_returns_reject"),
            path("<int:pk>/restock/", wrap(require_POST(self.restock_view)), name="allegro_returns_restock"),
            path("order/<int:order_id>/refund/", wrap(self.refund_view), name="allegro_returns_refund"),
            path("order/<int:order_id>/claim/", wrap(require_POST(self.claim_view)), name="allegro_returns_claim"),
            *super().get_urls(),
        ]

    def _return(self, request, pk: int) -> CustomerReturn:
        if not request.user.has_perm(DECIDE_PERMISSION):
            raise PermissionDenied
        return get_object_or_404(CustomerReturn.objects.select_related("account__app"), pk=pk)

    def _back(self, customer_return: CustomerReturn):
        return redirect("admin:allegro_customerreturn_change", customer_return.pk)

    def accept_view(self, request, pk: int):
        customer_return = self._return(request, pk)
        try:
            customer_return_accept(customer_return=customer_return, actor=request.user)
        except ReturnActionRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return self._back(customer_return)
        self.message_user(request, gettext("Return accepted. Check the refund and send it."), messages.SUCCESS)
        if customer_return.order_id and request.user.has_perm(REFUND_PERMISSION):
            url = reverse("admin:allegro_returns_refund", args=[customer_return.order_id])
            return redirect(f"{url}?return={customer_return.pk}")
        return self._back(customer_return)

    def reject_view(self, request, pk: int):
        customer_return = self._return(request, pk)
        form = RejectForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    self.message_user(request, error, messages.ERROR)
            return self._back(customer_return)
        try:
            customer_return_reject(
                customer_return=customer_return,
                code=form.cleaned_data["code"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ReturnActionRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
        except AllegroError as exc:
            self.message_user(request, "; ".join(exc.user_messages), messages.ERROR)
        else:
            self.message_user(request, gettext("The refund was rejected on Allegro."), messages.SUCCESS)
        return self._back(customer_return)

    def restock_view(self, request, pk: int):
        customer_return = self._return(request, pk)
        try:
            added = customer_return_restock(customer_return=customer_return, actor=request.user)
        except ReturnActionRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            if added:
                self.message_user(request, gettext("Received into stock: %(n)d pcs.") % {"n": added}, messages.SUCCESS)
            else:
                self.message_user(request, gettext("This return was already received into stock."), messages.WARNING)
        return self._back(customer_return)

    @admin.action(description=_("Received into stock"), permissions=["change"])
    def restock_selected(self, request, queryset):
        total = 0
        for customer_return in queryset:
            try:
                total += customer_return_restock(customer_return=customer_return, actor=request.user)
            except ReturnActionRefused as exc:
                self.message_user(request, f"{customer_return}: {exc.message}", messages.WARNING)
        self.message_user(request, gettext("Received into stock: %(n)d pcs.") % {"n": total}, messages.SUCCESS)

    def has_change_permission(self, request, obj=None):
        # The page is read-only; "change" is the right to decide (the buttons and the action).
        return request.user.has_perm(DECIDE_PERMISSION)

    def refund_view(self, request, order_id: int):
        """ "Zwróć płatność": lines, quantities and delivery; the amount is shown, then sent with one more click."""
        if not request.user.has_perm(REFUND_PERMISSION):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=order_id)
        recorded = refund_for_intent(intent=request.POST.get("intent", "")) if request.method == "POST" else None
        if recorded is not None and "confirm" in request.POST:
            # The same form sent again (a double click, the browser's back button): the refund exists already.
            self.message_user(
                request,
                gettext("This refund of %(total)s %(currency)s is recorded already: %(state)s.")
                % {"total": recorded.total, "currency": recorded.currency, "state": recorded.get_state_display()},
                messages.WARNING,
            )
            return redirect("admin:orders_order_change", order.pk)
        try:
            quote = refund_quote(order=order)
        except RefundRefused as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return redirect("admin:orders_order_change", order.pk)
        customer_return = None
        return_pk = request.POST.get("return") or request.GET.get("return")
        if return_pk and str(return_pk).isdigit():
            customer_return = CustomerReturn.objects.filter(pk=int(return_pk), order=order).first()
        initial_quantities = {}
        if customer_return is not None:
            for item in customer_return.items.all():
                if item.order_line_id:
                    left = next((ln.left for ln in quote.lines if ln.order_line.pk == item.order_line_id), 0)
                    initial_quantities[item.order_line_id] = min(item.quantity, left)
        form = RefundForm(request.POST or None, quote=quote, initial_quantities=initial_quantities)
        preview = None
        if request.method == "POST" and form.is_valid():
            quantities = form.quantities()
            delivery = form.cleaned_data.get("delivery_amount") or Decimal("0.00")
            preview = refund_quote(order=order, quantities=quantities, delivery_amount=delivery)
            shown = form.cleaned_data.get("shown_total")
            if "confirm" in request.POST and not preview.errors and shown == preview.total and preview.total > 0:
                try:
                    refund, created = refund_create(
                        order=order,
                        quantities=quantities,
                        delivery_amount=delivery,
                        reason=form.cleaned_data["reason"],
                        intent_id=form.cleaned_data["intent"],
                        seller_comment=form.cleaned_data["seller_comment"],
                        customer_return=customer_return,
                        actor=request.user,
                    )
                except RefundRefused as exc:
                    preview.errors.extend(exc.messages)
                else:
                    if created:
                        refund_send.delay_on_commit(refund.pk)
                    self.message_user(
                        request,
                        gettext("Refund of %(total)s %(currency)s is being sent to Allegro.")
                        % {"total": number_format(refund.total, 2), "currency": refund.currency},
                        messages.SUCCESS,
                    )
                    return redirect("admin:orders_order_change", order.pk)
            elif "confirm" in request.POST and shown != preview.total:
                preview.errors.append(gettext("The amount changed: check it and confirm again."))
            data = form.data.copy()
            data["shown_total"] = str(preview.total)
            form = RefundForm(data, quote=quote, initial_quantities=initial_quantities)
            form.is_valid()
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Refund the payment"),
            "form": form,
            "order": order,
            "quote": quote,
            "preview": preview,
            "customer_return": customer_return,
            "opts": Order._meta,
        }
        return TemplateResponse(request, "admin/allegro/returns/refund.html", context)

    def claim_view(self, request, order_id: int):
        """ "Wniosek o rabat" for one line of a cancelled or unpaid purchase (the button's value names the line)."""
        if not request.user.has_perm(CLAIM_PERMISSION):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=order_id)
        checkout = AllegroCheckout.objects.select_related("account__app").filter(order=order).order_by("-pk").first()
        if checkout is None:
            raise PermissionDenied
        try:
            claim = refund_claim_create(
                checkout=checkout, line_item_id=request.POST.get("claim_line", ""), actor=request.user
            )
        except ClaimRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            refund_claim_send.delay_on_commit(claim.pk)
            self.message_user(
                request, gettext("The commission refund claim is being filed on Allegro."), messages.SUCCESS
            )
        return redirect("admin:orders_order_change", order.pk)


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "order",
        "customer_return",
        "total",
        "delivery_amount",
        "reason",
        "state",
        "allegro_status",
        "error",
    )
    list_filter = ("state", "reason", "account")
    list_select_related = ("order", "customer_return")
    search_fields = ("=order__number", "=checkout_form_id", "=allegro_id")
    fields = (
        "order",
        "customer_return",
        "account",
        "lines_display",
        "delivery_amount",
        "total",
        "currency",
        "reason",
        "seller_comment",
        "state",
        "allegro_id",
        "allegro_status",
        "command_id",
        "attempts",
        "last_error",
        "created_by",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields
    actions = ["send_or_check"]
    menu_group = "sales"
    menu_order = 87

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_send_permission(self, request) -> bool:
        return request.user.has_perm(REFUND_PERMISSION)

    @admin.display(description=_("refunded lines"))
    def lines_display(self, obj: Refund) -> str:
        return (
            format_html_join(
                "",
                "<div>{} × {} = {}</div>",
                ((ln["quantity"], ln["name"], number_format(Decimal(ln["amount"]), 2)) for ln in obj.lines),
            )
            or "—"
        )

    @admin.display(description=_("last error"))
    def error(self, obj: Refund) -> str:
        return obj.last_error[:120] or "—"

    @admin.action(description=_("Send again / check the status on Allegro"), permissions=["send"])
    def send_or_check(self, request, queryset):
        for refund in queryset.select_related("account__app"):
            try:
                if refund.state == RefundState.PENDING:
                    refund_send.delay(refund.pk)
                else:
                    refund_refresh(refund=refund)
            except AllegroError as exc:
                self.message_user(request, f"{refund}: {'; '.join(exc.user_messages)}", messages.ERROR)
        self.message_user(request, gettext("Done."), messages.SUCCESS)


@admin.register(RefundClaim)
class RefundClaimAdmin(admin.ModelAdmin):
    list_display = ("created_at", "order", "name", "quantity", "state", "status", "commission", "automatic", "error")
    list_filter = ("state", "status", "automatic", "account")
    list_select_related = ("order",)
    search_fields = ("=order__number", "=checkout_form_id", "=allegro_id", "=line_item_id")
    readonly_fields = (
        "order",
        "account",
        "checkout_form_id",
        "line_item_id",
        "offer_id",
        "name",
        "quantity",
        "automatic",
        "state",
        "allegro_id",
        "status",
        "commission",
        "attempts",
        "last_error",
        "created_by",
        "created_at",
        "sent_at",
        "checked_at",
    )
    fields = readonly_fields
    actions = ["send_again"]
    menu_group = "sales"
    menu_order = 88

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_send_permission(self, request) -> bool:
        return request.user.has_perm(CLAIM_PERMISSION)

    @admin.display(description=_("last error"))
    def error(self, obj: RefundClaim) -> str:
        return obj.last_error[:120] or "—"

    @admin.action(description=_("Send again"), permissions=["send"])
    def send_again(self, request, queryset):
        for claim in queryset.filter(state=ClaimState.PENDING):
            refund_claim_send.delay(claim.pk)
        self.message_user(request, gettext("Done."), messages.SUCCESS)


# --- the returns, refunds and claims panel on the shop's order page -------------------------------------------


class AllegroAfterSaleInline(admin.StackedInline):
    """The order's Allegro returns, refunds and commission refund claims, with "Zwróć płatność"."""

    model = AllegroCheckout
    fk_name = "order"
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = _("Allegro returns and refunds")
    verbose_name_plural = _("Allegro returns and refunds")
    fields = ("returns_display", "refunds_display", "claims_display")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_order") or request.user.has_perm("orders.change_order")

    @admin.display(description=_("customer returns"))
    def returns_display(self, obj: AllegroCheckout) -> str:
        rows = [
            format_html(
                '<div class="allegro-return"><a href="{}">{}</a> – {} – {}<br>{}{}{}</div>',
                reverse("admin:allegro_customerreturn_change", args=[r.pk]),
                r,
                r.get_status_display(),
                r.get_decision_display(),
                _items_html(r.items.all()),
                _reasons_html(r.items.all()),
                format_html("<div>{}: {}</div>", gettext("parcel tracking"), ", ".join(r.tracking))
                if r.tracking
                else "",
            )
            for r in order_returns(order_id=obj.order_id)
        ]
        return format_html_join("", "{}", ((row,) for row in rows)) if rows else gettext("No returns.")

    @admin.display(description=_("payment refunds"))
    def refunds_display(self, obj: AllegroCheckout) -> str:
        rows = format_html_join(
            "",
            '<div class="allegro-refund">{}: <strong>{} {}</strong> – {}{}</div>',
            (
                (
                    f"{r.created_at:%Y-%m-%d %H:%M}",
                    number_format(r.total, 2),
                    r.currency,
                    r.get_state_display(),
                    f" ({r.get_allegro_status_display()})"
                    if r.allegro_status
                    else (f" – {r.last_error}" if r.last_error else ""),
                )
                for r in order_refunds(order_id=obj.order_id)
            ),
        )
        button = format_html(
            '<a class="button" id="allegro-refund-button" href="{}">{}</a>',
            reverse("admin:allegro_returns_refund", args=[obj.order_id]),
            gettext("Refund the payment"),
        )
        return format_html("{}<div>{}</div>", rows or gettext("No refunds."), button)

    @admin.display(description=_("commission refund claims"))
    def claims_display(self, obj: AllegroCheckout) -> str:
        rows = format_html_join(
            "",
            '<div class="allegro-claim">{} × {} – {} {}</div>',
            (
                (c.quantity, c.name or c.line_item_id, c.get_state_display(), c.get_status_display() or c.last_error)
                for c in order_refund_claims(order_id=obj.order_id)
            ),
        )
        buttons = format_html_join(
            " ",
            '<button type="submit" class="button allegro-claim-button" name="claim_line" value="{}" formaction="{}">{}</button>',
            (
                (
                    line.line_item_id,
                    reverse("admin:allegro_returns_claim", args=[obj.order_id]),
                    gettext("Claim the commission back: %(name)s") % {"name": line.name or line.line_item_id},
                )
                for line in refund_claim_lines(checkout=obj)
            ),
        )
        if not rows and not buttons:
            return "—"
        return format_html("{}<div>{}</div>", rows, buttons)


extend_admin(Order, inlines=[AllegroAfterSaleInline])
