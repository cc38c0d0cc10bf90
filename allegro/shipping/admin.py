"""Admin of delivery price lists ("Koszty dostawy") and the delivery-method mapping ("Mapowanie form dostawy").

Imported at the bottom of allegro/admin.py. A price list is published to Allegro while the forms are
validated (the inline formset's ``clean``): Allegro's refusal then lands next to the field it names and
the admin saves nothing, exactly like a local validation error.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from allegro.accounts.models import AllegroAccount, AllegroApp, ConnectionState
from allegro.integration.client import AllegroError
from allegro.shipping.models import (
    CategoryShippingRates,
    DeliveryMethodMapping,
    ProductShippingRates,
    ShippingRate,
    ShippingRateSet,
)
from allegro.shipping.selectors import delivery_method_group, delivery_method_list, shipping_rate_set_list
from allegro.shipping.services.shipping import (
    RateData,
    ShippingRatesInvalid,
    delivery_mapping_save,
    delivery_method_refresh,
    shipping_rate_set_import,
    shipping_rate_set_make_default,
    shipping_rate_set_save,
)
from shop.models import DeliveryMethod

SELECT2_JS = (
    "admin/js/vendor/jquery/jquery.js",
    "admin/js/vendor/select2/select2.full.js",
    "admin/js/jquery.init.js",
    "allegro/shipping.js",
)
SELECT2_CSS = {"screen": ("admin/css/vendor/select2/select2.css", "allegro/shipping.css")}


def _refresh_all_methods(request, admin_obj) -> None:
    """Refresh the delivery-method cache of every application, reporting each result as a message."""
    apps = list(AllegroApp.objects.filter(accounts__isnull=False).distinct()) or list(AllegroApp.objects.all())
    if not apps:
        admin_obj.message_user(request, gettext("Add an Allegro application first."), messages.WARNING)
    for app in apps:
        try:
            count = delivery_method_refresh(app=app)
            admin_obj.message_user(
                request,
                gettext("%(app)s: %(count)s delivery methods fetched from Allegro.") % {"app": app, "count": count},
                messages.SUCCESS,
            )
        except AllegroError as exc:
            admin_obj.message_user(request, f"{app}: {'; '.join(exc.user_messages) or exc}", messages.ERROR)


# --------------------------------------------------------------------------------------------------------------
# Koszty dostawy
# --------------------------------------------------------------------------------------------------------------
class ShippingRateForm(forms.ModelForm):
    # Filled per request by the inline: one query for all rows, grouped by payment policy.
    method_choices: list = []

    delivery_method_id = forms.ChoiceField(label=_("delivery method"))
    first_item_rate = forms.DecimalField(
        label=_("price (first item)"), max_digits=10, decimal_places=2, min_value=0, help_text="PLN"
    )
    next_item_rate = forms.DecimalField(
        label=_("price (next item)"),
        max_digits=10,
        decimal_places=2,
        min_value=0,
        initial=0,
        required=False,
        help_text=_("PLN for each further item in the same package (kolejna sztuka)"),
    )

    class Meta:
        model = ShippingRate
        fields = [
            "delivery_method_id",
            "first_item_rate",
            "next_item_rate",
            "max_quantity_per_package",
            "shipping_time_from",
            "shipping_time_to",
            "max_package_weight",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + list(self.method_choices)
        current = self.instance.delivery_method_id if self.instance.pk else ""
        known = {value for _group, options in self.method_choices for value, _label in options}
        if current and current not in known:
            choices.append((current, self.instance.delivery_method_name or current))
        field = self.fields["delivery_method_id"]
        field.choices = choices
        field.widget.attrs.update(
            {"class": "allegro-method-select", "data-placeholder": gettext("Type to search a delivery method")}
        )
        self.fields["max_quantity_per_package"].min_value = 1


class ShippingRateFormSet(BaseInlineFormSet):
    """Publishes the whole price list to Allegro once every form is valid; maps refusals back onto rows."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        main_form = getattr(self.instance, "_shipping_main_form", None)
        if main_form is None:  # the list's own fields are invalid: fix those first, send nothing
            return
        rows = [f for f in self.forms if f.has_changed() or f.instance.pk]
        rows = [f for f in rows if f.cleaned_data and not (self.can_delete and self._should_delete_form(f))]
        rates = [
            RateData(
                delivery_method_id=f.cleaned_data["delivery_method_id"],
                first_item_rate=f.cleaned_data["first_item_rate"],
                next_item_rate=f.cleaned_data.get("next_item_rate") or Decimal("0.00"),
                max_quantity_per_package=f.cleaned_data["max_quantity_per_package"],
                shipping_time_from=f.cleaned_data.get("shipping_time_from"),
                shipping_time_to=f.cleaned_data.get("shipping_time_to"),
                max_package_weight=f.cleaned_data.get("max_package_weight"),
            )
            for f in rows
        ]
        try:
            shipping_rate_set_save(
                rate_set=self.instance,
                name=self.instance.name,
                rates=rates,
                actor=getattr(self.instance, "_shipping_actor", None),
            )
        except ShippingRatesInvalid as exc:
            general = []
            for issue in exc.issues:
                if issue.index is not None:
                    rows[issue.index].add_error(issue.field or None, issue.message)
                elif issue.field == "name":
                    main_form.add_error("name", issue.message)
                else:
                    general.append(issue.message)
            # Always a non-form error too: it keeps the formset invalid, so the admin saves nothing even
            # when the only problem sits on the list's own name field.
            lead = (
                gettext("Allegro did not accept the price list; nothing was saved.")
                if exc.from_allegro
                else gettext("Correct the marked fields; nothing was saved or sent to Allegro.")
            )
            raise forms.ValidationError([lead, *general]) from exc
        except AllegroError as exc:
            raise forms.ValidationError(
                [gettext("Allegro did not accept the price list; nothing was saved.")]
                + (exc.user_messages or [str(exc)])
            ) from exc
        else:
            self.instance._shipping_saved = True


