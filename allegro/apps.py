from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AllegroConfig(AppConfig):
    name = "allegro"
    verbose_name = _("Allegro configuration")

    def ready(self) -> None:
        from allegro.core.schedules import schedules_install

        post_migrate.connect(_install_schedules, sender=self, dispatch_uid="allegro_schedules")
        self._schedules_install = schedules_install

    def seed_demo(self) -> str:
        from allegro.accounts.services.demo import demo_allegro_seed

        return demo_allegro_seed()


def _install_schedules(sender, **kwargs) -> None:
    sender._schedules_install()
