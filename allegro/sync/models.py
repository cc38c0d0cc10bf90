"""The sync engine's state: the queue of offers to bring in line with the shop, the batch
commands sent to Allegro (UUIDs stored before sending), per-account cursors, locks and run records.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OfferSyncQueue(models.Model):
    """An offer whose product changed since Allegro last confirmed it ("dirty"). One row per offer:
    a second change before the flush only moves ``queued_at`` (upsert), so the flush sends one value."""

    offer = models.OneToOneField("allegro.Offer", on_delete=models.CASCADE, related_name="sync_queue")
    account = models.ForeignKey("allegro.AllegroAccount", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    queued_at = models.DateTimeField(_("queued"), db_index=True)

    class Meta:
        verbose_name = _("offer waiting for synchronisation")
        verbose_name_plural = _("offers waiting for synchronisation")
        indexes = [models.Index(fields=["account", "queued_at"], name="offer_sync_queue_account")]

    def __str__(self) -> str:
        return f"{self.offer_id} ({self.queued_at:%H:%M:%S})"


class PriceRounding(models.TextChoices):
    NONE = "none", _("to the grosz")
    WHOLE = "whole", _("to whole złoty")
    ENDS_99 = "ends_99", _("to ,99")


class AccountPriceRule(models.Model):
    """How the offer price follows the shop price on one account: the account's markup in %, then this
    rounding (ROUND_HALF_UP). No row means "to the grosz"."""

    account = models.OneToOneField(
        "allegro.AllegroAccount", verbose_name=_("account"), on_delete=models.CASCADE, related_name="price_rule"
    )
    rounding = models.CharField(
        _("price rounding"), max_length=8, choices=PriceRounding.choices, default=PriceRounding.NONE
    )

    class Meta:
        verbose_name = _("price rule")
        verbose_name_plural = _("price rules")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.get_rounding_display()}"


class SyncRun(models.Model):
    """One synchronisation run of one account: what was asked, what was done, counts, errors, duration."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("finished")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped")
        INTERRUPTED = "interrupted", _("interrupted")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("by a staff member")
        SCHEDULE = "schedule", _("schedule")
        CHANGE = "change", _("shop change")
        COMMAND = "command", _("management command")

    account = models.ForeignKey(
        "allegro.AllegroAccount", verbose_name=_("account"), on_delete=models.CASCADE, related_name="sync_runs"
    )
    steps = models.JSONField(_("steps"), default=list, blank=True)
    trigger = models.CharField(_("started by"), max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    dry_run = models.BooleanField(_("preview only"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RUNNING)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    api_calls = models.PositiveIntegerField(_("Allegro calls"), default=0)
    started_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    taken_over = models.BooleanField(
        _("took over"),
        default=False,
        help_text=_("Started after a run of this account stopped without finishing (its worker died)."),
    )

    class Meta:
        verbose_name = _("synchronisation run")
        verbose_name_plural = _("synchronisation runs")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["account", "-started_at"], name="sync_run_account_time")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.started_at:%Y-%m-%d %H:%M:%S} {self.status}"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 2)


class SyncCommand(models.Model):
    """One batch command to Allegro. The row (UUID and body) is written BEFORE the call; a retry after a crash
    resends the same UUID with the same body, which Allegro answers with the same report.
    The body is never changed once stored: a different body under the same UUID gets 409."""

    class Kind(models.TextChoices):
        PRICE = "price", _("price change")
        QUANTITY = "quantity", _("quantity change")
        BULK = "bulk", _("price and quantity (bulk)")
        END = "end", _("end offers")
        ACTIVATE = "activate", _("activate offers")

    class Status(models.TextChoices):
        PENDING = "pending", _("stored, not confirmed as sent")
        SENT = "sent", _("sent, waiting for the report")
        COMPLETED = "completed", _("completed")
        FAILED = "failed", _("rejected")

    uuid = models.UUIDField(_("command id"), default=uuid.uuid4, unique=True)
    account = models.ForeignKey("allegro.AllegroAccount", on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(SyncRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="commands")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    body = models.JSONField(_("body"))
    body_hash = models.CharField(max_length=64)
    offer_ids = models.JSONField(_("Allegro offer ids"), default=list)
    reasons = models.JSONField(_("reasons"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    report = models.JSONField(_("report"), default=dict, blank=True)
    failed_offers = models.JSONField(_("failed offers"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("Allegro batch command")
        verbose_name_plural = _("Allegro batch commands")
        ordering = ["pk"]
        indexes = [models.Index(fields=["account", "status"], name="sync_command_account_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.uuid}"


class SyncCursor(models.Model):
    """The last processed event id of a journal per account, advanced in the same transaction as the work it covers."""

    account = models.ForeignKey("allegro.AllegroAccount", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    value = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sync cursor")
        verbose_name_plural = _("sync cursors")
        constraints = [models.UniqueConstraint(fields=["account", "kind"], name="sync_cursor_unique")]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.kind}"


class SyncMarker(models.Model):
    """A named timestamp; "flush" = a debounced flush task is already scheduled until this moment."""

    name = models.CharField(max_length=40, unique=True)
    until = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class SyncJob(models.Model):
    """One "Synchronizuj aukcje": the order import and the offer steps of every chosen account, run by Celery
    account after account, with a progress page. Each account's work is one SyncRun (under its lease); the job
    adds what the staff member asked for and the per-account progress and totals the page shows."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("finished")
        FAILED = "failed", _("finished with errors")

    steps = models.JSONField(_("steps"), default=list, blank=True)
    # True when the staff member named the steps: they run even where the account's switch is off.
    forced = models.BooleanField(_("steps named explicitly"), default=True)
    dry_run = models.BooleanField(_("preview only"), default=False)
    trigger = models.CharField(
        _("started by"), max_length=10, choices=SyncRun.Trigger.choices, default=SyncRun.Trigger.MANUAL
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("synchronisation job")
        verbose_name_plural = _("synchronisation jobs")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.created_at:%Y-%m-%d %H:%M:%S} {self.status}"


class SyncJobAccount(models.Model):
    """One account of a SyncJob: the step it is at, its SyncRun and what it did."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("finished")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped")

    job = models.ForeignKey(SyncJob, on_delete=models.CASCADE, related_name="accounts")
    account = models.ForeignKey(
        "allegro.AllegroAccount", verbose_name=_("account"), on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    step = models.CharField(_("current step"), max_length=20, blank=True)
    steps_done = models.PositiveSmallIntegerField(_("steps done"), default=0)
    run = models.ForeignKey(SyncRun, verbose_name=_("run"), on_delete=models.SET_NULL, null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("account of a synchronisation job")
        verbose_name_plural = _("accounts of a synchronisation job")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["job", "account"], name="sync_job_account_unique")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.account_id} {self.status}"