class ShippingRateInline(admin.TabularInline):
    model = ShippingRate
    form = ShippingRateForm
    formset = ShippingRateFormSet
    extra = 1
    min_num = 0
    verbose_name = _("delivery method")
    verbose_name_plural = _("delivery methods and prices")

    def get_formset(self, request, obj=None, **kwargs):
        app = obj.account.app if obj is not None and obj.pk else None
        methods = delivery_method_list(app=app)
        choices = [
            (label, [(m.allegro_id, m.name) for m in group])
            for _policy, label, group in delivery_method_group(methods=methods)
        ]
        form = type("ShippingRateFormWithChoices", (self.form,), {"method_choices": choices})
        return super().get_formset(request, obj, form=form, **kwargs)

    @property
    def media(self):
        return super().media + forms.Media(js=SELECT2_JS, css=SELECT2_CSS)


class ShippingRateSetForm(forms.ModelForm):
    class Meta:
        model = ShippingRateSet
        fields = ["account", "name"]
        help_texts = {"name": _("1–64 characters: letters, digits, spaces, hyphens, dots and commas.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "account" in self.fields:
            self.fields["account"].queryset = AllegroAccount.objects.filter(state=ConnectionState.CONNECTED)


@admin.register(ShippingRateSet)
class ShippingRateSetAdmin(admin.ModelAdmin):
    form = ShippingRateSetForm
    inlines = [ShippingRateInline]
    list_display = ("name", "account", "rate_count", "default_badge", "synced_at")
    list_filter = ("account",)
    search_fields = ("name", "=allegro_id")
    readonly_fields = ("allegro_id", "last_modified", "synced_at")
    change_list_template = "admin/allegro/shipping/rateset_change_list.html"
    change_form_template = "admin/allegro/shipping/rateset_change_form.html"
    menu_group = "allegro"
    menu_order = 40

    def get_queryset(self, request):
        return shipping_rate_set_list()

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return ["account", *fields] if obj is not None and obj.pk else fields

    @admin.display(description=_("delivery methods"), ordering="rate_count")
    def rate_count(self, obj: ShippingRateSet) -> int:
        return obj.rate_count

    @admin.display(description=_("default for the account"), boolean=True)
    def default_badge(self, obj: ShippingRateSet) -> bool:
        return bool(obj.allegro_id) and obj.account.shipping_rates_id == obj.allegro_id

    def has_delete_permission(self, request, obj=None):
        return False  # Allegro has no DELETE for price lists; a local delete would only hide one

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(require_POST(self.import_view)), name="allegro_shippingrateset_import"),
            path(
                "refresh-methods/",
                wrap(require_POST(self.refresh_methods_view)),
                name="allegro_shippingrateset_refresh_methods",
            ),
            path(
                "<int:pk>/make-default/",
                wrap(require_POST(self.make_default_view)),
                name="allegro_shippingrateset_make_default",
            ),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "GET" and not delivery_method_list():
            _refresh_all_methods(request, self)  # first visit: the dropdown needs Allegro's methods
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_form(self, request, form, change):
        obj = super().save_form(request, form, change)
        # The main form is valid: the rates formset may now publish (see ShippingRateFormSet.clean).
        obj._shipping_main_form = form
        obj._shipping_actor = request.user
        return obj

    def save_model(self, request, obj, form, change):
        if not getattr(obj, "_shipping_saved", False):  # pragma: no cover - the formset always publishes
            raise AllegroError("price list was not published")

    def save_related(self, request, form, formsets, change):
        # shipping_rate_set_save already wrote the rows Allegro accepted.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def import_view(self, request):
        if not request.user.has_perm("allegro.add_shippingrateset"):
            raise PermissionDenied
        accounts = AllegroAccount.objects.select_related("app").filter(state=ConnectionState.CONNECTED)
        if request.POST.get("account"):
            accounts = accounts.filter(pk=request.POST["account"])
        for account in accounts:
            try:
                result = shipping_rate_set_import(account=account, actor=request.user)
                self.message_user(
                    request,
                    gettext("%(account)s: %(created)s new and %(updated)s updated price lists fetched from Allegro.")
                    % {"account": account, "created": result.created, "updated": result.updated},
                    messages.SUCCESS,
                )
            except AllegroError as exc:
                self.message_user(request, f"{account}: {'; '.join(exc.user_messages) or exc}", messages.ERROR)
        return redirect("admin:allegro_shippingrateset_changelist")

    def refresh_methods_view(self, request):
        if not request.user.has_perm("allegro.change_shippingrateset"):
            raise PermissionDenied
        _refresh_all_methods(request, self)
        return redirect(request.POST.get("next") or "admin:allegro_shippingrateset_changelist")

    def make_default_view(self, request, pk: int):
        if not request.user.has_perm("allegro.change_allegroaccount"):
            raise PermissionDenied
        rate_set = get_object_or_404(ShippingRateSet.objects.select_related("account"), pk=pk)
        if not rate_set.allegro_id:
            self.message_user(request, gettext("Save the price list to Allegro first."), messages.ERROR)
        else:
            shipping_rate_set_make_default(account=rate_set.account, rate_set=rate_set, actor=request.user)
            self.message_user(
                request,
                gettext("“%(name)s” is now the default delivery price list of %(account)s.")
                % {"name": rate_set.name, "account": rate_set.account},
                messages.SUCCESS,
            )
        return redirect("admin:allegro_shippingrateset_change", rate_set.pk)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["is_default"] = bool(obj and obj.allegro_id and obj.account.shipping_rates_id == obj.allegro_id)
        context["accounts"] = AllegroAccount.objects.filter(state=ConnectionState.CONNECTED)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request, extra_context=None):
        extra = {"connected_accounts": AllegroAccount.objects.filter(state=ConnectionState.CONNECTED)}
        return super().changelist_view(request, {**extra, **(extra_context or {})})


