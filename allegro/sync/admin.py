"""Admin of the sync engine: SyncRun list ("what was done, counts, errors, duration"), the
"Synchronizuj aukcje" page with its preview, the one-click job of the dashboard and its progress page, and the
mass "Wystaw ponownie" action on the offers list."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.checkouts.models import OrderEventCursor
from allegro.core.admin_extensions import extend_admin
from allegro.offers.models import Offer, OfferStatus
from allegro.sync.models import AccountPriceRule, SyncCommand, SyncJob, SyncRun
from allegro.sync.services.jobs import STEP_LABELS, sync_job_start, sync_job_status
from allegro.sync.services.steps import SYNC_STEPS
from allegro.sync.tasks import sync_job_run_task, sync_relist_task

RUN_PERMISSION = "allegro.run_sync"


class SyncRunForm(forms.Form):
    account = forms.ModelChoiceField(
        label=_("Account"),
        queryset=AllegroAccount.objects.filter(state=ConnectionState.CONNECTED),
        required=False,
        empty_label=_("all accounts"),
    )
    steps = forms.MultipleChoiceField(
        label=_("Steps"),
        choices=[(s, STEP_LABELS[s]) for s in SYNC_STEPS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Chosen steps run even where the account's sync switches are off (those switches say what runs "
            "automatically). None chosen: orders are imported and the offers get what each account's switches allow."
        ),
    )


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "account",
        "trigger",
        "steps_label",
        "status",
        "dry_run",
        "summary",
        "duration",
        "api_calls",
    )
    list_filter = ("status", "trigger", "dry_run", "account")
    list_select_related = ("account",)
    readonly_fields = ("account", "steps", "trigger", "dry_run", "status", "actor", "summary", "counts", "errors_list",
                       "drift_table", "api_calls", "started_at", "finished_at")  # fmt: skip
    exclude = ("details", "errors")
    change_list_template = "admin/allegro/sync/run_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("steps"))
    def steps_label(self, obj: SyncRun) -> str:
        return ", ".join(obj.steps or [])

    @admin.display(description=_("duration (s)"))
    def duration(self, obj: SyncRun):
        return obj.duration_seconds

    @admin.display(description=_("errors"))
    def errors_list(self, obj: SyncRun) -> str:
        return format_html("<br>".join(["{}"] * len(obj.errors)), *obj.errors) if obj.errors else "—"

    @admin.display(description=_("drift report"))
    def drift_table(self, obj: SyncRun) -> str:
        rows = (obj.details or {}).get("drift") or (obj.details or {}).get("preview") or []
        if not rows:
            return "—"
        keys = sorted({k for r in rows for k in r})
        head = "".join(f"<th>{k}</th>" for k in keys)
        body = "".join("<tr>" + "".join("<td>{}</td>" for _k in keys) + "</tr>" for _r in rows[:500])
        values = [r.get(k, "") for r in rows[:500] for k in keys]
        return format_html(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>", *values)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("run/", wrap(self.run_view), name="allegro_syncrun_run"),
            path("run/all/", wrap(self.run_all_view), name="allegro_syncrun_run_all"),
            path("job/<int:job_id>/", wrap(self.job_view), name="allegro_syncjob_progress"),
            path("job/<int:job_id>/status/", wrap(self.job_status_view), name="allegro_syncjob_status"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_run": request.user.has_perm(RUN_PERMISSION)}
        return super().changelist_view(request, extra_context)

    def run_view(self, request):
        """ "Synchronizuj aukcje": choose account and steps; preview first or run (both in Celery)."""
        if not request.user.has_perm(RUN_PERMISSION):
            raise PermissionDenied
        form = SyncRunForm(request.POST or None, initial={"account": request.GET.get("account")})
        if request.method == "POST" and form.is_valid():
            account = form.cleaned_data["account"]
            chosen = list(form.cleaned_data["steps"])
            job = sync_job_start(
                accounts=[account] if account else None,
                steps=chosen or None,
                forced=bool(chosen),
                dry_run="preview" in request.POST,
                actor=request.user,
            )
            return self._started(request, job)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Synchronise offers"),
            "form": form,
            "opts": self.model._meta,
            "recent": SyncRun.objects.select_related("account").order_by("-started_at")[:10],
            "open_commands": SyncCommand.objects.filter(status__in=["pending", "sent"]).count(),
        }
        return TemplateResponse(request, "admin/allegro/sync/run.html", context)

    def run_all_view(self, request):
        """The dashboard's one click: every step of every connected account, in one background job."""
        if not request.user.has_perm(RUN_PERMISSION):
            raise PermissionDenied
        if request.method != "POST":
            return redirect("admin:allegro_syncrun_run")
        return self._started(request, sync_job_start(actor=request.user))

    def _started(self, request, job: SyncJob):
        sync_job_run_task.delay_on_commit(job.pk)
        self.message_user(
            request,
            gettext("The preview has started; this page follows it.")
            if job.dry_run
            else gettext("Synchronisation has started; this page follows it."),
            messages.SUCCESS,
        )
        return redirect("admin:allegro_syncjob_progress", job.pk)

    def job_view(self, request, job_id: int):
        """The job's progress page: one row per account with its current step; a summary when it is done."""
        if not request.user.has_perm("allegro.view_syncrun"):
            raise PermissionDenied
        job = get_object_or_404(SyncJob.objects.select_related("actor"), pk=job_id)
        status = sync_job_status(job=job)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Synchronisation #%(n)d") % {"n": job.pk},
            "job": job,
            "status": status,
            "running": not status["finished"],
            "opts": self.model._meta,
            "runs": {i.pk: i.run_id for i in job.accounts.all()},
        }
        return TemplateResponse(request, "admin/allegro/sync/job.html", context)

    def job_status_view(self, request, job_id: int):
        if not request.user.has_perm("allegro.view_syncrun"):
            raise PermissionDenied
        job = get_object_or_404(SyncJob, pk=job_id)
        response = JsonResponse(sync_job_status(job=job))
        add_never_cache_headers(response)
        return response


