import hashlib
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allegro.crypto import EncryptedSecret

ALLEGRO_URLS = {
    "production": {
        "api": "https://api.allegro.pl",
        "auth": "https://allegro.pl",
        "upload": "https://upload.allegro.pl",
        "web": "https://allegro.pl",
        "apps": "https://apps.developer.allegro.pl",
    },
    "sandbox": {
        "api": "https://api.allegro.pl.allegrosandbox.pl",
        "auth": "https://allegro.pl.allegrosandbox.pl",
        "upload": "https://upload.allegro.pl.allegrosandbox.pl",
        "web": "https://allegro.pl.allegrosandbox.pl",
        "apps": "https://apps.developer.allegro.pl.allegrosandbox.pl",
    },
}

# The scopes a shop integration needs (API.md §2.5).
REQUIRED_SCOPES = (
    "allegro:api:sale:offers:read",
    "allegro:api:sale:offers:write",
    "allegro:api:sale:settings:read",
    "allegro:api:sale:settings:write",
    "allegro:api:orders:read",
    "allegro:api:orders:write",
    "allegro:api:shipments:read",
    "allegro:api:shipments:write",
    "allegro:api:profile:read",
)


def token_fingerprint(token: str) -> str:
    """A short, non-reversible label of a token for logs and the event log."""
    return hashlib.sha256(token.encode()).hexdigest()[:12] if token else ""


class Environment(models.TextChoices):
    PRODUCTION = "production", _("Allegro (production)")
    SANDBOX = "sandbox", _("Allegro sandbox (tests)")
    CUSTOM = "custom", _("custom addresses (emulator)")


