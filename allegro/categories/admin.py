"""Admin of Allegro categories: "Przyporządkowania kategorii" (shop tree → Allegro leaf, with the
lazy tree browser) and "Formularze kategorii" (common parameter values of a mapped Allegro category).
Imported at the bottom of allegro/admin.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from allegro.accounts.models import AllegroApp
from allegro.accounts.selectors import account_current, account_default
from allegro.categories.forms import parameter_fields, values_from_post
from allegro.categories.models import (
    AllegroCategory,
    CategoryForm,
    CategoryMapping,
    MappingEnvironment,
    ProductParameters,
)
from allegro.categories.selectors import (
    allegro_category_id_get,
    allegro_category_mapped_list,
    category_mapping_list,
    mapping_environment_get,
    products_of_allegro_category,
)
from allegro.categories.services.categories import (
    category_get,
    category_mapping_clear,
    category_mapping_set,
    category_parameters_fetch,
    category_source_key,
)
from allegro.categories.services.category_forms import (
    CategoryFormInvalid,
    category_definitions_get,
    category_form_problems_list,
    category_form_save,
)
from allegro.categories.services.product_parameters import (
    offer_definitions,
    parameter_value_as_text,
    product_definitions,
    product_parameters_save,
    product_parameters_table,
    product_parameters_table_read,
    product_parameters_table_save,
    product_parameters_tsv,
    product_parameters_validate,
    product_parameters_values,
)
from allegro.core.admin_extensions import extend_admin
from allegro.integration.client import AllegroError
from allegro.integration.schemas.categories import category_parameters_parse
from shop.models import Category, Product

BULK_PAGE_SIZE = 100


def pick_app(request, environment: str | None = None) -> tuple[str, AllegroApp | None, list[tuple[str, str]]]:
    """The environment to work in and the app used to browse Allegro: ``?env=`` or the current account's app's,
    the current account's app when it belongs to that environment, else the first app of it."""
    apps = list(AllegroApp.objects.order_by("pk"))
    current = account_current(request=request).account
    current_app = next((a for a in apps if current and a.pk == current.app_id), None)
    if environment not in MappingEnvironment.values:
        environment = mapping_environment_get(app=current_app or apps[0]) if apps else MappingEnvironment.PRODUCTION
    app = current_app if current_app and mapping_environment_get(app=current_app) == environment else None
    app = app or next((a for a in apps if mapping_environment_get(app=a) == environment), None)
    available = {mapping_environment_get(app=a) for a in apps} | {MappingEnvironment.PRODUCTION, environment}
    choices = [(value, label) for value, label in MappingEnvironment.choices if value in available]
    return environment, app, choices


@admin.register(CategoryMapping)
class CategoryMappingAdmin(admin.ModelAdmin):
    """ "Przyporządkowania kategorii": the shop tree with each category's Allegro category and the picker."""

    menu_group = "allegro"
    menu_order = 50

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("save/", wrap(require_POST(self.save_view)), name="allegro_categorymapping_save"),
            path("clear/", wrap(require_POST(self.clear_view)), name="allegro_categorymapping_clear"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self._page(request)

    def _page(self, request, *, picker_category: Category | None = None, picker_error: str = "", status: int = 200):
        environment, app, environments = pick_app(request, request.GET.get("env") or request.POST.get("env"))
        unmapped_only = request.GET.get("unmapped") == "1"
        rows = category_mapping_list(environment=environment, unmapped_only=unmapped_only)
        unmapped_count = len(rows) if unmapped_only else sum(1 for r in rows if not r.mapped)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Category mappings"),
            "opts": self.model._meta,
            "rows": rows,
            "environment": environment,
            "environment_label": MappingEnvironment(environment).label,
            "environments": environments,
            "app": app,
            "unmapped_only": unmapped_only,
            "unmapped_count": unmapped_count,
            "can_change": self.has_change_permission(request),
            "picker_category": picker_category,
            "picker_error": picker_error,
            "fallback_note": environment != MappingEnvironment.PRODUCTION,
        }
        return TemplateResponse(request, "admin/allegro/categories/mapping.html", context, status=status)

    def save_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        environment, app, _choices = pick_app(request, request.POST.get("env"))
        category = get_object_or_404(Category, pk=request.POST.get("category") or 0)
        if app is None:
            return self._page(
                request, picker_category=category, picker_error=gettext("Add an Allegro application first."), status=400
            )
        try:
            mapping = category_mapping_set(
                category=category,
                environment=environment,
                allegro_category_id=request.POST.get("allegro_category_id", ""),
                app=app,
                actor=request.user,
            )
        except ValidationError as exc:
            message = "; ".join(m for messages_ in exc.message_dict.values() for m in messages_)
            return self._page(request, picker_category=category, picker_error=message, status=400)
        except AllegroError as exc:
            return self._page(request, picker_category=category, picker_error="; ".join(exc.user_messages), status=400)
        self.message_user(
            request,
            gettext("“%(category)s” → %(allegro)s saved.")
            % {"category": category.name, "allegro": mapping.allegro_category_path},
            messages.SUCCESS,
        )
        return redirect(reverse("admin:allegro_categorymapping_changelist") + f"?env={environment}")

    def clear_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        environment = request.POST.get("env", "")
        category = get_object_or_404(Category, pk=request.POST.get("category") or 0)
        if category_mapping_clear(category=category, environment=environment):
            self.message_user(
                request,
                gettext("“%(category)s” no longer has its own Allegro category.") % {"category": category.name},
                messages.SUCCESS,
            )
        return redirect(reverse("admin:allegro_categorymapping_changelist") + f"?env={environment}")


