"""Offers in the panel: "Aukcje w serwisie Allegro" (the list and the detail), the single listing form
"Wystaw na Allegro", the product page's "Aukcje" box, the product list's link column and "Allegro" filter.
The product page's and list's parts are added to the shop's admin with extend_admin; shop never imports this."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from allegro.accounts.models import AllegroAccount
from allegro.accounts.selectors import account_current, account_default
from allegro.categories.forms import parameter_fields, values_from_post
from allegro.categories.models import AllegroCategory
from allegro.categories.services.categories import category_source_key
from allegro.categories.services.category_forms import category_definitions_get
from allegro.core.admin_extensions import extend_admin
from allegro.descriptions.services.descriptions import description_clean
from allegro.descriptions.services.offers import description_product_body_get
from allegro.descriptions.widgets import description_image_json
from allegro.integration.client import AllegroError, AllegroRateLimited, AllegroRetryLater
from allegro.offers.forms import OfferForm
from allegro.offers.models import NO_PRODUCT, Offer, OfferFormat, OfferStatus, PromotionCommand
from allegro.offers.selectors import (
    offer_list,
    offer_refused_row,
    offer_web_url,
    offers_live_of_product,
    products_filter_by_listing,
)
from allegro.offers.services.form_errors import (
    OfferFormErrors,
    offer_problems_as_form_errors,
    offer_refusal_as_form_errors,
)
from allegro.offers.services.offers import (
    catalogue_products_search,
    offer_catalogue_match,
    offer_copy_onto,
    offer_fetch_from_allegro,
    offer_prepare,
    offer_problems,
    offer_publish,
)
from allegro.offers.services.producers import CACHE_KEY as PRODUCERS_CACHE_KEY
from allegro.offers.services.producers import responsible_producer_reference, responsible_producers_refresh
from allegro.offers.services.promotions import (
    SWITCH_LABELS,
    SWITCHES,
    account_promotions,
    offer_promotions_set,
    offer_promotions_wanted,
    promotion_cost,
)
from allegro.offers.tasks import offer_promotions_send_task
from shop.models import Product

PUBLISH_PERMISSION = "allegro.publish_offer"


# --------------------------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------------------------
class OfferStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return OfferStatus.choices

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


class AllegroCategoryFilter(admin.SimpleListFilter):
    title = _("Allegro category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        ids = list(Offer.objects.order_by().values_list("category_id", flat=True).distinct()[:200])
        names = dict(AllegroCategory.objects.filter(allegro_id__in=ids).values_list("allegro_id", "name").order_by())
        return sorted(((i, f"{names.get(i, i)} ({i})") for i in ids if i), key=lambda c: c[1])

    def queryset(self, request, queryset):
        return queryset.filter(category_id=self.value()) if self.value() else queryset


class ProductListingFilter(admin.SimpleListFilter):
    """On the product list: "wystawione / niewystawione / z zakończonych aukcji"."""

    title = _("Allegro")
    parameter_name = "allegro"

    def lookups(self, request, model_admin):
        return [
            ("listed", _("listed on Allegro")),
            ("unlisted", _("not listed on Allegro")),
            ("ended", _("from ended offers")),
        ]

    def queryset(self, request, queryset):
        return products_filter_by_listing(queryset=queryset, state=self.value()) if self.value() else queryset


# --------------------------------------------------------------------------------------------------------------
# Lista aukcji
# --------------------------------------------------------------------------------------------------------------
@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    verbose_name_accusative = pgettext_lazy("accusative", "Allegro offer")
    list_display = (
        "title",
        "offer_link",
        "external_id",
        "account",
        "status_badge",
        "price",
        "auction_bids",
        "quantity",
        "category_id",
        "created_at",
    )
    list_filter = ("account", OfferStatusFilter, AllegroCategoryFilter, "format")
    search_fields = ("title", "=external_id", "=allegro_id")
    list_select_related = ("account__app", "product")
    list_per_page = 100
    show_full_result_count = False
    actions = ["list_similar", "list_again"]
    change_form_template = "admin/allegro/offers/detail.html"
    menu_group = "sales"
    menu_order = 20

    def get_queryset(self, request):
        return offer_list()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm(PUBLISH_PERMISSION)

    @admin.display(description=_("Allegro offer id"), ordering="allegro_id")
    def offer_link(self, obj: Offer) -> str:
        url = offer_web_url(offer=obj)
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, obj.allegro_id) if url else "—"

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Offer) -> str:
        return format_html('<span class="ao-status ao-status-{}">{}</span>', obj.status, obj.get_status_display())

    @admin.display(description=_("bids"), ordering="bidders_count")
    def auction_bids(self, obj: Offer) -> str:
        """An auction's current price and bidders as Allegro last showed them; "—" for Buy Now offers."""
        if obj.format != OfferFormat.AUCTION:
            return "—"
        price = obj.current_bid if obj.current_bid is not None else obj.starting_price
        bidders = ngettext("%(count)s bidder", "%(count)s bidders", obj.bidders_count) % {"count": obj.bidders_count}
        return format_html(
            '<span class="ao-bids">{} zł · {}</span>', number_format(price, 2) if price is not None else "—", bidders
        )

    # -- actions --

    def _one(self, request, queryset) -> Offer | None:
        offer = queryset.select_related(None).first()
        if offer is None or offer.product_id is None:
            self.message_user(request, gettext("Choose an offer of a shop product."), messages.WARNING)
            return None
        return offer

    @admin.action(description=_("List a similar offer"), permissions=["publish"])
    def list_similar(self, request, queryset):
        offer = self._one(request, queryset)
        if offer is not None:
            return redirect(listing_url(offer.product_id, account=offer.account_id, copy_from=offer.pk))
        return None

    @admin.action(description=_("Another offer of this item"), permissions=["publish"])
    def list_again(self, request, queryset):
        offer = self._one(request, queryset)
        if offer is not None:
            return redirect(listing_url(offer.product_id, account=offer.account_id, again=1))
        return None

    # -- pages --

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("list/<int:product_id>/", wrap(self.listing_view), name="allegro_offer_list_product"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        offer = offer_list().filter(pk=object_id).first()
        if offer is None:
            raise Http404
        if not self.has_view_permission(request, offer):
            raise PermissionDenied
        allegro_view, allegro_error = None, ""
        if request.GET.get("fetch") and offer.allegro_id:
            try:
                allegro_view = offer_fetch_from_allegro(offer=offer)
            except AllegroError as exc:
                allegro_error = "; ".join(exc.user_messages)
        events_url = reverse("admin:allegro_eventlogentry_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": offer.title,
            "offer": offer,
            "web_url": offer_web_url(offer=offer),
            "payload": json.dumps(offer.request_payload, ensure_ascii=False, indent=2),
            "allegro_view": json.dumps(allegro_view, ensure_ascii=False, indent=2) if allegro_view else "",
            "allegro_error": allegro_error,
            "can_publish": self.has_publish_permission(request) and offer.product_id,
            "similar_url": listing_url(offer.product_id, account=offer.account_id, copy_from=offer.pk)
            if offer.product_id
            else "",
            "again_url": listing_url(offer.product_id, account=offer.account_id, again=1) if offer.product_id else "",
            "events_url": f"{events_url}?{urlencode({'offer_id': offer.allegro_id})}" if offer.allegro_id else "",
            "product_events_url": f"{events_url}?{urlencode({'product_id': offer.product_id})}"
            if offer.product_id
            else "",
        }
        return TemplateResponse(request, self.change_form_template, context)

    def listing_view(self, request, product_id: int):
        """ "Wystaw na Allegro": the form prefilled by offer_prepare; ZAPISZ checks locally, then publishes."""
        if not self.has_publish_permission(request):
            raise PermissionDenied
        product = get_object_or_404(
            Product.objects.select_related("category", "allegro_description").prefetch_related("images"),
            pk=product_id,
        )
        source = request.POST if request.method == "POST" else request.GET
        account = _chosen_account(request, source.get("account"))
        if account is None:
            messages.error(request, gettext("Add and connect an Allegro account first."))
            return redirect("admin:allegro_allegroaccount_changelist")
        copy_from = Offer.objects.filter(pk=source.get("copy_from")).first() if source.get("copy_from") else None
        if not account.choices_cache.get(PRODUCERS_CACHE_KEY) and request.method == "GET":
            responsible_producers_refresh(account=account)
        page = _ListingPage(product=product, account=account, copy_from=copy_from)
        page.offer = offer_prepare(product=product, account=account, copy_from=copy_from)
        if page.offer.category_id:
            page.definitions = (
                category_definitions_get(allegro_category_id=page.offer.category_id, app=account.app) or []
            )
        page.body = description_product_body_get(product=product)
        form_kwargs = {
            "account": account,
            "editor_images": [description_image_json(image) for image in product.images.all()],
            "upload_url": reverse("allegro:description_image_upload", args=[product.pk]),
        }
        if request.method == "POST":
            page.form = OfferForm(request.POST, **form_kwargs)
            response = self._listing_submit(request, page)
            if response is not None:
                return response
        else:
            offer = page.offer
            initial = {name: getattr(offer, name) for name in _FORM_FIELDS}
            initial["account"] = account.pk
            initial["template"] = offer.template_id
            initial["description"] = offer.description if (offer.description or {}).get("sections") else page.body
            page.form = OfferForm(initial=initial, **form_kwargs)
            page.parameter_values = [*offer.parameters, *offer.product_parameters]
            page.images = list(offer.images)
        for name, errors in page.errors.fields.items():
            if name in page.form.fields:
                for error in errors:
                    page.form.add_error(name, error)
        return TemplateResponse(
            request, "admin/allegro/offers/listing_form.html", self._listing_context(request, page, source)
        )

    def _listing_submit(self, request, page: _ListingPage):
        """ZAPISZ: the offer from the form, checked locally, then published. A redirect when it is listed (or
        Allegro did not answer); None to show the form again with ``page.errors`` filled in.

        Everything is checked in one pass: the form's own errors (a number that is not a number) and the offer's
        rules (title length, prices, quantity, parameters, images, GPSR, the account's settings) are shown
        together, each under its field, so the staff member fixes them all at once. Nothing is created on
        Allegro (not even a new responsible producer) until every check passes."""
        form = page.form
        page.parameter_values = values_from_post(definitions=page.definitions, data=request.POST)
        page.images = _images_from_post(request.POST)
        form_valid = form.is_valid()
        page.existing = offer_refused_row(pk=request.POST.get("offer"), product=page.product, account=page.account)
        offer = _offer_from_form(form, page=page)
        if page.existing is not None:
            offer = offer_copy_onto(existing=page.existing, prepared=offer)
        page.offer = offer
        # A field the form already refused keeps the form's message only (its value did not reach the offer).
        problems = [p for p in offer_problems(offer=offer) if p.field not in form.errors]
        if problems or not form_valid:
            page.errors = offer_problems_as_form_errors(
                problems=problems,
                form_fields=form.fields,
                parameter_ids={d.id for d in page.definitions},
            )
            page.other_errors.insert(0, gettext("Please correct the errors below. Nothing was sent."))
            return None
        if form.cleaned_data.get("new_producer"):
            name = form.cleaned_data["new_producer"].strip()
            offer.responsible_producer_id = responsible_producer_reference(account=page.account, name=name)[:64]
        try:
            offer = offer_publish(offer=offer, actor=request.user)
        except (AllegroRetryLater, AllegroRateLimited) as exc:
            messages.warning(
                request,
                gettext("Allegro did not answer (%(error)s). The listing is checked again on retry.")
                % {"error": "; ".join(exc.user_messages)},
            )
            return redirect("admin:allegro_offer_change", offer.pk)
        if offer.status != OfferStatus.ERROR:
            messages.success(request, gettext("The offer “%(title)s” is listed on Allegro.") % {"title": offer.title})
            return redirect("admin:allegro_offer_change", offer.pk)
        page.offer = page.existing = offer
        page.errors = offer_refusal_as_form_errors(offer=offer, form_fields=form.fields)
        page.other_errors.insert(0, gettext("Allegro refused the offer. Correct the fields marked below."))
        return None

    def _listing_context(self, request, page: _ListingPage, source) -> dict:
        offer, account, product, form = page.offer, page.account, page.product, page.form
        allegro_category = (
            AllegroCategory.objects.filter(
                source=category_source_key(app=account.app), allegro_id=offer.category_id
            ).first()
            if offer.category_id
            else None
        )
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("List on Allegro: %(product)s") % {"product": product.name},
            "product": product,
            "account": account,
            "accounts": AllegroAccount.objects.order_by("name", "pk"),
            "form": form,
            "offer": offer,
            "existing": page.existing,
            "copy_from": page.copy_from,
            "again": source.get("again"),
            "listed": offers_live_of_product(product=product, account=account),
            "parameter_fields": parameter_fields(
                definitions=page.definitions, values=page.parameter_values, errors=page.errors.parameters
            ),
            "images": _image_rows(product, page.images),
            "allegro_category": allegro_category,
            "category_id": offer.category_id,
            "mapping_url": reverse("admin:allegro_categorymapping_changelist"),
            "category_form_url": reverse("admin:allegro_categoryform_edit", args=[offer.category_id])
            if offer.category_id
            else "",
            "shop_price": product.price,
            "stock": product.stock,
            "producers": form.producers(account),
            "catalogue": offer_catalogue_match(offer=offer),
            "promotion_cost": _listing_promotion_cost(offer),
            "catalogue_phrase": (request.GET.get("catalogue_phrase") or "").strip(),
            "catalogue_found": catalogue_products_search(
                account=page.account,
                phrase=request.GET.get("catalogue_phrase") or "",
                category_id=offer.category_id or "",
            ),
            "no_product": NO_PRODUCT,
            "field_errors": page.errors.fields,
            "other_errors": page.other_errors + page.errors.fields.get("__all__", []),
            "required_fields": OfferForm.REQUIRED,
        }


