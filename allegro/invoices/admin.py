"""Admin of invoices for Allegro: the "Faktura do Allegro" panel and page of the shop's order page (the
buyer's invoice data, "Wystaw fakturę", "Dołącz plik faktury", "Wyślij ponownie"), the action on the orders
list, the list of invoices and the seller's data for invoices per account."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from allegro.checkouts.models import AllegroCheckout
from allegro.core.admin_extensions import extend_admin
from allegro.invoices.forms import InvoiceUploadForm
from allegro.invoices.models import InvoiceSeller, InvoiceState, OrderInvoice
from allegro.invoices.selectors import buyer_invoice_data, checkout_for_order, invoice_for_order, invoice_seller_for
from allegro.invoices.services.invoices import (
    InvoiceRefused,
    order_invoice_attach,
    order_invoice_draft,
    order_invoice_generate,
    order_invoice_retry,
)
from allegro.invoices.tasks import order_invoice_send
from orders.models import Order

WRITE_PERMISSIONS = ("orders.change_order", "allegro.add_orderinvoice")


def _can_write(request) -> bool:
    return request.user.has_perms(WRITE_PERMISSIONS)


def _enqueue(invoice: OrderInvoice) -> None:
    order_invoice_send.delay_on_commit(invoice.pk)


@admin.register(InvoiceSeller)
class InvoiceSellerAdmin(admin.ModelAdmin):
    list_display = ("account", "name", "nip", "city")
    list_select_related = ("account",)
    fields = ("account", "name", "nip", "street", "post_code", "city", "bank_account", "place_of_issue", "issued_by")
    menu_group = "sales"
    menu_order = 92


@admin.register(OrderInvoice)
class OrderInvoiceAdmin(admin.ModelAdmin):
    list_display = ("number", "order_link", "account", "state", "gross_display", "issued_on", "sent_at", "pdf_link")
    list_filter = ("state", "source", "issued_on")
    list_select_related = ("order", "checkout__account")
    search_fields = ("=number", "=order__number", "=checkout__checkout_form_id")
    search_help_text = _("Invoice number, order number or Allegro checkout form id.")
    readonly_fields = (
        "number",
        "order_link",
        "source",
        "state",
        "issued_on",
        "sold_on",
        "gross_display",
        "pdf_link",
        "allegro_invoice_id",
        "attempts",
        "declared_at",
        "sent_at",
        "last_error",
        "created_at",
        "created_by",
    )
    fields = readonly_fields
    actions = ["send_again"]
    list_per_page = 50
    menu_group = "sales"
    menu_order = 90

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("order"), ordering="order__number")
    def order_link(self, obj: OrderInvoice) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]), obj.order.number
        )

    @admin.display(description=_("account"))
    def account(self, obj: OrderInvoice) -> str:
        return str(obj.checkout.account)

    @admin.display(description=_("gross"), ordering="gross_total")
    def gross_display(self, obj: OrderInvoice) -> str:
        return f"{obj.gross_total} {obj.currency}"

    @admin.display(description=_("PDF file"))
    def pdf_link(self, obj: OrderInvoice) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:allegro_order_invoice_pdf", args=[obj.order_id]), obj.file_name
        )

    @admin.action(description=_("Send again to Allegro"), permissions=["send"])
    def send_again(self, request, queryset):
        queued = 0
        for invoice in queryset:
            if order_invoice_retry(invoice=invoice, actor=request.user):
                _enqueue(invoice)
                queued += 1
        self.message_user(
            request, gettext("Invoices queued for sending to Allegro: %(n)d.") % {"n": queued}, messages.SUCCESS
        )

    def has_send_permission(self, request) -> bool:
        return request.user.has_perm("allegro.change_orderinvoice")


# --- the invoice panel and page of the shop's order page -------------------------------------------------------


class AllegroInvoicePanel(admin.StackedInline):
    """The order's invoice for Allegro (or that there is none yet) and the way to the invoice page."""

    model = AllegroCheckout
    fk_name = "order"
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = _("invoice for Allegro")
    verbose_name_plural = _("invoice for Allegro")
    fields = ("invoice_panel",)
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_order") or request.user.has_perm("orders.change_order")

    def get_queryset(self, request):
        # One panel per order, whatever number of checkout forms Allegro merged into it.
        queryset = super().get_queryset(request)
        newest = {}
        for checkout_id, order_id in queryset.order_by("pk").values_list("pk", "order_id"):
            newest[order_id] = checkout_id
        return queryset.filter(pk__in=newest.values())

    @admin.display(description=_("invoice"))
    def invoice_panel(self, obj: AllegroCheckout) -> str:
        invoice = invoice_for_order(order_id=obj.order_id)
        buyer = buyer_invoice_data(checkout=obj)
        url = reverse("admin:allegro_order_invoice", args=[obj.order_id])
        if invoice is None:
            state = gettext("No invoice yet.")
        else:
            state = f"{invoice.number}: {invoice.get_state_display()}"
        wanted = gettext("The buyer asked for an invoice.") if buyer.requested else gettext("No invoice requested.")
        return format_html(
            '<span id="allegro-invoice-state">{}</span> · {} · <a class="button" id="allegro-invoice-open" href="{}">{}</a>',
            state,
            wanted,
            url,
            gettext("Invoice for Allegro"),
        )


