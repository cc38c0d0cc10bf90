from django.contrib.admin.apps import AdminConfig


class SellyAdminConfig(AdminConfig):
    default_site = "selly_allegro.admin_site.SellyAdminSite"