# --------------------------------------------------------------------------------------------------------------
# Price lists of products and categories (overrides of the account default)
# --------------------------------------------------------------------------------------------------------------
class _OverrideForm(forms.ModelForm):
    target_field = ""

    def clean(self):
        cleaned = super().clean()
        rate_set = cleaned.get("rate_set")
        target = cleaned.get(self.target_field)
        if rate_set is None or target is None:
            return cleaned
        if not rate_set.allegro_id:
            self.add_error("rate_set", gettext("This price list is not on Allegro yet; save it first."))
            return cleaned
        self.instance.account = rate_set.account
        clash = (
            self._meta.model.objects.filter(**{self.target_field: target, "account": rate_set.account})
            .exclude(pk=self.instance.pk)
            .exists()
        )
        if clash:
            self.add_error(
                self.target_field,
                gettext("It already has a price list on the account %(account)s; change that one.")
                % {"account": rate_set.account},
            )
        return cleaned


class CategoryShippingRatesForm(_OverrideForm):
    target_field = "category"

    class Meta:
        model = CategoryShippingRates
        fields = ["category", "rate_set"]


class ProductShippingRatesForm(_OverrideForm):
    target_field = "product"

    class Meta:
        model = ProductShippingRates
        fields = ["product", "rate_set"]


class _OverrideAdmin(admin.ModelAdmin):
    list_filter = ("account",)

    def has_module_permission(self, request):
        return False  # reached from "Koszty dostawy", not from the menu

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.base_fields["rate_set"].queryset = ShippingRateSet.objects.select_related("account").exclude(allegro_id="")
        form.base_fields["rate_set"].label_from_instance = lambda s: f"{s.name} ({s.account})"
        return form


