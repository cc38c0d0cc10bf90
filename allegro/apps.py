from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AllegroConfig(AppConfig):
    name = "allegro"
    verbose_name = _("Allegro configuration")