@admin.register(CategoryForm)
class CategoryFormAdmin(admin.ModelAdmin):
    """ "Formularze kategorii": the mapped Allegro categories, each with a form of its parameters."""

    menu_group = "allegro"
    menu_order = 60

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("edit/<str:allegro_id>/", wrap(self.edit_view), name="allegro_categoryform_edit"),
            path(
                "products/<str:allegro_id>/",
                wrap(lambda request, allegro_id: products_parameters_view(self, request, allegro_id)),
                name="allegro_categoryform_products",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        environment, app, environments = pick_app(request, request.GET.get("env"))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Category forms"),
            "opts": self.model._meta,
            "groups": allegro_category_mapped_list(environment=environment),
            "environment": environment,
            "environments": environments,
            "app": app,
        }
        return TemplateResponse(request, "admin/allegro/categories/form_list.html", context)

    def edit_view(self, request, allegro_id: str):
        if not self.has_view_permission(request):
            raise PermissionDenied
        environment, app, _choices = pick_app(request, request.GET.get("env"))
        if app is None:
            self.message_user(request, gettext("Add an Allegro application first."), messages.ERROR)
            return redirect("admin:allegro_categoryform_changelist")
        can_change = self.has_change_permission(request)
        refresh = request.method == "POST" and "refresh" in request.POST
        if refresh and not can_change:
            raise PermissionDenied
        try:
            definitions = category_parameters_fetch(app=app, allegro_id=allegro_id, refresh=refresh)
            category = category_get(app=app, allegro_id=allegro_id)
        except AllegroError as exc:
            self.message_user(request, "; ".join(exc.user_messages), messages.ERROR)
            return redirect("admin:allegro_categoryform_changelist")
        form = CategoryForm.objects.filter(allegro_category_id=allegro_id).first()
        # The form keeps only the values shared by the offers; the product's own parameters are edited per product.
        shared = offer_definitions(definitions=definitions)
        shared_ids = {d.id for d in shared}
        values = [v for v in (form.values if form else []) if str(v.get("id")) in shared_ids]
        kept = [v for v in (form.values if form else []) if str(v.get("id")) not in shared_ids]
        errors: dict[str, list[str]] = {}
        status = 200
        if refresh:
            self.message_user(request, gettext("Parameters fetched from Allegro again."), messages.SUCCESS)
            return redirect(request.get_full_path())
        if request.method == "POST":
            if not can_change:
                raise PermissionDenied
            values = values_from_post(definitions=shared, data=request.POST)
            try:
                form = category_form_save(
                    allegro_category_id=allegro_id,
                    definitions=shared,
                    values=values,
                    category_path=category.path_label,
                    actor=request.user,
                    keep=kept,
                    require_if_outside=False,
                )
            except CategoryFormInvalid as exc:
                errors = exc.errors
                status = 400
                self.message_user(request, gettext("Please correct the errors below."), messages.ERROR)
            else:
                self.message_user(request, gettext("The category form is saved."), messages.SUCCESS)
                return redirect(request.get_full_path())
        environment_query = f"?env={environment}"
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Category form: %(category)s") % {"category": category.path_label},
            "opts": self.model._meta,
            "category": category,
            "form_obj": form,
            "fields": parameter_fields(
                definitions=shared,
                values=values,
                errors=errors,
                outside=frozenset(d.id for d in definitions if d.id not in shared_ids),
            ),
            "problems": category_form_problems_list(
                form=CategoryForm(allegro_category_id=allegro_id, values=values) if form else None, definitions=shared
            )
            if not errors
            else [],
            "other_errors": {k: v for k, v in errors.items() if k not in {d.id for d in definitions}},
            "has_errors": bool(errors),
            "can_change": can_change,
            "app": app,
            "environment": environment,
            "parameters_fetched_at": category.parameters_fetched_at,
            "products_url": reverse("admin:allegro_categoryform_products", args=[allegro_id]) + environment_query,
            "product_parameter_count": len(product_definitions(definitions=definitions)),
        }
        return TemplateResponse(request, "admin/allegro/categories/form.html", context, status=status)