@admin.register(CategoryShippingRates)
class CategoryShippingRatesAdmin(_OverrideAdmin):
    form = CategoryShippingRatesForm
    autocomplete_fields = ("category",)
    list_display = ("category", "account", "rate_set")
    list_select_related = ("category", "account", "rate_set")


@admin.register(ProductShippingRates)
class ProductShippingRatesAdmin(_OverrideAdmin):
    form = ProductShippingRatesForm
    autocomplete_fields = ("product",)
    list_display = ("product", "account", "rate_set")
    list_select_related = ("product", "account", "rate_set")
    search_fields = ("product__name", "=product__sku")


# --------------------------------------------------------------------------------------------------------------
# Mapowanie form dostawy
# --------------------------------------------------------------------------------------------------------------
class DeliveryMappingForm(forms.Form):
    """One select of shop delivery methods per cached Allegro delivery method, saved in one POST."""

    def __init__(self, *args, methods, shop_methods, current: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.methods = methods
        self.shop_by_pk = {str(m.pk): m for m in shop_methods}
        choices = [("", gettext("— not mapped —"))] + [(str(m.pk), str(m)) for m in shop_methods]
        for method in methods:
            self.fields[self.field_name(method.allegro_id)] = forms.ChoiceField(
                label=method.name, choices=choices, required=False, initial=str(current.get(method.allegro_id, ""))
            )

    @staticmethod
    def field_name(allegro_id: str) -> str:
        return f"method-{allegro_id}"

    def chosen(self) -> dict[str, DeliveryMethod | None]:
        return {
            m.allegro_id: self.shop_by_pk.get(self.cleaned_data.get(self.field_name(m.allegro_id)) or "")
            for m in self.methods
        }


@admin.register(DeliveryMethodMapping)
class DeliveryMethodMappingAdmin(admin.ModelAdmin):
    """The menu entry opens the mapping page; single rows are not added or edited one by one."""

    menu_group = "allegro"
    menu_order = 45

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "refresh-methods/",
                wrap(require_POST(self.refresh_methods_view)),
                name="allegro_deliverymethodmapping_refresh_methods",
            ),
            *super().get_urls(),
        ]

    def refresh_methods_view(self, request):
        if not request.user.has_perm("allegro.change_deliverymethodmapping"):
            raise PermissionDenied
        _refresh_all_methods(request, self)
        return redirect("admin:allegro_deliverymethodmapping_changelist")

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        methods = delivery_method_list()
        shop_methods = list(DeliveryMethod.objects.all())
        current = dict(DeliveryMethodMapping.objects.values_list("allegro_method_id", "delivery_method_id"))
        used = set(ShippingRate.objects.values_list("delivery_method_id", flat=True).distinct())
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            form = DeliveryMappingForm(request.POST, methods=methods, shop_methods=shop_methods, current=current)
            if form.is_valid():
                mapped, removed = delivery_mapping_save(
                    chosen=form.chosen(), names={m.allegro_id: m.name for m in methods}, actor=request.user
                )
                self.message_user(
                    request,
                    gettext("Mapping saved: %(mapped)s changed, %(removed)s removed.")
                    % {"mapped": mapped, "removed": removed},
                    messages.SUCCESS,
                )
                return redirect("admin:allegro_deliverymethodmapping_changelist")
        else:
            form = DeliveryMappingForm(methods=methods, shop_methods=shop_methods, current=current)
        groups = [
            (
                label,
                [
                    {
                        "method": m,
                        "field": form[form.field_name(m.allegro_id)],
                        "used": m.allegro_id in used,
                        "mapped": m.allegro_id in current,
                    }
                    for m in group
                ],
            )
            for _policy, label, group in delivery_method_group(methods=methods)
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": self.model._meta.verbose_name_plural,
            "opts": self.model._meta,
            "form": form,
            "groups": groups,
            "has_shop_methods": bool(shop_methods),
            "shop_methods_url": reverse("admin:shop_deliverymethod_changelist"),
            "media": forms.Media(js=["allegro/shipping.js"], css={"screen": ["allegro/shipping.css"]}),
            "unmapped_used": sum(1 for m in methods if m.allegro_id in used and m.allegro_id not in current),
        }
        return TemplateResponse(request, "admin/allegro/shipping/mapping.html", context)
