"""Reply templates: placeholders filled from the thread's order when staff pick a template."""

from __future__ import annotations

import re

from allegro.messages.models import MessageThread, ReplyTemplate

PLACEHOLDER = re.compile(r"\{(\w+)\}")
# The buyer's purchase page on Allegro: it shows the parcel's tracking for every carrier.
PURCHASE_PAGE = "https://allegro.pl/moje-allegro/zakupy/kupione/{checkout_form_id}"


def thread_placeholders(*, thread: MessageThread) -> dict[str, str]:
    """What the placeholders stand for in this thread (empty where the thread has no order or parcel)."""
    checkout = thread.checkout
    order = checkout.order if checkout is not None else None
    tracking = order.tracking_number if order is not None else ""
    if not tracking and checkout is not None:
        shipment = checkout.shipments.order_by("-created_at").first()
        tracking = shipment.waybill if shipment is not None else ""
    form_id = thread.checkout_form_id or (checkout.checkout_form_id if checkout is not None else "")
    return {
        "order_number": order.number if order is not None else "",
        "tracking_number": tracking,
        "tracking_link": PURCHASE_PAGE.format(checkout_form_id=form_id) if form_id and tracking else "",
        "buyer_login": thread.interlocutor_login,
    }


def reply_template_render(*, template: ReplyTemplate, thread: MessageThread) -> str:
    """The template's text for this thread. A placeholder with nothing to stand for here (no order yet, no
    parcel) or an unknown one is left as written, so staff see it and the reply is refused until they fill it."""
    values = thread_placeholders(thread=thread)
    return PLACEHOLDER.sub(lambda m: values.get(m[1]) or m[0], template.text)


def unfilled_placeholders(text: str) -> list[str]:
    """The known placeholders still in a text (a template picked where the thread has no order or parcel)."""
    known = {"order_number", "tracking_number", "tracking_link", "buyer_login"}
    return sorted({m[1] for m in PLACEHOLDER.finditer(text) if m[1] in known})
