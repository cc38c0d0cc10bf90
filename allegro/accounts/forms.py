import re

from django import forms
from django.utils.translation import gettext_lazy as _

from allegro.accounts.models import AllegroAccount, AllegroApp, Environment
from allegro.accounts.services.accounts import app_credentials_check

# The fields whose change means the credentials must be tried again.
_CREDENTIAL_FIELDS = ("environment", "client_id", "client_secret", "api_url", "auth_url", "upload_url")


class AllegroAppForm(forms.ModelForm):
    """The Allegro application. Saving tries the credentials with Allegro: a Client Secret Allegro refuses is
    an error under the field (nothing saved); when Allegro cannot be asked the application is saved and
    ``credentials_warning`` says so."""

    client_secret = forms.CharField(
        label=_("Client Secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted. Leave empty to keep the saved one."),
    )

    api_url = forms.URLField(label=_("REST API address"), required=False, assume_scheme="https")
    auth_url = forms.URLField(label=_("OAuth address"), required=False, assume_scheme="https")
    upload_url = forms.URLField(label=_("upload address"), required=False, assume_scheme="https")

    class Meta:
        model = AllegroApp
        fields = ["name", "environment", "client_id", "client_secret", "api_url", "auth_url", "upload_url"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("environment") == Environment.CUSTOM and not cleaned.get("api_url"):
            self.add_error("api_url", _("Custom addresses need at least the REST API address."))
        if not self.instance.client_secret_encrypted and not cleaned.get("client_secret"):
            self.add_error("client_secret", _("Enter the Client Secret shown at apps.developer.allegro.pl."))
        self.credentials_warning = ""
        if not self.errors and (self.instance.pk is None or set(self.changed_data) & set(_CREDENTIAL_FIELDS)):
            self._check_credentials(cleaned)
        return cleaned

    def _check_credentials(self, cleaned: dict) -> None:
        candidate = AllegroApp(
            environment=cleaned.get("environment"),
            client_id=cleaned.get("client_id", ""),
            api_url=cleaned.get("api_url") or "",
            auth_url=cleaned.get("auth_url") or "",
            upload_url=cleaned.get("upload_url") or "",
        )
        candidate.client_secret = cleaned.get("client_secret") or self.instance.client_secret
        outcome = app_credentials_check(app=candidate)
        if outcome.refused:
            self.add_error("client_secret", outcome.message)
        self.credentials_warning = outcome.message if outcome.unchecked else ""

    def save(self, commit=True):
        app = super().save(commit=False)
        if self.cleaned_data.get("client_secret"):
            app.client_secret = self.cleaned_data["client_secret"]
        if commit:
            app.save()
        return app


_POST_CODE = re.compile(r"^\d{2}-\d{3}$")


def _choices(account: AllegroAccount, kind: str) -> list[tuple[str, str]]:
    items = (account.choices_cache or {}).get(kind, [])
    return [("", "—")] + [(item["id"], item["name"]) for item in items]


class AllegroAccountForm(forms.ModelForm):
    """Account settings; after-sales conditions and price lists are dropdowns of what Allegro has."""

    class Meta:
        model = AllegroAccount
        fields = [
            "name",
            "app",
            "warranty_id",
            "implied_warranty_id",
            "return_policy_id",
            "shipping_rates_id",
            "default_template",
            "default_duration",
            "default_quantity",
            "location_province",
            "location_city",
            "location_post_code",
            "invoice_type",
            "handling_time",
            "promotion_emphasized",
            "promotion_bold_title",
            "promotion_department_page",
            "price_markup_percent",
            "gpsr_producer",
            "gpsr_safety_information",
            "gpsr_marketed_before",
            "sync_import_orders",
            "sync_prices",
            "sync_stock",
            "sync_close_sold_out",
            "sync_renew_ended",
            "sync_renew_descriptions",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field, kind in (
            ("warranty_id", "warranties"),
            ("implied_warranty_id", "implied-warranties"),
            ("return_policy_id", "return-policies"),
            ("shipping_rates_id", "shipping-rates"),
        ):
            if field in self.fields:
                choices = _choices(self.instance, kind)
                current = getattr(self.instance, field, "")
                if current and current not in dict(choices):
                    choices.append((current, _("%(id)s (not on Allegro any more)") % {"id": current}))
                self.fields[field] = forms.ChoiceField(
                    label=self.fields[field].label,
                    choices=choices,
                    required=False,
                    help_text=_("Lists come from Allegro; use “Odśwież listy z Allegro” after adding one there."),
                )

    def clean_location_post_code(self):
        value = self.cleaned_data.get("location_post_code", "").strip()
        if value and not _POST_CODE.match(value):
            raise forms.ValidationError(_("Post code must look like 00-000."))
        return value

    def clean(self):
        cleaned = super().clean()
        location = [cleaned.get("location_province"), cleaned.get("location_city"), cleaned.get("location_post_code")]
        if any(location) and not all(location):
            for field, value in zip(
                ("location_province", "location_city", "location_post_code"), location, strict=True
            ):
                if not value:
                    self.add_error(field, _("Fill in province, city and post code together."))
        return cleaned
