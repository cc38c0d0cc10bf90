"""The admin site with the menu the shop owner knows: Sklep, Sprzedaż, Konfiguracja Allegro, System.

Django groups models by app; shop staff think in tasks, so a ModelAdmin may declare
``menu_group`` (one of MENU_GROUPS) and ``menu_order`` to move into another group.

Polish grammar: Django builds "Add %s", "Change %s", "Select %s to change" and the delete question from
the model's one ``verbose_name`` (a nominative), which reads "Dodaj aplikacja Allegro". Polish needs the
accusative there ("Dodaj aplikację Allegro"), so a ModelAdmin may declare ``verbose_name_accusative``
(a ``pgettext_lazy("accusative", ...)`` string); the third-party models' forms are in ACCUSATIVE below.
Every registered admin gets :class:`PolishGrammarMixin`, which puts that form into those titles and buttons.

The technical schedules (django-celery-beat) and login-throttling records (django-axes) are for
superusers only: they are not part of the shop's work and other staff neither see nor open them.
"""

from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

MENU_GROUPS = {
    "shop": (_("Shop"), 10),
    "sales": (_("Sales"), 20),
    "allegro": (_("Allegro configuration"), 30),
    "system": (_("System"), 90),
}
_DEFAULT_GROUP_BY_APP = {"shop": "shop", "orders": "sales", "allegro": "allegro"}
SUPERUSER_ONLY_APPS = {"django_celery_beat", "axes"}

# Accusative forms of the models whose admins are not ours (the ones equal to the nominative are left out).
ACCUSATIVE = {
    "auth.group": pgettext_lazy("accusative", "group"),
    "auth.user": pgettext_lazy("accusative", "user"),
    "axes.accessattempt": pgettext_lazy("accusative", "access attempt"),
    # the sync room's admin, named here so that room's page module stays as it is
    "allegro.accountpricerule": pgettext_lazy("accusative", "price rule"),
}


def accusative_name(model_admin: admin.ModelAdmin) -> str:
    """The model's name as the object of "Dodaj …", "Zmień …", "Usuń …" (its verbose_name when it has none)."""
    form = getattr(model_admin, "verbose_name_accusative", None) or ACCUSATIVE.get(model_admin.opts.label_lower)
    return str(form or model_admin.opts.verbose_name)


class PolishGrammarMixin:
    """Titles and buttons of the add, change, view, changelist and delete pages with the accusative form."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        name, accusative = str(self.opts.verbose_name), accusative_name(self)
        for pattern in ("Add %s", "Change %s", "View %s"):
            if context.get("title") == gettext(pattern) % name:
                context["title"] = gettext(pattern) % accusative
        context["verbose_name_accusative"] = accusative
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        name, accusative = str(self.opts.verbose_name), accusative_name(self)
        for pattern in ("Select %s", "Select %s to change", "Select %s to view"):
            if changelist.title == gettext(pattern) % name:
                changelist.title = gettext(pattern) % accusative
        changelist.verbose_name_accusative = accusative
        return changelist

    def delete_view(self, request, object_id, extra_context=None):
        extra_context = {"object_name": accusative_name(self), **(extra_context or {})}
        return super().delete_view(request, object_id, extra_context)


_PERMISSION_VERBS = {
    "add": _("Can add"),
    "change": _("Can change"),
    "delete": _("Can delete"),
    "view": _("Can view"),
}


def permission_label(permission) -> str:
    """A permission as staff read it: "Allegro | aplikacja Allegro (REST API) | Może dodawać". Django stores the
    default permissions' names in English in the database, so they are rebuilt from the codename here."""
    model = permission.content_type.model_class()
    if model is None:
        return str(permission)
    verb, _sep, model_name = permission.codename.partition("_")
    name = (
        str(_PERMISSION_VERBS[verb])
        if model_name == model._meta.model_name and verb in _PERMISSION_VERBS
        else gettext(permission.name)
    )
    return f"{apps.get_app_config(model._meta.app_label).verbose_name} | {model._meta.verbose_name} | {name}"


class PermissionLabelsMixin:
    """Permission pickers (users, groups) list the permissions in Polish."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.related_model._meta.label_lower == "auth.permission":
            field.queryset = field.queryset.select_related("content_type")
            field.label_from_instance = permission_label
        return field


class SuperuserOnlyMixin:
    """A third-party admin of technical records: superusers only, whatever permissions staff hold."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request, *args):
        return request.user.is_active and request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser and super().has_delete_permission(request, obj)


class SellyAdminSite(admin.AdminSite):
    site_header = _("Selly – shop panel")
    site_title = _("Selly panel")
    index_title = _("Dashboard")

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every admin gets the Polish grammar; the technical third-party apps are for superusers only."""
        admin_class = admin_class or admin.ModelAdmin
        models = [model_or_iterable] if isinstance(model_or_iterable, type) else list(model_or_iterable)
        mixins: tuple[type, ...] = (PolishGrammarMixin, PermissionLabelsMixin)
        if any(model._meta.app_label in SUPERUSER_ONLY_APPS for model in models):
            mixins = (SuperuserOnlyMixin, *mixins)
        if not issubclass(admin_class, PolishGrammarMixin):
            admin_class = type(admin_class.__name__, (*mixins, admin_class), {"__module__": admin_class.__module__})
        return super().register(model_or_iterable, admin_class, **options)

    def index(self, request, extra_context=None):
        """The dashboard: the Allegro accounts' state above the menu (for staff who may see accounts)."""
        extra_context = dict(extra_context or {})
        if request.user.has_perm("allegro.view_allegroaccount"):
            from allegro.dashboard.selectors import dashboard_accounts, dashboard_daily, dashboard_last_sync
            from allegro.dashboard.widgets import account_charts

            rows = dashboard_accounts()
            dashboard_daily(rows=rows)
            extra_context["allegro_dashboard"] = rows
            extra_context["allegro_charts"] = [(row, account_charts(row=row)) for row in rows]
            extra_context["allegro_last_sync"] = dashboard_last_sync()
        return super().index(request, extra_context)

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        if app_label:
            return apps
        groups: dict[str, dict] = {}
        for app in apps:
            for model in app["models"]:
                model_admin = self._registry.get(model["model"])
                key = getattr(model_admin, "menu_group", None) or _DEFAULT_GROUP_BY_APP.get(app["app_label"], "system")
                name, order = MENU_GROUPS[key]
                group = groups.setdefault(
                    key,
                    {
                        "name": name,
                        "app_label": app["app_label"] if key != "system" else "auth",
                        "app_url": app["app_url"],
                        "has_module_perms": True,
                        "models": [],
                        "_order": order,
                    },
                )
                model["_order"] = getattr(model_admin, "menu_order", 100)
                group["models"].append(model)
        result = sorted(groups.values(), key=lambda g: g["_order"])
        for group in result:
            group["models"].sort(key=lambda m: (m["_order"], str(m["name"])))
        return result
