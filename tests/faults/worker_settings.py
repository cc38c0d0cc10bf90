"""Settings of the Celery worker and beat the fault tests start: the test settings, with real queues instead of
eager tasks, and short leases so a dead holder is taken over within seconds instead of half a minute (the
mechanism is the same at any length; the suite has to stay short)."""

from selly_allegro.settings_test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
ALLEGRO_LEASE_SECONDS = 8
ALLEGRO_429_WAIT_SECONDS = 1.0
ALLEGRO_COMMAND_WAIT_SECONDS = 60
# A few threads, so a mass listing of twenty products takes long enough for a kill to land in the middle.
ALLEGRO_LISTING_THREADS = 2
