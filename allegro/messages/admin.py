"""The inbox ("Wiadomości"): buyers' threads of one account or of all, each thread's conversation with the
reply form (templates, attachments), "Oznacz jako przeczytane" and "Sprawdź wiadomości"; reply templates."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from allegro.accounts.models import AllegroAccount, ConnectionState
from allegro.core.admin_extensions import extend_admin
from allegro.integration.client import AllegroError
from allegro.messages.forms import IssueReplyForm, ReplyForm, TemplatePickForm
from allegro.messages.models import Issue, MessageThread, ReplyState, ReplyTemplate
from allegro.messages.selectors import thread_conversation, thread_list, thread_replies_open
from allegro.messages.services.importing import messages_import_account, moment
from allegro.messages.services.issues import issue_reply_create, issues_import_account
from allegro.messages.services.replies import ReplyFile, message_reply_create, message_thread_mark_read
from allegro.messages.services.templates import reply_template_render
from allegro.messages.tasks import issue_reply_send as issue_reply_send_task
from allegro.messages.tasks import message_reply_send
from orders.models import Order

REPLY_PERMISSION = "allegro.reply_messagethread"
# A buyer waiting longer than this is shown in red: Allegro expects an answer within a day.
WAIT_WARNING_HOURS = 12
WAIT_LATE_HOURS = 20


def waiting_label(thread: MessageThread) -> str:
    """ "3 godziny" in amber after WAIT_WARNING_HOURS, red after WAIT_LATE_HOURS; empty when nobody waits."""
    if not thread.awaiting_reply or thread.last_buyer_message_at is None:
        return ""
    hours = (timezone.now() - thread.last_buyer_message_at).total_seconds() / 3600
    css = (
        "allegro-wait-late" if hours >= WAIT_LATE_HOURS else "allegro-wait-warn" if hours >= WAIT_WARNING_HOURS else ""
    )
    return format_html(
        '<span class="allegro-wait {}" title="{}">{}</span>',
        css,
        gettext("the buyer wrote %(when)s ago") % {"when": timesince(thread.last_buyer_message_at)},
        timesince(thread.last_buyer_message_at),
    )


@admin.register(MessageThread)
class MessageThreadAdmin(admin.ModelAdmin):
    list_display = ("buyer", "account", "order_link", "last_text_display", "last_message_at", "waiting")
    list_filter = ("read", "awaiting_reply", "account")
    search_fields = ("interlocutor_login", "checkout_form_id", "checkout__order__number", "last_text")
    search_help_text = _("Buyer's login, order number or checkout form id, words of the last message.")
    list_per_page = 50
    show_full_result_count = False
    list_display_links = None
    change_list_template = "admin/allegro/messages/change_list.html"
    menu_group = "sales"
    menu_order = 15

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return thread_list()

    @admin.display(description=_("buyer's login"), ordering="interlocutor_login")
    def buyer(self, obj: MessageThread) -> str:
        url = reverse("admin:allegro_messagethread_thread", args=[obj.pk])
        if obj.read:
            return format_html('<a href="{}">{}</a>', url, obj.interlocutor_login or obj.allegro_id)
        return format_html(
            '<a href="{}" class="allegro-unread"><strong>{}</strong></a> <span class="allegro-badge">{}</span>',
            url,
            obj.interlocutor_login or obj.allegro_id,
            gettext("unread"),
        )

    @admin.display(description=_("order"))
    def order_link(self, obj: MessageThread) -> str:
        order = obj.checkout.order if obj.checkout is not None else None
        if order is not None:
            return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[order.pk]), order)
        return obj.checkout_form_id[:8] + "…" if obj.checkout_form_id else "—"

    @admin.display(description=_("last message"))
    def last_text_display(self, obj: MessageThread) -> str:
        return obj.last_text[:90] + ("…" if len(obj.last_text) > 90 else "")

    @admin.display(description=_("waiting for a reply"), ordering="last_buyer_message_at")
    def waiting(self, obj: MessageThread) -> str:
        return waiting_label(obj) or "—"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/thread/", wrap(self.thread_view), name="allegro_messagethread_thread"),
            path("<int:pk>/reply/", wrap(require_POST(self.reply_view)), name="allegro_messagethread_reply"),
            path("<int:pk>/read/", wrap(require_POST(self.read_view)), name="allegro_messagethread_read"),
            path("check/", wrap(require_POST(self.check_view)), name="allegro_messagethread_check"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:allegro_messagethread_thread", object_id)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_reply": request.user.has_perm(REPLY_PERMISSION)}
        return super().changelist_view(request, extra_context)

    # -- one thread --

    def _thread(self, pk: int) -> MessageThread:
        return get_object_or_404(MessageThread.objects.select_related("account", "checkout__order", "customer"), pk=pk)

    def thread_view(self, request, pk: int, *, form: ReplyForm | None = None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        thread = self._thread(pk)
        picked = TemplatePickForm(request.GET or None)
        if form is None:
            initial = {}
            if picked.is_valid():
                initial["text"] = reply_template_render(template=picked.cleaned_data["template"], thread=thread)
            form = ReplyForm(initial=initial)
        order = thread.checkout.order if thread.checkout is not None else None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Conversation with %(login)s") % {"login": thread.interlocutor_login or thread.allegro_id},
            "opts": self.model._meta,
            "thread": thread,
            "order": order,
            "conversation": thread_conversation(thread=thread),
            "open_replies": thread_replies_open(thread=thread),
            "form": form,
            "picker": picked if request.GET else TemplatePickForm(),
            "has_templates": ReplyTemplate.objects.exists(),
            "waiting": waiting_label(thread),
            "can_reply": request.user.has_perm(REPLY_PERMISSION),
            "failed": ReplyState.FAILED,
        }
        return TemplateResponse(request, "admin/allegro/messages/thread.html", context)

    def reply_view(self, request, pk: int):
        if not request.user.has_perm(REPLY_PERMISSION):
            raise PermissionDenied
        thread = self._thread(pk)
        form = ReplyForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.thread_view(request, pk, form=form)
        files = [ReplyFile(name=f.name, content=f.read()) for f in form.cleaned_data["files"]]
        try:
            reply = message_reply_create(thread=thread, text=form.cleaned_data["text"], files=files, actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
            return self.thread_view(request, pk, form=form)
        message_reply_send.delay_on_commit(reply.pk)
        self.message_user(request, gettext("The reply is being sent to Allegro."), messages.SUCCESS)
        return redirect("admin:allegro_messagethread_thread", thread.pk)

    def read_view(self, request, pk: int):
        if not request.user.has_perm(REPLY_PERMISSION):
            raise PermissionDenied
        thread = self._thread(pk)
        try:
            message_thread_mark_read(thread=thread)
        except AllegroError as exc:
            self.message_user(request, "; ".join(exc.user_messages), messages.ERROR)
        else:
            self.message_user(request, gettext("Marked as read."), messages.SUCCESS)
        return redirect("admin:allegro_messagethread_thread", thread.pk)

    def check_view(self, request):
        """ "Sprawdź wiadomości": poll now (the accounts of the inbox shown), instead of waiting for the schedule."""
        if not request.user.has_perm(REPLY_PERMISSION):
            raise PermissionDenied
        accounts = AllegroAccount.objects.filter(state=ConnectionState.CONNECTED)
        if request.POST.get("account", "").isdigit():
            accounts = accounts.filter(pk=int(request.POST["account"]))
        new = 0
        for account in accounts:
            try:
                new += messages_import_account(account=account).messages
                issues_import_account(account=account)
            except AllegroError as exc:
                self.message_user(request, f"{account}: {'; '.join(exc.user_messages)}", messages.ERROR)
        self.message_user(
            request,
            gettext("Checked. New messages: %(n)s.") % {"n": new},
            messages.SUCCESS,
        )
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:allegro_messagethread_changelist")
        return redirect(target)


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "text")
    search_fields = ("name", "text")
    menu_group = "sales"
    menu_order = 16


# --- discussions and claims ------------------------------------------------------------------------------


def deadline_label(issue: Issue) -> str:
    """The date Allegro expects the seller's decision by, red when less than two days remain."""
    due = issue.deadline
    if due is None or not issue.is_open:
        return "—"
    left = due - timezone.now()
    css = "allegro-wait-late" if left.total_seconds() < 2 * 86400 else ""
    when = date_format(timezone.localtime(due), "DATETIME_FORMAT")
    if left.total_seconds() <= 0:
        return format_html('<span class="allegro-wait-late">{} ({})</span>', when, gettext("overdue"))
    return format_html(
        '<span class="{}">{} ({})</span>', css, when, gettext("%(left)s left") % {"left": timeuntil(due)}
    )


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ("issue_link", "type", "status", "account", "order_link", "buyer_login", "deadline", "waiting")
    list_filter = ("type", "status", "account")
    search_fields = ("buyer_login", "reference_number", "checkout_form_id", "order__number", "subject")
    list_select_related = ("account", "order")
    list_per_page = 50
    show_full_result_count = False
    list_display_links = None
    menu_group = "sales"
    menu_order = 17

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("discussion or claim"), ordering="opened_at")
    def issue_link(self, obj: Issue) -> str:
        url = reverse("admin:allegro_issue_page", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.subject or obj.reference_number or obj.allegro_id[:8])

    @admin.display(description=_("order"))
    def order_link(self, obj: Issue) -> str:
        if obj.order is not None:
            return format_html(
                '<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]), obj.order
            )
        return obj.checkout_form_id[:8] + "…" if obj.checkout_form_id else "—"

    @admin.display(description=_("decision due"), ordering="decision_due_at")
    def deadline(self, obj: Issue) -> str:
        return deadline_label(obj)

    @admin.display(description=_("waiting for a reply"), boolean=True)
    def waiting(self, obj: Issue) -> bool:
        return obj.awaiting_reply

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/page/", wrap(self.issue_view), name="allegro_issue_page"),
            path("<int:pk>/reply/", wrap(require_POST(self.reply_view)), name="allegro_issue_reply"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:allegro_issue_page", object_id)

    def issue_view(self, request, pk: int, *, form: IssueReplyForm | None = None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        issue = get_object_or_404(Issue.objects.select_related("account", "order"), pk=pk)
        context = {
            **self.admin_site.each_context(request),
            "title": str(issue),
            "opts": self.model._meta,
            "issue": issue,
            "chat": [{**m, "created": moment(m.get("createdAt", ""))} for m in issue.chat],
            "open_replies": list(issue.replies.exclude(state=ReplyState.SENT)),
            "deadline": deadline_label(issue),
            "form": form or IssueReplyForm(),
            "can_reply": request.user.has_perm(REPLY_PERMISSION) and issue.is_open and issue.chat_active,
            "failed": ReplyState.FAILED,
        }
        return TemplateResponse(request, "admin/allegro/messages/issue.html", context)

    def reply_view(self, request, pk: int):
        if not request.user.has_perm(REPLY_PERMISSION):
            raise PermissionDenied
        issue = get_object_or_404(Issue.objects.select_related("account"), pk=pk)
        form = IssueReplyForm(request.POST)
        if not form.is_valid():
            return self.issue_view(request, pk, form=form)
        try:
            reply = issue_reply_create(issue=issue, text=form.cleaned_data["text"], actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
            return self.issue_view(request, pk, form=form)
        issue_reply_send_task.delay_on_commit(reply.pk)
        self.message_user(request, gettext("The reply is being sent to Allegro."), messages.SUCCESS)
        return redirect("admin:allegro_issue_page", issue.pk)


class IssueInline(admin.TabularInline):
    """The order's discussions and claims on the shop's order page, with their deadlines and a link to reply."""

    model = Issue
    fk_name = "order"
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = _("Allegro discussion or claim")
    verbose_name_plural = _("Allegro discussions and claims")
    fields = ("issue_link", "type", "status", "deadline", "last_message", "answer")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("allegro.view_issue")

    @admin.display(description=_("discussion or claim"))
    def issue_link(self, obj: Issue) -> str:
        url = reverse("admin:allegro_issue_page", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.subject or obj.reference_number or obj.allegro_id[:8])

    @admin.display(description=_("decision due"))
    def deadline(self, obj: Issue) -> str:
        return deadline_label(obj)

    @admin.display(description=_("last message"))
    def last_message(self, obj: Issue) -> str:
        last = obj.chat[-1] if obj.chat else None
        if last is None:
            return "—"
        text = str(last.get("text") or "")
        return f"{last.get('author', {}).get('login', '')}: {text[:80]}{'…' if len(text) > 80 else ''}"

    @admin.display(description=_("reply"))
    def answer(self, obj: Issue) -> str:
        if not (obj.is_open and obj.chat_active):
            return "—"
        label = gettext("Reply (the buyer is waiting)") if obj.awaiting_reply else gettext("Reply")
        return format_html(
            '<a class="button" href="{}#reply">{}</a>', reverse("admin:allegro_issue_page", args=[obj.pk]), label
        )


extend_admin(Order, inlines=[IssueInline])