class AllegroApp(models.Model):
    """An application registered at apps.developer.allegro.pl: client id and secret for one environment."""

    name = models.CharField(_("name"), max_length=100)
    environment = models.CharField(
        _("environment"), max_length=12, choices=Environment.choices, default=Environment.PRODUCTION
    )
    client_id = models.CharField(_("Client ID"), max_length=100)
    client_secret_encrypted = models.TextField(editable=False, blank=True)
    api_url = models.URLField(_("REST API address"), blank=True, help_text=_("Only for custom addresses."))
    auth_url = models.URLField(_("OAuth address"), blank=True, help_text=_("Only for custom addresses."))
    upload_url = models.URLField(_("upload address"), blank=True, help_text=_("Only for custom addresses."))
    secret_uuid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    client_secret = EncryptedSecret("client_secret_encrypted")

    class Meta:
        verbose_name = _("Allegro application (REST API)")
        verbose_name_plural = _("REST API – applications")
        constraints = [
            models.UniqueConstraint(fields=["environment", "client_id"], name="allegro_app_client_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_environment_display()})"

    def url(self, kind: str) -> str:
        """Base URL of "api", "auth", "upload" or "web" for this app's environment."""
        if self.environment == Environment.CUSTOM:
            custom = {"api": self.api_url, "auth": self.auth_url, "upload": self.upload_url, "web": self.api_url}
            return (custom.get(kind) or self.api_url).rstrip("/")
        return ALLEGRO_URLS[self.environment][kind]


class ConnectionState(models.TextChoices):
    CONNECTED = "connected", _("connected")
    NEEDS_REAUTH = "needs_reauth", _("needs re-authorisation")
    DISCONNECTED = "disconnected", _("disconnected")


class Province(models.TextChoices):
    DOLNOSLASKIE = "DOLNOSLASKIE", "dolnośląskie"
    KUJAWSKO_POMORSKIE = "KUJAWSKO_POMORSKIE", "kujawsko-pomorskie"
    LUBELSKIE = "LUBELSKIE", "lubelskie"
    LUBUSKIE = "LUBUSKIE", "lubuskie"
    LODZKIE = "LODZKIE", "łódzkie"
    MALOPOLSKIE = "MALOPOLSKIE", "małopolskie"
    MAZOWIECKIE = "MAZOWIECKIE", "mazowieckie"
    OPOLSKIE = "OPOLSKIE", "opolskie"
    PODKARPACKIE = "PODKARPACKIE", "podkarpackie"
    PODLASKIE = "PODLASKIE", "podlaskie"
    POMORSKIE = "POMORSKIE", "pomorskie"
    SLASKIE = "SLASKIE", "śląskie"
    SWIETOKRZYSKIE = "SWIETOKRZYSKIE", "świętokrzyskie"
    WARMINSKO_MAZURSKIE = "WARMINSKO_MAZURSKIE", "warmińsko-mazurskie"
    WIELKOPOLSKIE = "WIELKOPOLSKIE", "wielkopolskie"
    ZACHODNIOPOMORSKIE = "ZACHODNIOPOMORSKIE", "zachodniopomorskie"


class Duration(models.TextChoices):
    UNLIMITED = "", _("until sold out (no end date)")
    P3D = "PT72H", _("3 days")
    P5D = "PT120H", _("5 days")
    P7D = "PT168H", _("7 days")
    P10D = "PT240H", _("10 days")
    P20D = "PT480H", _("20 days")
    P30D = "PT720H", _("30 days")


class HandlingTime(models.TextChoices):
    IMMEDIATE = "PT0S", _("immediately")
    H24 = "PT24H", _("24 hours")
    D2 = "P2D", _("2 days")
    D3 = "P3D", _("3 days")
    D4 = "P4D", _("4 days")
    D5 = "P5D", _("5 days")
    D7 = "P7D", _("7 days")
    D10 = "P10D", _("10 days")
    D14 = "P14D", _("14 days")
    D21 = "P21D", _("21 days")
    D30 = "P30D", _("30 days")
    D60 = "P60D", _("60 days")


class InvoiceType(models.TextChoices):
    VAT = "VAT", _("VAT invoice")
    VAT_MARGIN = "VAT_MARGIN", _("VAT margin invoice")
    WITHOUT_VAT = "WITHOUT_VAT", _("invoice without VAT")
    NO_INVOICE = "NO_INVOICE", _("no invoice")


class AllegroAccount(models.Model):
    """One Allegro seller connected through OAuth, with its listing defaults and sync switches."""

    app = models.ForeignKey(
        AllegroApp, verbose_name=_("application"), on_delete=models.PROTECT, related_name="accounts"
    )
    name = models.CharField(_("name in the panel"), max_length=100)
    seller_id = models.CharField(_("Allegro seller id"), max_length=64, blank=True, editable=False)
    login = models.CharField(_("Allegro login"), max_length=100, blank=True, editable=False)
    state = models.CharField(
        _("connection"), max_length=14, choices=ConnectionState.choices, default=ConnectionState.DISCONNECTED
    )
    access_token_encrypted = models.TextField(editable=False, blank=True)
    refresh_token_encrypted = models.TextField(editable=False, blank=True)
    token_expires_at = models.DateTimeField(_("token valid until"), null=True, blank=True, editable=False)
    token_refreshed_at = models.DateTimeField(_("token refreshed"), null=True, blank=True, editable=False)
    scopes = models.TextField(_("granted scopes"), blank=True, editable=False)
    last_success_at = models.DateTimeField(_("last successful call"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    secret_uuid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)

    # After-sales conditions: ids picked from lists fetched from Allegro, names kept for display.
    warranty_id = models.CharField(_("warranty"), max_length=64, blank=True)
    warranty_name = models.CharField(max_length=200, blank=True, editable=False)
    implied_warranty_id = models.CharField(_("complaints (implied warranty)"), max_length=64, blank=True)
    implied_warranty_name = models.CharField(max_length=200, blank=True, editable=False)
    return_policy_id = models.CharField(_("return policy"), max_length=64, blank=True)
    return_policy_name = models.CharField(max_length=200, blank=True, editable=False)
    shipping_rates_id = models.CharField(_("default delivery price list"), max_length=64, blank=True)
    shipping_rates_name = models.CharField(max_length=200, blank=True, editable=False)

    # Offer defaults ("Ogólne ustawienia aukcji").
    default_duration = models.CharField(
        _("default duration"), max_length=8, choices=Duration.choices, default=Duration.UNLIMITED, blank=True
    )
    default_quantity = models.PositiveIntegerField(
        _("default quantity"), default=1, help_text=_("Used when the product's stock is not tracked.")
    )
    location_province = models.CharField(_("province"), max_length=24, choices=Province.choices, blank=True)
    location_city = models.CharField(_("city"), max_length=100, blank=True)
    location_post_code = models.CharField(_("post code"), max_length=6, blank=True)
    invoice_type = models.CharField(_("invoice"), max_length=12, choices=InvoiceType.choices, default=InvoiceType.VAT)
    handling_time = models.CharField(
        _("handling time"), max_length=6, choices=HandlingTime.choices, default=HandlingTime.H24
    )
    promotion_emphasized = models.BooleanField(_("paid option: emphasised offer"), default=False)
    promotion_bold_title = models.BooleanField(_("paid option: bold title"), default=False)
    promotion_department_page = models.BooleanField(_("paid option: on the department page"), default=False)
    # Product safety (GPSR) defaults for listing: used when a product's offer gives none of its own.
    gpsr_producer = models.CharField(
        _("responsible producer (GPSR)"),
        max_length=200,
        blank=True,
        help_text=_("The id of a producer defined on Allegro, or the producer's name."),
    )
    gpsr_safety_information = models.TextField(_("safety information (GPSR)"), blank=True, max_length=5000)
    gpsr_marketed_before = models.BooleanField(
        _("products placed on the EU market before 13 December 2024"), default=False
    )
    price_markup_percent = models.DecimalField(
        _("price markup (%)"), max_digits=6, decimal_places=2, default=Decimal("0.00")
    )

    # Sync switches ("Parametry synchronizacji"): each off until the owner switches it on.
    sync_import_orders = models.BooleanField(_("import orders"), default=False)
    sync_prices = models.BooleanField(_("update prices"), default=False)
    sync_stock = models.BooleanField(_("update quantities"), default=False)
    sync_close_sold_out = models.BooleanField(_("end sold-out offers"), default=False)
    sync_renew_ended = models.BooleanField(_("renew ended offers"), default=False)

    default_template = models.ForeignKey(
        "DescriptionTemplate",
        verbose_name=_("default offer template"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Used for products whose category has no template of its own."),
    )

    # Lists fetched from Allegro for the dropdowns (after-sales conditions, shipping-rate sets).
    choices_cache = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    access_token = EncryptedSecret("access_token_encrypted")
    refresh_token = EncryptedSecret("refresh_token_encrypted")

    class Meta:
        verbose_name = _("Allegro account")
        verbose_name_plural = _("Allegro accounts")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["app", "seller_id"], condition=~models.Q(seller_id=""), name="allegro_account_seller_unique"
            ),
        ]
        permissions = [
            ("authorize_account", _("Can authorise Allegro accounts")),
            ("run_sync", _("Can run Allegro synchronisation")),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.login})" if self.login else self.name

    @property
    def is_connected(self) -> bool:
        return self.state == ConnectionState.CONNECTED

    @property
    def token_fingerprint(self) -> str:
        return token_fingerprint(self.access_token) if self.access_token_encrypted else ""


class EventKind(models.TextChoices):
    CONNECTION = "connection", _("connection")
    TOKEN = "token", _("token")
    SETTINGS = "settings", _("settings")
    OFFER = "offer", _("offer")
    ORDER = "order", _("order")
    SYNC = "sync", _("synchronisation")
    ERROR = "error", _("error")


class EventLogEntry(models.Model):
    """The event log ("dziennik zdarzeń"): what happened, to what, why, and what Allegro answered.

    Never holds a secret: tokens appear only as fingerprints; request/response summaries are
    built by the client from safe fields.
    """

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    account = models.ForeignKey(
        AllegroAccount, verbose_name=_("account"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    action = models.CharField(_("action"), max_length=60)
    message = models.TextField(_("message"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rule = models.CharField(_("rule"), max_length=120, blank=True, help_text=_("The automatic rule that caused it."))
    offer_id = models.CharField(_("Allegro offer id"), max_length=32, blank=True, db_index=True)
    product_id = models.BigIntegerField(_("product id"), null=True, blank=True, db_index=True)
    order_id = models.BigIntegerField(_("order id"), null=True, blank=True, db_index=True)
    success = models.BooleanField(_("success"), default=True)
    request_summary = models.JSONField(_("request"), default=dict, blank=True)
    response_summary = models.JSONField(_("response"), default=dict, blank=True)
    trace_id = models.CharField(_("trace-id"), max_length=100, blank=True, db_index=True)

    class Meta:
        verbose_name = _("event log entry")
        verbose_name_plural = _("event log")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="eventlog_account_time"),
            models.Index(fields=["kind", "-created_at"], name="eventlog_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class WorkerHeartbeat(models.Model):
    """Written by a task that beat schedules every minute: proves both beat and a worker are alive."""

    name = models.CharField(max_length=40, unique=True)
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.name


class RateLimitSlot(models.Model):
    """The next free call slot per rate-limit key (database fallback when Redis is not configured)."""

    key = models.CharField(max_length=200, unique=True)
    next_free = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("rate limit slot")
        verbose_name_plural = _("rate limit slots")

    def __str__(self) -> str:
        return self.key


# --- Descriptions (issue 6) ---
def empty_description() -> dict:
    return {"sections": []}


class DescriptionTemplate(models.Model):
    """Header and footer sections put around a product's description when an offer is published.

    Both hold Allegro's own ``{"sections": [...]}`` shape and may use placeholders (``{{ nazwa }}``,
    ``{{ cena }}``...), rendered per product by ``description_for_offer``.
    """

    name = models.CharField(_("name"), max_length=120)
    header = models.JSONField(_("header"), default=empty_description, blank=True)
    footer = models.JSONField(_("footer"), default=empty_description, blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive templates are skipped when a template is picked.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("offer template")
        verbose_name_plural = _("offer templates")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class ProductAllegroDescription(models.Model):
    """The fixed Allegro description of a product (the "Aukcje" part of the product page).

    Images of the product are referenced as ``{"type": "IMAGE", "url": "product-image:<ProductImage.pk>"}``:
    they get their Allegro URL only when an offer is published (see ``description_for_offer``).
    """

    product = models.OneToOneField(
        "shop.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="allegro_description"
    )
    description = models.JSONField(_("Allegro description"), default=empty_description, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Allegro description")
        verbose_name_plural = _("Allegro descriptions")

    def __str__(self) -> str:
        return str(self.product_id)


class CategoryDescriptionTemplate(models.Model):
    """The default offer template of a shop category; subcategories inherit it unless they have their own."""

    category = models.OneToOneField(
        "shop.Category",
        verbose_name=_("shop category"),
        on_delete=models.CASCADE,
        related_name="allegro_description_template",
    )
    template = models.ForeignKey(
        DescriptionTemplate, verbose_name=_("offer template"), on_delete=models.CASCADE, related_name="categories"
    )

    class Meta:
        verbose_name = _("category default template")
        verbose_name_plural = _("category default templates")

    def __str__(self) -> str:
        return f"{self.category_id} -> {self.template_id}"


# The models of each area live in their own module; Django finds them through these imports.
from allegro.models_categories import *  # noqa: E402,F401,F403
from allegro.models_offers import *  # noqa: E402,F401,F403
from allegro.models_orders import *  # noqa: E402,F401,F403
from allegro.models_shipping import *  # noqa: E402,F401,F403
from allegro.models_sync import *  # noqa: E402,F401,F403
