"""Admin of the mass listing: Sprzedaż → Aukcje w serwisie Allegro → "Masowe wystawianie aukcji".

* the jobs list (ListingJob changelist) with the button that opens the form;
* the form: account (the header's current account by default), a shop category with its subcategories or a
  product selection (the "Wystaw na Allegro" action of the product list), filters, template and overrides;
  its first submit is always the dry run ("Podgląd"), which shows what would be listed or skipped and why,
  with "Rozpocznij wystawianie" under it;
* the job page: progress bar (static JS polls a small JSON view; without JS "Odśwież" reloads), per-product
  results, "Anuluj" and "Ponów nieudane".

The product action is added to the shop's product list from here with extend_admin, so ``shop`` never imports
``allegro``.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from allegro.accounts.models import AllegroAccount, ConnectionState, Duration
from allegro.accounts.selectors import account_current
from allegro.core.admin_extensions import extend_admin
from allegro.descriptions.models import DescriptionTemplate
from allegro.listing.models import ListingJob, ListingJobItem
from allegro.listing.services.jobs import (
    KEEP,
    ListingError,
    ListingOptions,
    listing_job_cancel,
    listing_job_retry_failed,
    listing_job_start,
    listing_preview,
)
from allegro.listing.tasks import listing_job_run
from shop.models import Category, Product

SELECTION_SESSION_KEY = "allegro_listing_selection"
PREVIEW_ROWS = 300
RESULTS_PER_PAGE = 100


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return "— " * (obj.depth - 1) + obj.name


class MassListingForm(forms.Form):
    account = forms.ModelChoiceField(
        label=_("Allegro account"),
        queryset=AllegroAccount.objects.filter(state=ConnectionState.CONNECTED).order_by("name", "pk"),
    )
    category = CategoryChoiceField(
        label=_("Shop category"),
        queryset=Category.objects.order_by("path"),
        required=False,
        help_text=_("Products of this category and all its subcategories."),
    )
    only_visible = forms.BooleanField(label=_("Only products visible in the shop"), required=False, initial=True)
    only_in_stock = forms.BooleanField(label=_("Only products in stock"), required=False, initial=True)
    allow_relisting = forms.BooleanField(
        label=_("Another offer of this item"),
        required=False,
        help_text=_("Also list products that already have an offer on this account (otherwise they are skipped)."),
    )
    template = forms.ModelChoiceField(
        label=_("Offer template"),
        queryset=DescriptionTemplate.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("the category's or the account's template"),
    )
    price_change_percent = forms.DecimalField(
        label=_("Price change (%)"),
        required=False,
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("-90"),
        max_value=Decimal("500"),
        help_text=_("For example 10 lists at the shop price plus 10%, -5 at 5% less. Empty: the shop price."),
    )
    duration = forms.ChoiceField(label=_("Duration"), required=False, initial=KEEP)
    quantity = forms.IntegerField(
        label=_("Quantity"),
        required=False,
        min_value=1,
        help_text=_("Empty: from the shop's stock or the account's default quantity."),
    )

    def __init__(self, *args, selection: list[int] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.selection = selection
        self.fields["duration"].choices = [(KEEP, gettext("the account's default"))] + list(Duration.choices)
        if selection is not None:
            self.fields["category"].help_text = _("Optional: only the selected products of this category.")

    def clean(self):
        data = super().clean()
        if self.selection is None and not data.get("category"):
            self.add_error("category", gettext("Choose a shop category."))
        return data

    def options(self) -> ListingOptions:
        data = self.cleaned_data
        template = data.get("template")
        duration = data.get("duration")
        return ListingOptions(
            only_visible=bool(data.get("only_visible")),
            only_in_stock=bool(data.get("only_in_stock")),
            allow_relisting=bool(data.get("allow_relisting")),
            template_id=template.pk if template else None,
            price_change_percent=data.get("price_change_percent"),
            duration=None if duration in (None, KEEP) else duration,
            quantity=data.get("quantity"),
        )


@admin.register(ListingJob)
class ListingJobAdmin(admin.ModelAdmin):
    """ "Masowe wystawianie aukcji": the jobs, the form with its dry run, and each job's progress page."""

    list_display = (
        "job_link",
        "account",
        "category",
        "status",
        "progress",
        "succeeded",
        "skipped",
        "failed",
        "created_at",
        "created_by",
    )
    list_filter = ("status", "account")
    list_select_related = ("account", "category", "created_by")
    list_per_page = 50
    show_full_result_count = False
    list_display_links = None
    change_list_template = "admin/allegro/listing/change_list.html"
    menu_group = "sales"
    menu_order = 20

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _can_publish(self, request) -> bool:
        return request.user.has_perm("allegro.publish_offer")

    @admin.display(description=_("job"), ordering="pk")
    def job_link(self, obj: ListingJob) -> str:
        return format_html('<a href="{}">#{}</a>', reverse("admin:allegro_listingjob_progress", args=[obj.pk]), obj.pk)

    @admin.display(description=_("progress"))
    def progress(self, obj: ListingJob) -> str:
        return format_html("{} / {} ({}%)", obj.done, obj.total, obj.progress_percent)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("new/", wrap(self.start_view), name="allegro_listingjob_start"),
            path("<int:pk>/progress/", wrap(self.progress_view), name="allegro_listingjob_progress"),
            path("<int:pk>/cancel/", wrap(require_POST(self.cancel_view)), name="allegro_listingjob_cancel"),
            path("<int:pk>/retry/", wrap(require_POST(self.retry_view)), name="allegro_listingjob_retry"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:allegro_listingjob_progress", object_id)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_publish": self._can_publish(request)}
        return super().changelist_view(request, extra_context)

    # -- the form and its dry run --

    def start_view(self, request):
        if not self._can_publish(request):
            raise PermissionDenied
        selection = None
        if request.GET.get("selection") or request.POST.get("selection"):
            selection = [int(pk) for pk in request.session.get(SELECTION_SESSION_KEY, [])]
        initial = {"account": account_current(request=request).account, "category": request.GET.get("category") or None}
        form = MassListingForm(request.POST or None, initial=initial, selection=selection)
        preview = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if "start" in request.POST:
                try:
                    job = listing_job_start(
                        account=data["account"],
                        options=form.options(),
                        actor=request.user,
                        category=data.get("category"),
                        product_ids=selection,
                    )
                except ListingError as exc:
                    self.message_user(request, str(exc), messages.ERROR)
                else:
                    listing_job_run.delay_on_commit(job.pk)
                    request.session.pop(SELECTION_SESSION_KEY, None)
                    self.message_user(
                        request,
                        gettext("Mass listing #%(job)s started in the background.") % {"job": job.pk},
                        messages.SUCCESS,
                    )
                    return redirect("admin:allegro_listingjob_progress", job.pk)
            preview = listing_preview(
                account=data["account"], options=form.options(), category=data.get("category"), product_ids=selection
            )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Mass listing of offers"),
            "opts": self.model._meta,
            "form": form,
            "selection": selection,
            "preview": preview,
            "preview_rows": preview.rows[:PREVIEW_ROWS] if preview else [],
            "preview_more": max(0, preview.total - PREVIEW_ROWS) if preview else 0,
            "offers_url": _offers_url(),
        }
        return TemplateResponse(request, "admin/allegro/listing/start.html", context)

    # -- the job page --

    def progress_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = get_object_or_404(
            ListingJob.objects.select_related("account", "account__app", "category", "created_by"), pk=pk
        )
        result = request.GET.get("result", "")
        items = job.items.select_related("product", "offer").order_by("pk")
        if result in ListingJobItem.Result.values:
            items = items.filter(result=result)
        page = Paginator(items, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
        web = job.account.app.url("web")
        rows = [
            {
                "item": item,
                "offer_url": f"{web}/oferta/{item.offer.allegro_id}" if item.offer and item.offer.allegro_id else "",
            }
            for item in page
        ]
        options = ListingOptions.from_json(job.options)
        template = DescriptionTemplate.objects.filter(pk=options.template_id).first() if options.template_id else None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Mass listing #%(job)s") % {"job": job.pk},
            "opts": self.model._meta,
            "job": job,
            "options": options,
            "template": template,
            "duration_label": dict(Duration.choices).get(options.duration, "") if options.duration is not None else "",
            "rows": rows,
            "page": page,
            "result": result,
            "results": ListingJobItem.Result.choices,
            "running": job.finished_at is None,
            "can_publish": self._can_publish(request),
            "retry_of": options_retry_of(job),
            "offers_url": _offers_url(),
        }
        return TemplateResponse(request, "admin/allegro/listing/progress.html", context)

    def cancel_view(self, request, pk: int):
        if not self._can_publish(request):
            raise PermissionDenied
        job = get_object_or_404(ListingJob.objects.select_related("account"), pk=pk)
        if listing_job_cancel(job=job, actor=request.user):
            self.message_user(
                request, gettext("Cancelled: products being listed right now will finish, no new ones are started.")
            )
        else:
            self.message_user(request, gettext("The job has already finished."), messages.WARNING)
        return redirect("admin:allegro_listingjob_progress", job.pk)

    def retry_view(self, request, pk: int):
        if not self._can_publish(request):
            raise PermissionDenied
        job = get_object_or_404(ListingJob.objects.select_related("account"), pk=pk)
        try:
            retry = listing_job_retry_failed(job=job, actor=request.user)
        except ListingError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return redirect("admin:allegro_listingjob_progress", job.pk)
        listing_job_run.delay_on_commit(retry.pk)
        self.message_user(
            request,
            gettext("Retrying %(count)s failed products as mass listing #%(job)s.")
            % {"count": retry.total, "job": retry.pk},
            messages.SUCCESS,
        )
        return redirect("admin:allegro_listingjob_progress", retry.pk)


def options_retry_of(job: ListingJob) -> int | None:
    value = (job.options or {}).get("retry_of")
    return int(value) if value else None


def _offers_url() -> str:
    """The offers list ("Lista aukcji") when it is registered, for the tabs."""
    from allegro.offers.models import Offer

    if admin.site.is_registered(Offer):
        return reverse("admin:allegro_offer_changelist")
    return ""


# -- "Wystaw na Allegro" on the product list (added from here: shop never imports allegro) --


@admin.action(description=_("List on Allegro (mass listing)"))
def list_on_allegro(modeladmin, request, queryset):
    if not request.user.has_perm("allegro.publish_offer"):
        modeladmin.message_user(
            request, gettext("You do not have permission to list products on Allegro."), messages.ERROR
        )
        return None
    request.session[SELECTION_SESSION_KEY] = list(queryset.order_by("pk").values_list("pk", flat=True))
    return redirect(reverse("admin:allegro_listingjob_start") + "?selection=1")


extend_admin(Product, actions=[list_on_allegro])
