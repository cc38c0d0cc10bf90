"""Domain signals of orders; integrations listen (e.g. to send a status back to a marketplace).

``order_status_changed``: sent on commit with ``order_id``, ``from_status``, ``to_status``, ``actor_id``
and ``origin`` (who asked: "panel", or the integration's own name so it can ignore its own echo).
"""

from django.dispatch import Signal

order_status_changed = Signal()