# --------------------------------------------------------------------------------------------------------------
# Parameters that describe the product: on the product page (added with extend_admin) and for many products
# --------------------------------------------------------------------------------------------------------------
def _app_for(request) -> AllegroApp | None:
    account = account_current(request=request).account or account_default()
    return account.app if account is not None else AllegroApp.objects.order_by("pk").first()


@dataclass
class ProductParametersPanel:
    """What the product page's "Allegro: parameters of the product" box shows and edits."""

    message: str = ""
    allegro_id: str = ""
    category_label: str = ""
    definitions: list = field(default_factory=list)
    values: list[dict] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    can_change: bool = False
    bulk_url: str = ""

    outside: frozenset[str] = frozenset()

    @property
    def fields(self):
        return parameter_fields(
            definitions=self.definitions, values=self.values, errors=self.errors, outside=self.outside
        )

    @property
    def readonly_rows(self) -> list[tuple[str, str]]:
        by_id = {str(v["id"]): v for v in self.values}
        return [(p.label, parameter_value_as_text(definition=p, item=by_id.get(p.id))) for p in self.definitions]


def _panel(product: Product | None, app: AllegroApp | None, *, can_change: bool) -> ProductParametersPanel:
    if product is None or product.pk is None:
        return ProductParametersPanel(message=gettext("Save the product first; then its Allegro parameters show."))
    if app is None:
        return ProductParametersPanel(message=gettext("Add an Allegro application first."))
    allegro_id = allegro_category_id_get(category=product.category, app=app) if product.category_id else None
    if not allegro_id:
        return ProductParametersPanel(
            message=gettext(
                "The product's category is not mapped to an Allegro category yet (Przyporządkowania kategorii)."
            )
        )
    try:
        definitions = category_definitions_get(allegro_category_id=allegro_id, app=app) or []
    except AllegroError as exc:
        return ProductParametersPanel(message="; ".join(exc.user_messages))
    category = AllegroCategory.objects.filter(source=category_source_key(app=app), allegro_id=allegro_id).first()
    environment = mapping_environment_get(app=app)
    own = product_definitions(definitions=definitions)
    return ProductParametersPanel(
        allegro_id=allegro_id,
        category_label=category.path_label if category else allegro_id,
        definitions=own,
        outside=frozenset(p.id for p in category_parameters_parse(definitions)) - {p.id for p in own},
        values=product_parameters_values(product=product, allegro_category_id=allegro_id),
        can_change=can_change,
        bulk_url=reverse("admin:allegro_categoryform_products", args=[allegro_id]) + f"?env={environment}",
    )