@dataclass
class _ListingPage:
    """What one request of the listing form works with and shows."""

    product: Product
    account: AllegroAccount
    copy_from: Offer | None
    offer: Offer | None = None
    definitions: list[dict] = field(default_factory=list)
    body: dict = field(default_factory=dict)
    form: OfferForm | None = None
    existing: Offer | None = None
    parameter_values: list[dict] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    errors: OfferFormErrors = field(default_factory=OfferFormErrors)
    other_errors: list[str] = field(default_factory=list)


_FORM_FIELDS = (
    "title",
    "format",
    "price",
    "starting_price",
    "minimal_price",
    "quantity",
    "duration",
    "catalogue_product_id",
    "shipping_rates_id",
    "implied_warranty_id",
    "return_policy_id",
    "warranty_id",
    "responsible_producer_id",
    "safety_information",
    "marketed_before_gpsr",
    "renew_after_end",
)


def _listing_promotion_cost(offer: Offer):
    """What listing will buy: the account's paid promotion options for this offer, priced by Allegro before ZAPISZ
    (None: none are on; "unpriced": Allegro could not price them now)."""
    if not any(offer_promotions_wanted(offer=offer).values()):
        return None
    try:
        return promotion_cost(offer=offer)
    except AllegroError:
        return "unpriced"


