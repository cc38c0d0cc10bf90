"""The admin site with the menu the shop owner knows: Sklep, Sprzedaż, Konfiguracja Allegro, System.

Django groups models by app; shop staff think in tasks, so a ModelAdmin may declare
``menu_group`` (one of MENU_GROUPS) and ``menu_order`` to move into another group.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

MENU_GROUPS = {
    "shop": (_("Shop"), 10),
    "sales": (_("Sales"), 20),
    "allegro": (_("Allegro configuration"), 30),
    "system": (_("System"), 90),
}
_DEFAULT_GROUP_BY_APP = {"shop": "shop", "orders": "sales", "allegro": "allegro"}


class SellyAdminSite(admin.AdminSite):
    site_header = _("Selly – shop panel")
    site_title = _("Selly panel")
    index_title = _("Dashboard")

    def index(self, request, extra_context=None):
        """The dashboard: the Allegro accounts' state above the menu (for staff who may see accounts)."""
        extra_context = dict(extra_context or {})
        if request.user.has_perm("allegro.view_allegroaccount"):
            from allegro.dashboard.selectors import dashboard_accounts, dashboard_last_sync

            extra_context["allegro_dashboard"] = dashboard_accounts()
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