class ProductParametersFormSet(BaseInlineFormSet):
    """No forms of its own: the panel's parameter fields travel in the product form's POST. ``clean`` checks them
    (an error stops the whole product save, so nothing is half saved) and ``save`` stores them."""

    app: AllegroApp | None = None
    can_change = False
    actor = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.panel = _panel(self.instance, self.app, can_change=self.can_change)

    def get_queryset(self):
        return self.model.objects.none()

    def _submitted(self) -> bool:
        return (
            self.is_bound
            and self.can_change
            and bool(self.panel.definitions)
            and bool(self.data.get(f"{self.prefix}-present"))
        )

    def clean(self):
        super().clean()
        if not self._submitted():
            return
        self.panel.values = values_from_post(definitions=self.panel.definitions, data=self.data)
        self.panel.errors = product_parameters_validate(definitions=self.panel.definitions, values=self.panel.values)
        if self.panel.errors:
            raise ValidationError(gettext("Correct the Allegro product parameters marked below."))

    def save(self, commit=True):
        saved = super().save(commit)  # no forms: nothing, but the admin's change message reads what it sets
        if self._submitted():
            product_parameters_save(
                product=self.instance,
                allegro_category_id=self.panel.allegro_id,
                definitions=self.panel.definitions,
                values=self.panel.values,
                actor=self.actor,
            )
        return saved


class ProductParametersInline(admin.StackedInline):
    model = ProductParameters
    fk_name = "product"
    formset = ProductParametersFormSet
    extra = 0
    max_num = 0
    can_delete = False
    fields = ()
    template = "admin/allegro/categories/product_parameters_inline.html"
    verbose_name = _("Allegro: parameters of the product")
    verbose_name_plural = _("Allegro: parameters of the product")

    class Media:
        css = {"all": ("allegro/categories.css",)}
        js = ("allegro/categories.js",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.app = _app_for(request)
        formset.can_change = request.user.has_perm("allegro.change_productparameters")
        formset.actor = request.user
        return formset


extend_admin(Product, inlines=[ProductParametersInline])


def _bulk_cells(data, table) -> dict[tuple[int, str], str]:
    cells = {}
    for row in table.rows:
        for param in table.definitions:
            name = f"cell-{row.product.pk}-{param.id}"
            if name in data:
                cells[(row.product.pk, param.id)] = data.get(name, "")
    return cells


def products_parameters_view(model_admin, request, allegro_id: str):
    """ "Parametry produktów": every product listed in one Allegro category, a row each with a cell per parameter
    that describes the product; cells are edited in place or pasted from a spreadsheet (tab-separated)."""
    if not request.user.has_perm("allegro.view_productparameters"):
        raise PermissionDenied
    can_change = request.user.has_perm("allegro.change_productparameters")
    environment, app, _choices = pick_app(request, request.GET.get("env"))
    if app is None:
        model_admin.message_user(request, gettext("Add an Allegro application first."), messages.ERROR)
        return redirect("admin:allegro_categoryform_changelist")
    try:
        definitions = category_definitions_get(allegro_category_id=allegro_id, app=app) or []
        category = category_get(app=app, allegro_id=allegro_id)
    except AllegroError as exc:
        model_admin.message_user(request, "; ".join(exc.user_messages), messages.ERROR)
        return redirect("admin:allegro_categoryform_changelist")
    paginator = Paginator(
        products_of_allegro_category(allegro_category_id=allegro_id, environment=environment).only("pk", "name", "sku"),
        BULK_PAGE_SIZE,
    )
    page = paginator.get_page(request.GET.get("page"))
    products = list(page.object_list)
    stored = dict(
        ProductParameters.objects.filter(allegro_category_id=allegro_id, product__in=products).values_list(
            "product_id", "values"
        )
    )
    table = product_parameters_table(products=products, definitions=definitions, stored=stored)
    status = 200
    pasted = ""
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        pasted = request.POST.get("pasted", "")
        table = product_parameters_table_read(table=table, cells=_bulk_cells(request.POST, table), pasted=pasted)
        try:
            changed = product_parameters_table_save(table=table, allegro_category_id=allegro_id, actor=request.user)
        except CategoryFormInvalid:
            status = 400
            model_admin.message_user(
                request, gettext("Please correct the errors below. Nothing was saved."), messages.ERROR
            )
        else:
            model_admin.message_user(
                request,
                ngettext("Parameters of %(count)s product saved.", "Parameters of %(count)s products saved.", changed)
                % {"count": changed},
                messages.SUCCESS,
            )
            return redirect(request.get_full_path())
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Product parameters: %(category)s") % {"category": category.path_label},
        "opts": model_admin.model._meta,
        "category": category,
        "table": table,
        "tsv": product_parameters_tsv(table=table),
        "pasted": pasted,
        "page": page,
        "can_change": can_change,
        "environment": environment,
    }
    return TemplateResponse(request, "admin/allegro/categories/product_parameters.html", context, status=status)
