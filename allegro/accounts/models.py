import hashlib
import uuid
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from allegro.core.crypto import EncryptedSecret

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

# The scopes a shop integration needs.
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
    sync_renew_descriptions = models.BooleanField(
        _("update descriptions when renewing"),
        default=False,
        help_text=_("Renewal sends the description composed from the current product and templates."),
    )

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
