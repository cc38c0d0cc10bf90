"""The description section editor: a form widget (JavaScript editor over a JSON textarea) and its form field.

The widget's value is the JSON of Allegro's ``{"sections": [...]}``. Everything the script needs arrives in
``data-`` attributes (no inline script: a Content-Security-Policy will forbid them). Without JavaScript the
JSON textarea stays visible and editable.
"""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from allegro.descriptions.services.descriptions import (
    MAX_BYTES,
    MAX_SECTIONS,
    UnknownPlaceholders,
    description_clean,
    description_errors,
    description_render_placeholders,
)
from allegro.descriptions.services.offers import PLACEHOLDERS, description_image_ref, description_image_ref_pk
from shop.models import ProductImage


def description_image_json(image: ProductImage) -> dict:
    """How the editor's picker sees a product image (``ref`` is what descriptions store)."""
    return {"id": image.pk, "ref": description_image_ref(image.pk), "thumb": image.image.url, "alt": image.alt}


MODE_PRODUCT = "product"
MODE_TEMPLATE = "template"

# Stand-in URL for references that become Allegro URLs at publish time (product images, the main-image
# placeholder), so the validator can check everything else about the description.
_STAND_IN_URL = "https://a.allegroimg.com/original/selly-stand-in"
_SAMPLE_CONTEXT = {
    "name": "Produkt",
    "price": "1 299,00 zł",
    "sku": "SKU",
    "ean": "5901234123457",
    "brand": "Marka",
    "main_image": _STAND_IN_URL,
}


def _as_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class DescriptionEditorWidget(forms.Widget):
    """Section editor for an Allegro description.

    ``images``: the product's pictures the picker offers, ``[{"id", "ref", "thumb", "alt"}]`` (``ref`` is the
    stored URL ``product-image:<pk>``); ``upload_url``: where a picked file is uploaded as a new product image;
    ``generated``: a description to offer as "from the shop description"; ``mode``: ``"product"`` or
    ``"template"`` (templates may use image URLs and the main-image placeholder).
    """

    template_name = "allegro/description_editor/widget.html"

    def __init__(self, attrs=None, *, mode: str = MODE_PRODUCT, images=None, upload_url: str = "", generated=None):
        super().__init__(attrs)
        self.mode = mode
        self.images = list(images or [])
        self.upload_url = upload_url
        self.generated = generated

    @property
    def media(self):
        ck_language = settings.CKEDITOR_5_CONFIGS.get("allegro", {}).get("language", "")
        js = ["django_ckeditor_5/dist/bundle.js"]
        if ck_language and ck_language != "en":
            js.append(f"django_ckeditor_5/dist/translations/{ck_language}.js")
        js.append("allegro/description_editor.js")
        return forms.Media(
            css={"all": ["django_ckeditor_5/dist/styles.css", "allegro/description_editor.css"]},
            js=js,
        )

    def format_value(self, value):
        if value is None or value == "":
            return _as_json({"sections": []})
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, indent=1)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["editor"] = {
            "mode": self.mode,
            "images": _as_json(self.images),
            "ck_config": _as_json(settings.CKEDITOR_5_CONFIGS.get("allegro", {})),
            "upload_url": self.upload_url,
            "generated": _as_json(self.generated) if self.generated else "",
            "max_sections": MAX_SECTIONS,
            "max_bytes": MAX_BYTES,
        }
        return context

    def render(self, name, value, attrs=None, renderer=None):
        # render_to_string (not the form renderer): the template lives in the project's templates/ folder.
        return render_to_string(self.template_name, self.get_context(name, value, attrs))


class DescriptionFormField(forms.Field):
    """A description in Allegro's shape: every text cleaned (nh3 + normaliser), then validated; errors name the
    section and item. An empty description is allowed unless ``required``.

    ``image_pks``: pks of the product's images that ``product-image:<pk>`` may reference (None: any).
    """

    widget = DescriptionEditorWidget
    default_error_messages = {
        "invalid_json": _("The description is not valid JSON."),
        "required": _("Add at least one section."),
    }

    def __init__(self, *, mode: str = MODE_PRODUCT, image_pks=None, **kwargs):
        kwargs.setdefault("widget", DescriptionEditorWidget(mode=mode))
        super().__init__(**kwargs)
        self.mode = mode
        self.image_pks = image_pks

    def to_python(self, value):
        if value in (None, ""):
            return {"sections": []}
        if isinstance(value, dict):
            return value
        try:
            parsed = json.loads(value)
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid_json"], code="invalid_json") from None
        if isinstance(parsed, list):
            parsed = {"sections": parsed}
        if not isinstance(parsed, dict):
            raise ValidationError(self.error_messages["invalid_json"], code="invalid_json")
        return parsed

    def prepare_value(self, value):
        return value

    def clean(self, value):
        description = description_clean(self.to_python(value))
        if not description["sections"]:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return description
        errors = self.description_messages(description)
        if errors:
            raise ValidationError([ValidationError(message, code="description") for message in errors])
        return description

    def has_changed(self, initial, data):
        try:
            return description_clean(self.to_python(data)) != description_clean(self.to_python(initial))
        except ValidationError:
            return True

    def description_messages(self, description: dict) -> list[str]:
        """Every problem as a translated message naming the section/item (1-based, as the editor shows them)."""
        messages: list[str] = []
        stand_in = {"sections": []}
        for s, section in enumerate(description["sections"]):
            items = []
            for i, item in enumerate(section["items"]):
                if item["type"] == "IMAGE":
                    pk = description_image_ref_pk(item["url"])
                    if pk is not None:
                        if self.image_pks is not None and pk not in self.image_pks:
                            messages.append(
                                _place(s, i, gettext("the picked image is not one of this product's images"))
                            )
                        item = {"type": "IMAGE", "url": f"{_STAND_IN_URL}/{pk}.jpg"}
                    elif self.mode == MODE_TEMPLATE and "{{" in item["url"]:
                        item = {"type": "IMAGE", "url": _STAND_IN_URL + ".jpg"}
                items.append(item)
            stand_in["sections"].append({"items": items})
        for error in description_errors(stand_in):
            messages.append(_place(error.section, error.item, error.reason))
        if self.mode == MODE_TEMPLATE:
            try:
                description_render_placeholders(description, _SAMPLE_CONTEXT)
            except UnknownPlaceholders as exc:
                known = ", ".join(f"{{{{ {pl} }}}}" for pl, _en, _h in PLACEHOLDERS)
                for problem in exc.problems:
                    messages.append(
                        gettext("%(problem)s (known placeholders: %(known)s)") % {"problem": problem, "known": known}
                    )
        return messages


def _place(section: int | None, item: int | None, reason: str) -> str:
    if section is None:
        return reason
    if item is None:
        return gettext("Section %(section)d: %(reason)s") % {"section": section + 1, "reason": reason}
    return gettext("Section %(section)d, item %(item)d: %(reason)s") % {
        "section": section + 1,
        "item": item + 1,
        "reason": reason,
    }
