"""Admin of Allegro categories: "Przyporządkowania kategorii" (shop tree → Allegro leaf, with the
lazy tree browser) and "Formularze kategorii" (common parameter values of a mapped Allegro category).
Imported at the bottom of allegro/admin.py."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from allegro.accounts.models import AllegroApp
from allegro.accounts.selectors import account_current
from allegro.categories.forms import parameter_fields, values_from_post
from allegro.categories.models import CategoryForm, CategoryMapping, MappingEnvironment
from allegro.categories.selectors import category_mapping_rows, mapped_allegro_categories, mapping_environment
from allegro.categories.services.categories import (
    category_get,
    category_mapping_clear,
    category_mapping_set,
    category_parameters,
)
from allegro.categories.services.category_forms import CategoryFormInvalid, category_form_problems, category_form_save
from allegro.integration.client import AllegroError
from shop.models import Category


def pick_app(request, environment: str | None = None) -> tuple[str, AllegroApp | None, list[tuple[str, str]]]:
    """The environment to work in and the app used to browse Allegro: ``?env=`` or the current account's app's,
    the current account's app when it belongs to that environment, else the first app of it."""
    apps = list(AllegroApp.objects.order_by("pk"))
    current = account_current(request=request).account
    current_app = next((a for a in apps if current and a.pk == current.app_id), None)
    if environment not in MappingEnvironment.values:
        environment = mapping_environment(current_app or apps[0]) if apps else MappingEnvironment.PRODUCTION
    app = current_app if current_app and mapping_environment(current_app) == environment else None
    app = app or next((a for a in apps if mapping_environment(a) == environment), None)
    available = {mapping_environment(a) for a in apps} | {MappingEnvironment.PRODUCTION, environment}
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
        rows = category_mapping_rows(environment=environment, unmapped_only=unmapped_only)
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
            "groups": mapped_allegro_categories(environment=environment),
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
            definitions = category_parameters(app=app, allegro_id=allegro_id, refresh=refresh)
            category = category_get(app=app, allegro_id=allegro_id)
        except AllegroError as exc:
            self.message_user(request, "; ".join(exc.user_messages), messages.ERROR)
            return redirect("admin:allegro_categoryform_changelist")
        form = CategoryForm.objects.filter(allegro_category_id=allegro_id).first()
        values = form.values if form else []
        errors: dict[str, list[str]] = {}
        status = 200
        if refresh:
            self.message_user(request, gettext("Parameters fetched from Allegro again."), messages.SUCCESS)
            return redirect(request.get_full_path())
        if request.method == "POST":
            if not can_change:
                raise PermissionDenied
            values = values_from_post(definitions=definitions, data=request.POST)
            try:
                form = category_form_save(
                    allegro_category_id=allegro_id,
                    definitions=definitions,
                    values=values,
                    category_path=category.path_label,
                    actor=request.user,
                )
            except CategoryFormInvalid as exc:
                errors = exc.errors
                status = 400
                self.message_user(request, gettext("Please correct the errors below."), messages.ERROR)
            else:
                self.message_user(request, gettext("The category form is saved."), messages.SUCCESS)
                return redirect(request.get_full_path())
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Category form: %(category)s") % {"category": category.path_label},
            "opts": self.model._meta,
            "category": category,
            "form_obj": form,
            "fields": parameter_fields(definitions=definitions, values=values, errors=errors),
            "problems": category_form_problems(form=form, definitions=definitions) if not errors else [],
            "other_errors": {k: v for k, v in errors.items() if k not in {str(d["id"]) for d in definitions}},
            "has_errors": bool(errors),
            "can_change": can_change,
            "app": app,
            "environment": environment,
            "parameters_fetched_at": category.parameters_fetched_at,
        }
        return TemplateResponse(request, "admin/allegro/categories/form.html", context, status=status)
