"""WSGI entry point (gunicorn selly_allegro.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "selly_allegro.settings")
application = get_wsgi_application()
