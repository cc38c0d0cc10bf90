from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from shop.services.demo import demo_catalogue_seed


class Command(BaseCommand):
    help = "Load the Polish demo catalogue (idempotent) and, with DEBUG on, the admin/admin superuser."

    def add_arguments(self, parser):
        parser.add_argument("--no-images", action="store_true", help="Skip generating product images.")

    def handle(self, *args, **options):
        counts = demo_catalogue_seed(with_images=not options["no_images"])
        self.stdout.write(
            "Demo catalogue: +{categories} categories, +{products} products, +{images} images, "
            "+{delivery_methods} delivery methods".format(**counts)
        )
        if settings.DEBUG:
            user_model = get_user_model()
            if not user_model.objects.filter(username="admin").exists():
                user_model.objects.create_superuser("admin", "admin@example.com", "admin")
                self.stdout.write("Superuser admin / admin created (DEBUG only).")
        else:
            self.stdout.write("DEBUG is off: no demo superuser created.")
        for hook in _extra_seeders():
            self.stdout.write(hook())


def _extra_seeders():
    """Other apps add demo data (e.g. the Allegro emulator account) through ``seed_demo_hooks``."""
    from django.apps import apps

    hooks = []
    for config in apps.get_app_configs():
        hook = getattr(config, "seed_demo", None)
        if callable(hook):
            hooks.append(hook)
    return hooks
