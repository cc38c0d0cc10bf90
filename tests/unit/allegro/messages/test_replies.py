"""Replies checked as Allegro checks them, templates' placeholders, and Allegro's untidy message payloads."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from allegro.checkouts.models import AllegroCheckout
from allegro.integration.schemas.messaging import Message, ThreadList
from allegro.messages.models import MessageReply, MessageThread, ReplyTemplate
from allegro.messages.services.replies import MAX_ATTACHMENT_BYTES, ReplyFile, _matches, reply_file_check
from allegro.messages.services.templates import reply_template_render, unfilled_placeholders
from orders.models import Order

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 10


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("zdjęcie.PNG", PNG, "image/png"),
        ("skan.pdf", b"%PDF-1.7\n...", "application/pdf"),
        ("foto.jpeg", b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        ("obraz.tif", b"II*\x00rest", "image/tiff"),
    ],
)
def test_files_allegro_takes_get_their_content_type(name, content, expected):
    assert reply_file_check(file=ReplyFile(name=name, content=content)) == expected


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("program.exe", b"MZ", "PNG, GIF, BMP, TIFF, JPEG"),
        ("bez-rozszerzenia", PNG, "PNG, GIF, BMP, TIFF, JPEG"),
        ("pusty.png", b"", "empty"),
        ("udaje.png", b"%PDF-1.4", "not a PNG file"),
        ("duzy.png", PNG + b"\x00" * MAX_ATTACHMENT_BYTES, "5 MB"),
    ],
)
def test_files_allegro_refuses_are_refused_before_anything_is_sent(name, content, message):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        reply_file_check(file=ReplyFile(name=name, content=content))
    assert message in " ".join(refused.value.messages)


def _thread(**order_fields) -> MessageThread:
    thread = MessageThread(interlocutor_login="kupujacy-1", checkout_form_id="c0ffee00-0000-4000-8000-000000000001")
    if order_fields:
        thread.checkout = AllegroCheckout(
            checkout_form_id=thread.checkout_form_id, order=Order(number="2026/000042", **order_fields)
        )
    return thread


def test_a_template_is_filled_from_the_threads_order():
    template = ReplyTemplate(
        text="Zamówienie {order_number}, przesyłka {tracking_number}: {tracking_link}. {buyer_login}"
    )
    text = reply_template_render(template=template, thread=_thread(tracking_number="6800123"))
    assert text == (
        "Zamówienie 2026/000042, przesyłka 6800123: "
        "https://allegro.pl/moje-allegro/zakupy/kupione/c0ffee00-0000-4000-8000-000000000001. kupujacy-1"
    )
    assert unfilled_placeholders(text) == []


def test_placeholders_without_a_value_stay_visible_and_block_the_reply():
    template = ReplyTemplate(text="Numer {order_number}, śledzenie {tracking_link}, {nieznane}")
    text = reply_template_render(template=template, thread=MessageThread(interlocutor_login="k"))
    assert text == "Numer {order_number}, śledzenie {tracking_link}, {nieznane}"
    assert unfilled_placeholders(text) == ["order_number", "tracking_link"]


def test_message_payloads_tolerate_nulls_and_missing_keys():
    message = Message.model_validate(
        {
            "id": "m1",
            "author": {"login": "k", "isInterlocutor": True},
            "text": "Hej",
            "subject": None,
            "relatesTo": {"offer": None, "order": None},
            "attachments": [{"fileName": "a.pdf", "status": "SAFE", "mimeType": None}],
            "unknownKey": 1,
        }
    )
    assert message.subject == "" and message.relatesTo.order is None and message.attachments[0].mimeType == ""
    threads = ThreadList.model_validate({"threads": [{"id": "t1", "read": False, "interlocutor": None}]})
    assert threads.threads[0].interlocutor.login == ""


def test_the_read_back_matches_only_our_unclaimed_message_with_the_same_text_and_files():
    reply = MessageReply(text="Wysłane.\r\nPozdrawiamy")
    ours = Message.model_validate(
        {"id": "m1", "author": {"isInterlocutor": False}, "text": "Wysłane.\nPozdrawiamy ", "attachments": [{}]}
    )
    assert _matches(ours, reply, 1, claimed=set())
    assert not _matches(ours, reply, 0, claimed=set())  # another number of attachments
    assert not _matches(ours, reply, 1, claimed={"m1"})  # another reply's message
    buyers = ours.model_copy(update={"author": ours.author.model_copy(update={"isInterlocutor": True})})
    assert not _matches(buyers, reply, 1, claimed=set())