def listing_url(product_id: int, **params) -> str:
    url = reverse("admin:allegro_offer_list_product", args=[product_id])
    params = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{url}?{urlencode(params)}" if params else url


def _chosen_account(request, raw) -> AllegroAccount | None:
    if raw:
        account = AllegroAccount.objects.select_related("app").filter(pk=raw).first()
        if account is not None:
            return account
    return account_current(request=request).account or account_default()


def _images_from_post(data) -> list[str]:
    chosen = [ref for ref in data.getlist("images") if ref]

    def order(ref: str) -> tuple[int, int]:
        raw = data.get(f"order-{ref}", "")
        return (int(raw) if raw.strip().isdigit() else 999, chosen.index(ref))

    return sorted(chosen, key=order)


def _image_rows(product: Product, chosen: list[str]) -> list[dict]:
    rows = []
    for image in product.images.all():
        ref = f"product-image:{image.pk}"
        rows.append(
            {
                "ref": ref,
                "url": image.image.url if image.image else "",
                "alt": image.alt,
                "checked": ref in chosen,
                "order": chosen.index(ref) + 1 if ref in chosen else "",
            }
        )
    return rows


def _offer_from_form(form, *, page: _ListingPage) -> Offer:
    """The offer the submitted form describes (unsaved), prepared like a new one with the form's values."""
    data = form.cleaned_data
    account, definitions, parameter_values = page.account, page.definitions, page.parameter_values
    overrides = {name: data[name] for name in _FORM_FIELDS if name in data}
    overrides["price"] = data.get("price") if data.get("price") is not None else 0
    overrides["template"] = data.get("template")
    overrides["duration"] = data.get("duration") or ""
    overrides["catalogue_product_id"] = (data.get("catalogue_product_id") or "").strip()
    description = description_clean(description=data.get("description") or {"sections": []})
    # Stored only when the staff member changed it; otherwise the product's description is composed at publish.
    overrides["description"] = {} if description == description_clean(description=page.body) else description
    if data.get("new_producer"):
        # Checked under its name; created on Allegro only when the offer passes every check.
        overrides["responsible_producer_id"] = data["new_producer"].strip()[:64]
    product_level_ids = {d.id for d in definitions if d.options.describesProduct}
    overrides["parameters"] = [v for v in parameter_values if str(v["id"]) not in product_level_ids]
    overrides["product_parameters"] = [v for v in parameter_values if str(v["id"]) in product_level_ids]
    overrides["images"] = page.images
    return offer_prepare(product=page.product, account=account, overrides=overrides, copy_from=page.copy_from)


