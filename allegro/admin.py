"""The Allegro app's admin pages, by room: Django's admin autodiscovery imports this module only."""

from allegro.accounts import admin as accounts_admin  # noqa: F401
from allegro.categories import admin as categories_admin  # noqa: F401
from allegro.checkouts import admin as checkouts_admin  # noqa: F401
from allegro.descriptions import admin as descriptions_admin  # noqa: F401
from allegro.invoices import admin as invoices_admin  # noqa: F401
from allegro.listing import admin as listing_admin  # noqa: F401
from allegro.messages import admin as messages_admin  # noqa: F401
from allegro.offers import admin as offers_admin  # noqa: F401
from allegro.returns import admin as returns_admin  # noqa: F401
from allegro.shipments import admin as shipments_admin  # noqa: F401
from allegro.shipping import admin as shipping_admin  # noqa: F401
from allegro.sync import admin as sync_admin  # noqa: F401