@admin.register(AccountPriceRule)
class AccountPriceRuleAdmin(admin.ModelAdmin):
    list_display = ("account", "rounding")


# --- mass "Wystaw ponownie" on the offers list --------------------------------------------------------------


class RelistForm(forms.Form):
    update_prices = forms.BooleanField(label=_("update prices from the shop"), required=False, initial=True)
    update_quantities = forms.BooleanField(label=_("update quantities"), required=False, initial=True)
    update_descriptions = forms.BooleanField(label=_("update descriptions"), required=False)
    remove_archived = forms.BooleanField(
        label=_("remove the archived offer records the new offers replace"), required=False
    )


@admin.action(description=_("List again (ended offers)"))
def relist_ended(modeladmin, request, queryset):
    if not request.user.has_perm("allegro.publish_offer"):
        raise PermissionDenied
    chosen = queryset.filter(status__in=[OfferStatus.ENDED, OfferStatus.ARCHIVED])
    form = RelistForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        ids = list(chosen.values_list("pk", flat=True))
        sync_relist_task.delay_on_commit(ids, request.user.pk, form.cleaned_data)
        modeladmin.message_user(
            request,
            gettext("Relisting of %(n)d ended offers has started; see “Synchronisation runs”.") % {"n": len(ids)},
            messages.SUCCESS,
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": gettext("List ended offers again"),
        "form": form,
        "offers": chosen.select_related("product")[:200],
        "count": chosen.count(),
        "skipped": queryset.count() - chosen.count(),
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "opts": modeladmin.model._meta,
        "runs_url": reverse("admin:allegro_syncrun_changelist"),
    }
    return TemplateResponse(request, "admin/allegro/sync/relist.html", context)


extend_admin(Offer, actions=[relist_ended])


# --- "Importuj zamówienia teraz" on the order import's status page -------------------------------------------


@admin.action(description=_("Import orders now"))
def import_now(modeladmin, request, queryset):
    """The order step of the synchronisation job for the chosen accounts, in the background (never inside the
    page's request: an import of many orders takes longer than a browser waits)."""
    if not request.user.has_perm(RUN_PERMISSION):
        raise PermissionDenied
    accounts = AllegroAccount.objects.filter(pk__in=queryset.values("account_id")).order_by("name", "pk")
    job = sync_job_start(accounts=list(accounts), steps=["orders"], actor=request.user)
    sync_job_run_task.delay_on_commit(job.pk)
    modeladmin.message_user(request, gettext("The order import has started; this page follows it."), messages.SUCCESS)
    return redirect("admin:allegro_syncjob_progress", job.pk)


extend_admin(OrderEventCursor, actions=[import_now])
