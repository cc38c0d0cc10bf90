"""The Allegro app's Celery tasks, by room: Celery autodiscovers this module only."""

from allegro.accounts import tasks as accounts_tasks  # noqa: F401
from allegro.checkouts import tasks as checkouts_tasks  # noqa: F401
from allegro.core import tasks as core_tasks  # noqa: F401
from allegro.invoices import tasks as invoices_tasks  # noqa: F401
from allegro.listing import tasks as listing_tasks  # noqa: F401
from allegro.messages import tasks as messages_tasks  # noqa: F401
from allegro.offers import tasks as offers_tasks  # noqa: F401
from allegro.returns import tasks as returns_tasks  # noqa: F401
from allegro.shipments import tasks as shipments_tasks  # noqa: F401
from allegro.shipping import tasks as shipping_tasks  # noqa: F401
from allegro.sync import tasks as sync_tasks  # noqa: F401
