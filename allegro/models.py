"""Every model of the Allegro app, by room.

Django finds an app's models through this module; each room keeps its own in ``<room>/models.py``.
Import models from their room, not from here.
"""

from allegro.accounts.models import (  # noqa: F401
    AllegroAccount,
    AllegroApp,
    ConnectionState,
    Duration,
    Environment,
    HandlingTime,
    InvoiceType,
    Province,
)
from allegro.categories.models import (  # noqa: F401
    AllegroCategory,
    AllegroCategoryLevel,
    CategoryForm,
    CategoryMapping,
    MappingEnvironment,
    ProductParameters,
)
from allegro.checkouts.models import (  # noqa: F401
    AllegroCheckout,
    AllegroShipment,
    CheckoutQuarantine,
    CreateOrdersAt,
    CustomerAllegroIdentity,
    OrderEventCursor,
)
from allegro.core.models import (  # noqa: F401
    EventKind,
    EventLogEntry,
    Lease,
    RateLimitSlot,
    WorkerHeartbeat,
)
from allegro.descriptions.models import (  # noqa: F401 - empty_description is named by migrations
    CategoryDescriptionTemplate,
    DescriptionTemplate,
    ProductAllegroDescription,
    empty_description,
)
from allegro.invoices.models import (  # noqa: F401
    InvoiceSeller,
    InvoiceSequence,
    InvoiceSource,
    InvoiceState,
    OrderInvoice,
)
from allegro.listing.models import (  # noqa: F401
    ListingJob,
    ListingJobItem,
)
from allegro.messages.models import (  # noqa: F401
    Issue,
    IssueReply,
    IssueStatus,
    IssueType,
    Message,
    MessageCursor,
    MessageReply,
    MessageThread,
    ReplyAttachment,
    ReplyState,
    ReplyTemplate,
)
from allegro.offers.models import (  # noqa: F401
    Offer,
    OfferFormat,
    OfferStatus,
    PromotionCommand,
)
from allegro.returns.models import (  # noqa: F401
    CustomerReturn,
    CustomerReturnItem,
    Refund,
    RefundClaim,
    ReturnsCursor,
)
from allegro.shipments.models import (  # noqa: F401
    PackageTemplate,
    ShipmentJob,
    ShipmentJobItem,
    ShipmentMethodSetting,
    ShipmentPickup,
    ShipmentSender,
    SwaShipment,
)
from allegro.shipping.models import (  # noqa: F401
    AllegroDeliveryMethod,
    CategoryShippingRates,
    DeliveryMethodMapping,
    PaymentPolicy,
    ProductShippingRates,
    ShippingRate,
    ShippingRateSet,
)
from allegro.sync.models import (  # noqa: F401
    AccountPriceRule,
    OfferSyncQueue,
    PriceRounding,
    SyncCommand,
    SyncCursor,
    SyncJob,
    SyncJobAccount,
    SyncMarker,
    SyncRun,
)
