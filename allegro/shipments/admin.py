"""Admin of "Wysyłam z Allegro": the settings (sender addresses, package templates, which shop delivery methods
ship with Allegro), the shipments with their labels and cancelling, the bulk jobs with their progress page, merged
labels, pickup protocol and courier pickup, and — through extend_admin, so ``orders`` never imports ``allegro`` —
the panel on the shop's order page ("Utwórz przesyłkę", the label) and the action on the orders list."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from allegro.checkouts.models import AllegroCheckout
from allegro.core.admin_extensions import extend_admin
from allegro.integration.client import AllegroError
from allegro.integration.schemas.shipments import PickupTime
from allegro.shipments.forms import PickupForm, ShipmentForm
from allegro.shipments.models import (
    PackageTemplate,
    ShipmentJob,
    ShipmentJobItem,
    ShipmentMethodSetting,
    ShipmentPickup,
    ShipmentSender,
    SwaShipment,
)
from allegro.shipments.services.jobs import JobError, shipment_job_retry_failed, shipment_job_start
from allegro.shipments.services.pickups import pickup_order, pickup_proposals
from allegro.shipments.services.shipments import (
    ShipmentError,
    ShipmentPending,
    delivery_services,
    labels_merge,
    shipment_active,
    shipment_cancel,
    shipment_draft,
    shipment_draft_apply,
    shipment_label,
    shipment_record,
)
from allegro.shipments.tasks import swa_job_run, swa_shipment_create
from orders.models import Order

CREATE_PERMISSION = "allegro.add_swashipment"
CHANGE_PERMISSION = "allegro.change_swashipment"
RESULTS_LIMIT = 500


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- settings ----------------------------------------------------------------------------------------------------


@admin.register(ShipmentSender)
class ShipmentSenderAdmin(admin.ModelAdmin):
    list_display = ("account", "name", "street", "postal_code", "city", "phone")
    list_select_related = ("account",)
    menu_group = "sales"
    menu_order = 91


@admin.register(PackageTemplate)
class PackageTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "account", "length_cm", "width_cm", "height_cm", "weight_kg", "is_default")
    list_filter = ("account",)
    list_select_related = ("account",)
    menu_group = "sales"
    menu_order = 92


@admin.register(ShipmentMethodSetting)
class ShipmentMethodSettingAdmin(admin.ModelAdmin):
    list_display = ("delivery_method", "uses_allegro", "package_template")
    list_select_related = ("delivery_method", "package_template")
    menu_group = "sales"
    menu_order = 93


# --- shipments ---------------------------------------------------------------------------------------------------


@admin.register(SwaShipment)
class SwaShipmentAdmin(admin.ModelAdmin):
    list_display = ("order_link", "account", "status", "delivery_method_name", "waybill_display", "created_at")
    list_filter = ("status", "account")
    list_select_related = ("order", "account")
    search_fields = ("=order__number", "allegro_id")
    list_per_page = 50
    show_full_result_count = False
    actions = ["download_labels"]
    fields = (
        "order",
        "account",
        "status",
        "delivery_method_name",
        "delivery_method_id",
        "allegro_id",
        "carrier_id",
        "waybills",
        "command_id",
        "tracking_added",
        "pickup",
        "last_error",
        "created_by",
        "created_at",
    )
    readonly_fields = fields
    menu_group = "sales"
    menu_order = 88

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("order"), ordering="order__number")
    def order_link(self, obj: SwaShipment) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]), obj.order)

    @admin.display(description=_("tracking number"))
    def waybill_display(self, obj: SwaShipment) -> str:
        return ", ".join(obj.waybills) or "—"

    @admin.action(description=_("Download labels (one PDF)"))
    def download_labels(self, request, queryset):
        shipments = list(
            queryset.filter(status=SwaShipment.Status.CREATED).select_related("account__app").order_by("pk")
        )
        if not shipments:
            self.message_user(request, gettext("None of the selected shipments has a label."), messages.WARNING)
            return None
        try:
            return _pdf(labels_merge(pdfs=[shipment_label(shipment=s) for s in shipments]), "etykiety.pdf")
        except (AllegroError, ShipmentError) as exc:
            self.message_user(request, _error_text(exc), messages.ERROR)
            return None

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("order/<int:order_id>/create/", wrap(self.create_view), name="allegro_swa_create"),
            path("<int:pk>/label/", wrap(self.label_view), name="allegro_swa_label"),
            path("<int:pk>/cancel/", wrap(require_POST(self.cancel_view)), name="allegro_swa_cancel"),
            *super().get_urls(),
        ]

    def create_view(self, request, order_id: int):
        """ "Utwórz przesyłkę": the form proposes the buyer's service, address or pickup point, package and cash on
        delivery; saving records the shipment with its command id and creates it on Allegro in the background."""
        if not request.user.has_perm(CREATE_PERMISSION):
            raise PermissionDenied
        order = get_object_or_404(Order.objects.select_related("customer", "delivery_method"), pk=order_id)
        back = redirect("admin:orders_order_change", order.pk)
        active = shipment_active(order=order)
        if active is not None:
            self.message_user(request, gettext("This order already has an Allegro shipment."), messages.WARNING)
            return back
        try:
            draft = shipment_draft(order=order)
            services = delivery_services(account=draft.account)
        except (ShipmentError, AllegroError) as exc:
            self.message_user(request, _error_text(exc), messages.ERROR)
            return back
        choices = sorted(services.items(), key=lambda kv: kv[1])
        if draft.delivery_method_id not in services:
            choices.insert(0, (draft.delivery_method_id, draft.delivery_method_name or draft.delivery_method_id))
        initial = {
            "delivery_method_id": draft.delivery_method_id,
            "point": draft.point,
            **{
                k: draft.receiver.get(k, "")
                for k in ("name", "company", "street", "postal_code", "city", "phone", "email")
            },
            **draft.package,
            "template": draft.template_id,
            "cash_on_delivery": draft.cod_amount is not None,
            "cod_amount": draft.cod_amount,
        }
        form = ShipmentForm(request.POST or None, initial=initial, services=choices, account=draft.account)
        if request.method == "POST" and form.is_valid():
            draft = shipment_draft_apply(draft=draft, data=form.cleaned_data, services=services)
            try:
                shipment = shipment_record(order=order, draft=draft, actor=request.user)
            except ShipmentError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                swa_shipment_create.delay_on_commit(shipment.pk)
                self.message_user(
                    request,
                    gettext("The shipment is being created on Allegro; its label will appear here."),
                    messages.SUCCESS,
                )
                return back
        templates = {
            str(t.pk): [t.length_cm, t.width_cm, t.height_cm, str(t.weight_kg)]
            for t in PackageTemplate.objects.filter(account=draft.account)
        }
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Create shipment for order %(number)s") % {"number": order.number},
            "opts": Order._meta,
            "order": order,
            "form": form,
            "draft": draft,
            "templates": templates,
        }
        return TemplateResponse(request, "admin/allegro/shipments/create.html", context)

    def label_view(self, request, pk: int):
        if not (request.user.has_perm("allegro.view_swashipment") or request.user.has_perm(CHANGE_PERMISSION)):
            raise PermissionDenied
        shipment = get_object_or_404(SwaShipment.objects.select_related("account__app", "order"), pk=pk)
        try:
            data = shipment_label(shipment=shipment)
        except (AllegroError, ShipmentError) as exc:
            self.message_user(request, _error_text(exc), messages.ERROR)
            return redirect("admin:orders_order_change", shipment.order_id)
        return _pdf(data, f"etykieta-{shipment.order.number.replace('/', '-')}.pdf")

    def cancel_view(self, request, pk: int):
        if not request.user.has_perm(CHANGE_PERMISSION):
            raise PermissionDenied
        shipment = get_object_or_404(SwaShipment.objects.select_related("account__app", "order"), pk=pk)
        try:
            shipment_cancel(shipment=shipment, actor=request.user)
        except ShipmentPending:
            self.message_user(request, gettext("Allegro is still cancelling the shipment; try again in a moment."))
        except (AllegroError, ShipmentError) as exc:
            self.message_user(request, _error_text(exc), messages.ERROR)
        else:
            self.message_user(request, gettext("The shipment is cancelled."), messages.SUCCESS)
        return redirect("admin:orders_order_change", shipment.order_id)


def _error_text(exc: Exception) -> str:
    return "; ".join(exc.user_messages) if isinstance(exc, AllegroError) else str(exc)


# --- bulk jobs ---------------------------------------------------------------------------------------------------


@admin.register(ShipmentJob)
class ShipmentJobAdmin(admin.ModelAdmin):
    list_display = ("job_link", "account", "status", "progress", "succeeded", "failed", "created_at", "created_by")
    list_filter = ("status", "account")
    list_select_related = ("account", "created_by")
    list_per_page = 50
    show_full_result_count = False
    list_display_links = None
    menu_group = "sales"
    menu_order = 89

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("job"), ordering="pk")
    def job_link(self, obj: ShipmentJob) -> str:
        return format_html('<a href="{}">#{}</a>', reverse("admin:allegro_shipmentjob_progress", args=[obj.pk]), obj.pk)

    @admin.display(description=_("progress"))
    def progress(self, obj: ShipmentJob) -> str:
        return format_html("{} / {} ({}%)", obj.done, obj.total, obj.progress_percent)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/progress/", wrap(self.progress_view), name="allegro_shipmentjob_progress"),
            path("<int:pk>/labels/", wrap(self.labels_view), name="allegro_shipmentjob_labels"),
            path("<int:pk>/protocol/", wrap(self.protocol_view), name="allegro_shipmentjob_protocol"),
            path("<int:pk>/retry/", wrap(require_POST(self.retry_view)), name="allegro_shipmentjob_retry"),
            path("<int:pk>/pickup/", wrap(require_POST(self.pickup_view)), name="allegro_shipmentjob_pickup"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:allegro_shipmentjob_progress", object_id)

    def _job(self, request, pk: int) -> ShipmentJob:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(ShipmentJob.objects.select_related("account__app", "created_by"), pk=pk)

    def _created_shipments(self, job: ShipmentJob) -> list[SwaShipment]:
        return [
            i.shipment
            for i in job.items.select_related("shipment__account", "shipment__pickup").filter(
                result=ShipmentJobItem.Result.CREATED
            )
            if i.shipment is not None and i.shipment.status == SwaShipment.Status.CREATED
        ]

    def progress_view(self, request, pk: int):
        job = self._job(request, pk)
        items = list(job.items.select_related("order", "shipment").order_by("pk")[:RESULTS_LIMIT])
        running = job.finished_at is None
        pickup_form = pickup = None
        pickup_error = ""
        shipments = [] if running else self._created_shipments(job)
        pickups = {s.pickup for s in shipments if s.pickup is not None}
        if pickups:
            pickup = sorted(pickups, key=lambda p: p.pk)[-1]
        elif shipments and request.user.has_perm(CHANGE_PERMISSION):
            try:
                times = pickup_proposals(account=job.account, shipments=shipments)
            except (AllegroError, ShipmentError) as exc:
                pickup_error = _error_text(exc)
            else:
                dates = [(t.date[:10], f"{t.date[:10]} {t.minTime}–{t.maxTime}".strip()) for t in times]
                pickup_form = PickupForm(dates=dates) if dates else None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Allegro shipments #%(job)s") % {"job": job.pk},
            "opts": self.model._meta,
            "job": job,
            "items": items,
            "running": running,
            "can_change": request.user.has_perm(CHANGE_PERMISSION),
            "can_create": request.user.has_perm(CREATE_PERMISSION),
            "pickup_form": pickup_form,
            "pickup": pickup,
            "pickup_error": pickup_error,
        }
        return TemplateResponse(request, "admin/allegro/shipments/progress.html", context)

    def labels_view(self, request, pk: int):
        job = self._job(request, pk)
        if not job.labels_pdf:
            self.message_user(request, gettext("This job has no labels."), messages.WARNING)
            return redirect("admin:allegro_shipmentjob_progress", job.pk)
        return _pdf(bytes(job.labels_pdf), f"etykiety-{job.pk}.pdf")

    def protocol_view(self, request, pk: int):
        job = self._job(request, pk)
        if not job.protocol_pdf:
            self.message_user(
                request, gettext("The carrier gives no pickup protocol for these shipments."), messages.WARNING
            )
            return redirect("admin:allegro_shipmentjob_progress", job.pk)
        return _pdf(bytes(job.protocol_pdf), f"protokol-{job.pk}.pdf")

    def retry_view(self, request, pk: int):
        if not request.user.has_perm(CREATE_PERMISSION):
            raise PermissionDenied
        job = self._job(request, pk)
        try:
            retry = shipment_job_retry_failed(job=job, actor=request.user)
        except JobError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return redirect("admin:allegro_shipmentjob_progress", job.pk)
        swa_job_run.delay_on_commit(retry.pk)
        self.message_user(
            request,
            ngettext(
                "Retrying %(count)d failed order as job #%(job)s.",
                "Retrying %(count)d failed orders as job #%(job)s.",
                retry.total,
            )
            % {"count": retry.total, "job": retry.pk},
            messages.SUCCESS,
        )
        return redirect("admin:allegro_shipmentjob_progress", retry.pk)

    def pickup_view(self, request, pk: int):
        if not request.user.has_perm(CHANGE_PERMISSION):
            raise PermissionDenied
        job = self._job(request, pk)
        shipments = self._created_shipments(job)
        day = request.POST.get("pickup_date", "")
        try:
            times = {t.date[:10]: t for t in pickup_proposals(account=job.account, shipments=shipments)}
            if day not in times:
                raise ShipmentError(gettext("Choose one of the proposed pickup dates."))
            chosen: PickupTime = times[day]
            pickup = pickup_order(account=job.account, shipments=shipments, pickup_time=chosen, actor=request.user)
        except ShipmentPending:
            self.message_user(request, gettext("Allegro is still ordering the pickup; refresh the page in a moment."))
        except (AllegroError, ShipmentError) as exc:
            self.message_user(request, _error_text(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("Courier pickup ordered for %(date)s (number %(number)s).")
                % {"date": pickup.pickup_date, "number": pickup.carrier_pickup_id},
                messages.SUCCESS,
            )
        return redirect("admin:allegro_shipmentjob_progress", job.pk)


@admin.register(ShipmentPickup)
class ShipmentPickupAdmin(admin.ModelAdmin):
    list_display = ("pickup_date", "account", "status", "carrier_pickup_id", "min_time", "max_time", "created_at")
    list_filter = ("status", "account")
    list_select_related = ("account",)
    readonly_fields = (
        "account",
        "status",
        "pickup_date",
        "min_time",
        "max_time",
        "allegro_id",
        "carrier_pickup_id",
        "command_id",
        "last_error",
        "created_by",
        "created_at",
    )
    fields = readonly_fields
    menu_group = "sales"
    menu_order = 90

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- the panel on the shop's order page and the action on the orders list ---------------------------------------


class SwaShipmentInline(admin.TabularInline):
    """ "Wysyłam z Allegro" on the order page: its shipments with label and cancel, and "Utwórz przesyłkę"."""

    model = SwaShipment
    fk_name = "order"
    extra = 0
    max_num = 0
    can_delete = False
    template = "admin/allegro/shipments/order_inline.html"
    verbose_name = _("Allegro shipment")
    verbose_name_plural = _("Wysyłam z Allegro")
    fields = ("status", "delivery_method_name", "waybills", "last_error", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("allegro.view_swashipment") or request.user.has_perm(CREATE_PERMISSION)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.swa_from_allegro = obj is not None and AllegroCheckout.objects.filter(order_id=obj.pk).exists()
        formset.swa_can_create = request.user.has_perm(CREATE_PERMISSION)
        formset.swa_can_cancel = request.user.has_perm(CHANGE_PERMISSION)
        formset.swa_has_active = obj is not None and shipment_active(order=obj) is not None
        return formset


@admin.action(description=_("Create Allegro shipments (Wysyłam z Allegro)"))
def create_allegro_shipments(modeladmin, request, queryset):
    if not request.user.has_perm(CREATE_PERMISSION):
        modeladmin.message_user(
            request, gettext("You do not have permission to create Allegro shipments."), messages.ERROR
        )
        return None
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    accounts = dict(
        AllegroCheckout.objects.filter(order_id__in=ids).select_related("account").values_list("order_id", "account_id")
    )
    by_account: dict[int, list[int]] = defaultdict(list)
    for order_id in ids:
        if order_id in accounts:
            by_account[accounts[order_id]].append(order_id)
    skipped = len(ids) - sum(len(v) for v in by_account.values())
    if skipped:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d selected order did not come from Allegro and was skipped.",
                "%(count)d selected orders did not come from Allegro and were skipped.",
                skipped,
            )
            % {"count": skipped},
            messages.WARNING,
        )
    if not by_account:
        return None
    from allegro.accounts.models import AllegroAccount

    job = None
    for account in AllegroAccount.objects.filter(pk__in=by_account).order_by("pk"):
        job = shipment_job_start(account=account, order_ids=by_account[account.pk], actor=request.user)
        swa_job_run.delay_on_commit(job.pk)
    modeladmin.message_user(request, gettext("Allegro shipments are being created."), messages.SUCCESS)
    if len(by_account) == 1:
        return redirect("admin:allegro_shipmentjob_progress", job.pk)
    return redirect("admin:allegro_shipmentjob_changelist")


extend_admin(Order, inlines=[SwaShipmentInline], actions=[create_allegro_shipments])
