"""Admin of offer descriptions: the product's "Aukcje" editor, offer templates, category defaults and
the bulk conversion of shop descriptions. Imported at the bottom of allegro/admin.py.

The product page belongs to the shop app, which must not know about Allegro, so the inline and the action are
added to it with extend_admin (applied in AllegroConfig.ready()).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from allegro.core.admin_extensions import extend_admin
from allegro.descriptions.models import CategoryDescriptionTemplate, DescriptionTemplate, ProductAllegroDescription
from allegro.descriptions.services.descriptions import UnknownPlaceholders, description_clean, description_from_html
from allegro.descriptions.services.offers import PLACEHOLDERS, description_offer_build
from allegro.descriptions.services.storage import description_create_from_shop
from allegro.descriptions.widgets import (
    MODE_TEMPLATE,
    DescriptionEditorWidget,
    DescriptionFormField,
    description_image_json,
)
from shop.models import Category, Product


# --------------------------------------------------------------------------------------------------------------
# Product page: "Aukcje" (the product's fixed Allegro description)
# --------------------------------------------------------------------------------------------------------------
class ProductAllegroDescriptionForm(forms.ModelForm):
    description = DescriptionFormField(
        required=False,
        label=_("Allegro description"),
        help_text=_(
            "Sections of the offer description on Allegro. When left empty, the description is generated from the "
            "shop description when an offer is published."
        ),
    )

    # Set per request by the inline (the product's pictures, the upload address, the generated description,
    # the staff member who edits).
    editor_images: list[dict] = []
    editor_upload_url = ""
    editor_generated: dict | None = None
    editor_user = None

    class Meta:
        model = ProductAllegroDescription
        fields = ["description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["description"]
        field.image_pks = {image["id"] for image in self.editor_images}
        field.widget = DescriptionEditorWidget(
            images=self.editor_images, upload_url=self.editor_upload_url, generated=self.editor_generated
        )
        if self.instance.pk is None and self.editor_generated and self.editor_generated.get("sections"):
            # An empty description starts as the one generated from the shop's HTML (saved only if changed).
            self.initial["description"] = self.editor_generated

    def save(self, commit=True):
        # The formset saves only the forms that changed, so "updated by" names who last changed the description.
        if self.editor_user is not None:
            self.instance.updated_by = self.editor_user
        return super().save(commit)


class ProductAllegroDescriptionInline(admin.StackedInline):
    model = ProductAllegroDescription
    form = ProductAllegroDescriptionForm
    fields = ("description", "updated_at", "updated_by")
    readonly_fields = ("updated_at", "updated_by")
    extra = 1
    min_num = 0
    max_num = 1
    can_delete = False
    verbose_name = _("Allegro description")
    verbose_name_plural = _("Allegro offers")
    classes = ("allegro-description-inline",)

    def get_formset(self, request, obj=None, **kwargs):
        images = []
        generated = None
        upload_url = ""
        if obj is not None and obj.pk:
            # One query for all pictures, cached for the request's repeated get_formset calls.
            if not hasattr(obj, "_allegro_editor_images"):
                obj._allegro_editor_images = [description_image_json(image) for image in obj.images.all()]
            images = obj._allegro_editor_images
            generated = description_from_html(obj.description)
            upload_url = reverse("allegro:description_image_upload", args=[obj.pk])
        form = type(
            "ProductAllegroDescriptionBoundForm",
            (self.form,),
            {
                "editor_images": images,
                "editor_upload_url": upload_url,
                "editor_generated": generated,
                "editor_user": request.user,
            },
        )
        return super().get_formset(request, obj, form=form, **kwargs)


def has_allegro_description_permission(request) -> bool:
    return request.user.has_perms(["allegro.add_productallegrodescription", "allegro.change_productallegrodescription"])


@admin.action(
    description=_("Create Allegro description from the shop description"), permissions=["allegro_description"]
)
def create_allegro_descriptions(modeladmin, request, queryset):
    replace = request.POST.get("replace") == "1"
    results = description_create_from_shop(
        products=queryset.select_related(None).only("pk", "name", "sku", "description"),
        actor=request.user,
        replace=replace,
    )
    counts = {status: 0 for status in ("created", "replaced", "skipped", "empty")}
    for result in results:
        counts[result.status] += 1
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": gettext("Allegro descriptions from shop descriptions"),
        "opts": modeladmin.model._meta,
        "results": results,
        "counts": counts,
        "with_losses": sum(1 for r in results if r.messages and r.status in ("created", "replaced")),
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/allegro/description/conversion_report.html", context)


extend_admin(
    Product,
    inlines=[ProductAllegroDescriptionInline],
    actions=[create_allegro_descriptions],
    permissions={"allegro_description": has_allegro_description_permission},
)


# --------------------------------------------------------------------------------------------------------------
# Offer templates ("Szablony aukcji") with category defaults
# --------------------------------------------------------------------------------------------------------------
class DescriptionTemplateForm(forms.ModelForm):
    header = DescriptionFormField(
        mode=MODE_TEMPLATE,
        required=False,
        label=_("header"),
        help_text=_("Sections shown above the product's description."),
    )
    footer = DescriptionFormField(
        mode=MODE_TEMPLATE,
        required=False,
        label=_("footer"),
        help_text=_("Sections shown below the product's description."),
    )

    class Meta:
        model = DescriptionTemplate
        fields = ["name", "is_active", "header", "footer"]


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return "\u2003" * (obj.depth - 1) + obj.name


class CategoryDescriptionTemplateInline(admin.TabularInline):
    model = CategoryDescriptionTemplate
    fields = ("category",)
    extra = 0
    verbose_name = _("category using this template by default")
    verbose_name_plural = _("categories using this template by default (subcategories inherit it)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("category", "template")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "category":
            kwargs["queryset"] = Category.objects.order_by("path")
            kwargs["form_class"] = CategoryChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(DescriptionTemplate)
class DescriptionTemplateAdmin(admin.ModelAdmin):
    form = DescriptionTemplateForm
    list_display = ("name", "is_active", "category_names", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("name",)
    readonly_fields = ("placeholders_help", "preview")
    inlines = [CategoryDescriptionTemplateInline]
    menu_group = "allegro"
    menu_order = 40
    fieldsets = (
        (None, {"fields": ("name", "is_active")}),
        (_("Header"), {"fields": ("header",)}),
        (_("Footer"), {"fields": ("footer",)}),
        (_("Placeholders"), {"fields": ("placeholders_help",)}),
        (_("Preview with a sample product"), {"fields": ("preview",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("categories__category")

    @admin.display(description=_("categories"))
    def category_names(self, obj: DescriptionTemplate) -> str:
        return ", ".join(link.category.name for link in obj.categories.all()) or "—"

    @admin.display(description=_("placeholders"))
    def placeholders_help(self, obj=None) -> str:
        rows = format_html_join(
            "",
            "<tr><td><code>{{{{ {} }}}}</code></td><td><code>{{{{ {} }}}}</code></td><td>{}</td></tr>",
            PLACEHOLDERS,
        )
        return format_html(
            '<p>{}</p><table class="de-placeholders"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            gettext(
                "Placeholders are replaced with the product's data when an offer is published. Put the main image "
                "placeholder alone in an image item (or alone in a text item)."
            ),
            gettext("placeholder"),
            gettext("English alias"),
            gettext("value"),
            rows,
        )

    @admin.display(description=_("preview"))
    def preview(self, obj: DescriptionTemplate | None) -> str:
        if obj is None or obj.pk is None:
            return gettext("Save the template to see a preview with a sample product.")
        product = Product.objects.filter(images__isnull=False).order_by("pk").first() or Product.objects.first()
        if product is None:
            return gettext("Add a product to the shop to see a preview.")
        image_urls = {image.pk: image.image.url for image in product.images.all()}
        try:
            description = description_offer_build(product=product, account=None, template=obj, image_urls=image_urls)
        except UnknownPlaceholders as exc:
            return format_html('<p class="errornote">{}</p>', "; ".join(exc.problems))
        return format_html(
            '<p class="help">{}</p><div class="de-offer de-offer-static"><h2 class="de-offer-heading">{}</h2>{}</div>',
            gettext("Sample product: %(product)s") % {"product": product},
            gettext("Description"),
            description_html(description),
        )


def description_html(description: dict) -> str:
    """Server-side rendering of a description for the admin preview. The description is cleaned first, so every
    TEXT content is Allegro's attribute-less grammar (h1, h2, p, ul, ol, li, b) with escaped text; image URLs are
    escaped by format_html and limited to http(s) and same-origin paths."""

    def item_html(item: dict) -> str:
        if item["type"] == "TEXT":
            content = mark_safe(item["content"])  # noqa: S308 — output of description_clean: allow-listed tags only
            return format_html('<div class="de-pv-item de-pv-text">{}</div>', content)
        url = item["url"]
        if url.startswith(("https://", "http://", "/")) and not url.startswith("//"):
            return format_html('<div class="de-pv-item de-pv-image"><img src="{}" alt=""></div>', url)
        return format_html('<div class="de-pv-item de-pv-image"><div class="de-pv-missing">{}</div></div>', url)

    return format_html_join(
        "",
        '<div class="de-pv-section de-pv-items-{}">{}</div>',
        (
            (len(section["items"]), format_html_join("", "{}", ((item_html(item),) for item in section["items"])))
            for section in description_clean(description=description)["sections"]
        ),
    )