def _invoice_page(model_admin, request, order_id: int):
    """ "Faktura do Allegro": the buyer's invoice data, the invoice to issue or attach, and its delivery."""
    if not (request.user.has_perm("orders.view_order") or request.user.has_perm("orders.change_order")):
        raise PermissionDenied
    order = get_object_or_404(Order, pk=order_id)
    checkout = checkout_for_order(order_id=order.pk)
    if checkout is None:
        raise Http404(gettext("This order did not come from Allegro."))
    upload_form = InvoiceUploadForm()
    if request.method == "POST":
        if not _can_write(request):
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "generate":
                invoice = order_invoice_generate(order=order, actor=request.user)
                _enqueue(invoice)
                model_admin.message_user(
                    request,
                    gettext("Invoice %(number)s issued; it is being sent to Allegro.") % {"number": invoice.number},
                    messages.SUCCESS,
                )
                return redirect("admin:allegro_order_invoice", order.pk)
            if action == "upload":
                upload_form = InvoiceUploadForm(request.POST, request.FILES)
                if upload_form.is_valid():
                    invoice = order_invoice_attach(
                        order=order,
                        number=upload_form.cleaned_data["number"],
                        data=upload_form.cleaned_data["data"],
                        actor=request.user,
                    )
                    _enqueue(invoice)
                    model_admin.message_user(
                        request,
                        gettext("Invoice file %(number)s attached; it is being sent to Allegro.")
                        % {"number": invoice.number},
                        messages.SUCCESS,
                    )
                    return redirect("admin:allegro_order_invoice", order.pk)
            if action == "send":
                invoice = invoice_for_order(order_id=order.pk)
                if invoice is not None and order_invoice_retry(invoice=invoice, actor=request.user):
                    _enqueue(invoice)
                    model_admin.message_user(request, gettext("The invoice is being sent to Allegro again."))
                return redirect("admin:allegro_order_invoice", order.pk)
        except InvoiceRefused as exc:
            model_admin.message_user(request, str(exc), messages.ERROR)
    invoice = invoice_for_order(order_id=order.pk)
    seller = invoice_seller_for(account_id=checkout.account_id)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Invoice for Allegro"),
        "opts": Order._meta,
        "order": order,
        "checkout": checkout,
        "buyer": buyer_invoice_data(checkout=checkout),
        "seller": seller,
        "seller_url": (
            reverse("admin:allegro_invoiceseller_change", args=[seller.pk])
            if seller
            else reverse("admin:allegro_invoiceseller_add") + f"?account={checkout.account_id}"
        ),
        "invoice": invoice,
        "draft": order_invoice_draft(order=order) if invoice is None else None,
        "upload_form": upload_form,
        "can_write": _can_write(request),
        "states": InvoiceState,
    }
    return TemplateResponse(request, "admin/allegro/invoices/order_invoice.html", context)


def _invoice_pdf(model_admin, request, order_id: int):
    if not (request.user.has_perm("orders.view_order") or request.user.has_perm("allegro.view_orderinvoice")):
        raise PermissionDenied
    invoice = invoice_for_order(order_id=order_id)
    if invoice is None:
        raise Http404
    return FileResponse(invoice.file.open("rb"), content_type="application/pdf", filename=invoice.file_name)


def _invoice_urls(model_admin) -> list:
    wrap = model_admin.admin_site.admin_view
    return [
        path(
            "<int:order_id>/allegro-invoice/",
            wrap(lambda request, order_id: _invoice_page(model_admin, request, order_id)),
            name="allegro_order_invoice",
        ),
        path(
            "<int:order_id>/allegro-invoice/pdf/",
            wrap(lambda request, order_id: _invoice_pdf(model_admin, request, order_id)),
            name="allegro_order_invoice_pdf",
        ),
    ]


@admin.action(description=_("Issue invoices and send them to Allegro"), permissions=["allegro_invoice"])
def issue_allegro_invoices(modeladmin, request, queryset):
    """For each selected Allegro order without an invoice: a VAT invoice issued in the panel and sent."""
    issued, skipped = 0, []
    for order in queryset.filter(allegro_checkouts__isnull=False, allegro_invoice__isnull=True).distinct():
        try:
            invoice = order_invoice_generate(order=order, actor=request.user)
        except InvoiceRefused as exc:
            skipped.append(f"{order.number}: {exc}")
            continue
        _enqueue(invoice)
        issued += 1
    modeladmin.message_user(
        request, gettext("Invoices issued and queued for Allegro: %(n)d.") % {"n": issued}, messages.SUCCESS
    )
    for reason in skipped[:10]:
        modeladmin.message_user(request, reason, messages.WARNING)


extend_admin(
    Order,
    inlines=[AllegroInvoicePanel],
    actions=[issue_allegro_invoices],
    permissions={"allegro_invoice": _can_write},
    urls=_invoice_urls,
)