# --------------------------------------------------------------------------------------------------------------
# The product page and the product list (added from here with extend_admin: shop never imports allegro)
# --------------------------------------------------------------------------------------------------------------
class ProductOffersInline(admin.TabularInline):
    """ "Aukcje": the product's offers with links, and "Wystaw na Allegro"."""

    model = Offer
    fk_name = "product"
    fields = ("offer_detail", "account", "status", "price", "quantity", "created_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False
    verbose_name = _("Allegro offer")
    verbose_name_plural = _("Offers on Allegro")
    template = "admin/allegro/offers/product_offers_inline.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account__app")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("allegro.view_offer")

    @admin.display(description=_("offer"))
    def offer_detail(self, obj: Offer) -> str:
        url = reverse("admin:allegro_offer_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.allegro_id or obj.title)


@admin.display(description=_("Allegro"))
def list_on_allegro_link(obj: Product) -> str:
    return format_html('<a class="ao-list-link" href="{}">{}</a>', listing_url(obj.pk), gettext("List on Allegro"))


extend_admin(
    Product, inlines=[ProductOffersInline], list_display=[list_on_allegro_link], list_filter=[ProductListingFilter]
)


# --- paid promotion options of one offer ("opcje promowania") ------------------------------------------------


class PromotionsForm(forms.Form):
    follow_account = forms.BooleanField(label=_("as set for the account"), required=False)
    emphasized = forms.BooleanField(label=_("emphasised offer"), required=False)
    bold_title = forms.BooleanField(label=_("bold title"), required=False)
    department_page = forms.BooleanField(label=_("on the department page"), required=False)

    def wanted(self, account) -> dict[str, bool] | None:
        """None when the offer follows the account's defaults."""
        if self.cleaned_data.get("follow_account"):
            return None
        return {name: bool(self.cleaned_data.get(name)) for name in SWITCHES}


def offer_promotions_view(model_admin, request, pk: int):
    """The offer's promotion options: what Allegro has, the account's defaults, the offer's own choice and its cost
    (Allegro's fee preview) — "Przelicz koszt" first, then "Kup i wyślij" sends exactly the options priced."""
    if not request.user.has_perm("allegro.publish_offer"):
        raise PermissionDenied
    offer = get_object_or_404(Offer.objects.select_related("account", "product"), pk=pk)
    own = offer.promotions if isinstance(offer.promotions, dict) else None
    initial = {"follow_account": own is None, **(own or account_promotions(account=offer.account))}
    form = PromotionsForm(request.POST or None, initial=initial)
    cost, cost_error, confirmed_key = None, "", ""
    if request.method == "POST" and form.is_valid():
        wanted = form.wanted(offer.account)
        effective = wanted if wanted is not None else account_promotions(account=offer.account)
        key = json.dumps({"own": wanted, "effective": effective}, sort_keys=True)
        if "send" in request.POST and request.POST.get("priced") == key:
            offer_promotions_set(offer=offer, promotions=wanted)
            offer_promotions_send_task.delay_on_commit(
                offer.account_id, [offer.pk], request.user.pk, json.loads(request.POST.get("cost") or "{}")
            )
            model_admin.message_user(
                request, gettext("The promotion options are being sent to Allegro."), messages.SUCCESS
            )
            return redirect("admin:allegro_offer_promotions", offer.pk)
        try:
            cost = promotion_cost(offer=offer, wanted=effective)
            confirmed_key = key
        except AllegroError as exc:
            cost_error = "; ".join(exc.user_messages)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": gettext("Promotion options: %(title)s") % {"title": offer.title},
        "offer": offer,
        "form": form,
        "cost": cost,
        "cost_json": json.dumps(cost.as_dict()) if cost is not None else "",
        "cost_error": cost_error,
        "priced": confirmed_key,
        "account_defaults": [SWITCH_LABELS[k] for k, v in account_promotions(account=offer.account).items() if v],
        "confirmed": offer.promotions_confirmed or [],
        # The account's recent commands that named this offer (offer_ids is a JSON list; SQLite cannot search it).
        "commands": [
            c
            for c in PromotionCommand.objects.filter(account=offer.account_id)[:200]
            if offer.allegro_id in c.offer_ids
        ][:10],
    }
    return TemplateResponse(request, "admin/allegro/offers/promotions.html", context)


extend_admin(
    Offer,
    urls=lambda model_admin: [
        path(
            "<int:pk>/promotions/",
            model_admin.admin_site.admin_view(lambda request, pk: offer_promotions_view(model_admin, request, pk)),
            name="allegro_offer_promotions",
        )
    ],
)
