from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from allegro.offers.models import Offer
from shop.models import Category, Product


class ListingJob(models.Model):
    """One mass listing or mass renewal run, with progress for the panel."""

    class Kind(models.TextChoices):
        LIST = "list", _("mass listing")
        RENEW = "renew", _("mass renewal")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("finished")
        CANCELLED = "cancelled", _("cancelled")
        FAILED = "failed", _("failed")

    account = models.ForeignKey("allegro.AllegroAccount", verbose_name=_("account"), on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.LIST)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    category = models.ForeignKey(
        Category, verbose_name=_("shop category"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    options = models.JSONField(_("options"), default=dict, blank=True)
    total = models.PositiveIntegerField(_("products"), default=0)
    done = models.PositiveIntegerField(_("processed"), default=0)
    succeeded = models.PositiveIntegerField(_("listed"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    taken_over_at = models.DateTimeField(
        _("last taken over"),
        null=True,
        blank=True,
        help_text=_("When a run last took the job over from one that stopped without finishing (its worker died)."),
    )

    class Meta:
        verbose_name = _("listing job")
        verbose_name_plural = _("listing jobs")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def progress_percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.done / self.total))


class ListingJobItem(models.Model):
    class Result(models.TextChoices):
        PENDING = "pending", _("waiting")
        LISTED = "listed", _("listed")
        SKIPPED = "skipped", _("skipped")
        FAILED = "failed", _("failed")

    job = models.ForeignKey(ListingJob, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="+")
    offer = models.ForeignKey(
        Offer, verbose_name=_("offer"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    result = models.CharField(_("result"), max_length=8, choices=Result.choices, default=Result.PENDING)
    message = models.TextField(_("message"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("listing job item")
        verbose_name_plural = _("listing job items")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["job", "product"], name="listing_job_item_unique")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.product_id} {self.result}"
