"""Buyer messages against the emulator: the polled import (nothing twice), replies with attachments sent
Allegro's way, a reply retried after a timeout posted once, the inbox pages and their query counts."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import allegro.integration.client
from allegro.checkouts.models import OrderEventCursor
from allegro.checkouts.services.order_import import order_import_new_events
from allegro.integration.client import AllegroRetryLater
from allegro.messages.models import Message, MessageCursor, MessageReply, MessageThread, ReplyState, ReplyTemplate
from allegro.messages.services.importing import messages_import_account
from allegro.messages.services.replies import ReplyFile, message_reply_create, message_reply_send
from orders.models import Order
from tests.emulator_support import make_offer
from tests.factories import make_product

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 200
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


def buyer_writes(emulator, text="Dzień dobry, kiedy wyślecie paczkę?", **extra) -> dict:
    return emulator.post("messages", {"buyer_login": "kupujacy-anna", "text": text, **extra})


def sent_by_seller(emulator, thread_id: str) -> list[dict]:
    return [m for m in emulator.get(f"messages?thread_id={thread_id}")["messages"] if not m["from_buyer"]]


def test_a_buyers_message_is_one_thread_with_one_message_after_two_polls(emulator, connected_account):
    written = buyer_writes(emulator)
    first = messages_import_account(account=connected_account)
    second = messages_import_account(account=connected_account)

    assert (first.threads, first.messages) == (1, 1)
    assert second.messages == 0
    thread = MessageThread.objects.get()
    assert thread.allegro_id == written["thread_id"] and thread.interlocutor_login == "kupujacy-anna"
    assert thread.messages.count() == 1 and Message.objects.count() == 1
    assert thread.read is False and thread.awaiting_reply is True and thread.last_buyer_message_at is not None
    message = thread.messages.get()
    assert message.allegro_id == written["message_id"] and message.from_buyer
    assert MessageCursor.objects.get(account=connected_account).last_message_at is not None


def test_later_messages_join_their_thread_and_a_repeated_poll_after_a_lost_cursor_adds_nothing(
    emulator, connected_account
):
    buyer_writes(emulator)
    messages_import_account(account=connected_account)
    buyer_writes(emulator, text="Halo?")
    buyer_writes(emulator, text="Pytanie od kogoś innego", buyer_login="kupujacy-jan")
    result = messages_import_account(account=connected_account)
    assert (result.threads, result.messages) == (2, 2)
    # A poll that died before moving its cursor is repeated from the old cursor: the unique keys keep one copy.
    MessageCursor.objects.update(last_message_at=None)
    again = messages_import_account(account=connected_account)
    assert again.messages == 0
    assert MessageThread.objects.count() == 2 and Message.objects.count() == 3
    anna = MessageThread.objects.get(interlocutor_login="kupujacy-anna")
    assert anna.last_text == "Halo?"


def test_a_thread_about_an_order_is_linked_to_the_order_and_its_customer(emulator, connected_account):
    make_product(sku="SKU-M", stock=5)
    offer = make_offer(emulator, external_id="SKU-M", stock=10)
    OrderEventCursor.objects.create(account=connected_account, last_event_id="0")
    form = emulator.post("purchases", {"offer_id": offer})["checkout_form"]
    order_import_new_events(account=connected_account)
    order = Order.objects.get()
    emulator.post("messages", {"order_id": form["id"], "text": "Czy mogę zmienić adres?"})

    messages_import_account(account=connected_account)
    thread = MessageThread.objects.get()
    assert thread.interlocutor_login == form["buyer"]["login"]
    assert thread.checkout_form_id == form["id"]
    assert thread.checkout.order_id == order.pk and thread.customer_id == order.customer_id


def test_a_reply_with_an_attachment_reaches_the_buyer_and_marks_the_thread_read(emulator, connected_account):
    written = buyer_writes(emulator)
    messages_import_account(account=connected_account)
    thread = MessageThread.objects.get()
    reply = message_reply_create(
        thread=thread,
        text="Paczka wyszła dziś, w załączniku faktura.",
        files=[ReplyFile(name="faktura.pdf", content=PDF), ReplyFile(name="zdjecie.png", content=PNG)],
    )
    reply = message_reply_send(reply=reply)

    assert reply.state == ReplyState.SENT and reply.allegro_message_id
    ours = sent_by_seller(emulator, written["thread_id"])
    assert len(ours) == 1 and ours[0]["id"] == reply.allegro_message_id
    assert sorted((a["fileName"], a["size"]) for a in ours[0]["attachments"]) == [
        ("faktura.pdf", len(PDF)),
        ("zdjecie.png", len(PNG)),
    ]
    thread.refresh_from_db()
    assert thread.read is True and thread.awaiting_reply is False
    assert thread.messages.filter(from_buyer=False).count() == 1
    # The next poll finds our message already stored.
    assert messages_import_account(account=connected_account).messages == 0
    assert thread.messages.count() == 2


def test_a_reply_retried_after_a_timeout_appears_once(emulator, connected_account, monkeypatch):
    """The POST reached Allegro but its answer did not reach us: the retry reads the thread back and finds it."""
    written = buyer_writes(emulator)
    messages_import_account(account=connected_account)
    thread = MessageThread.objects.get()
    reply = message_reply_create(thread=thread, text="Wysłane kurierem.", files=[ReplyFile(name="a.png", content=PNG)])
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 0.5)
    emulator.add_fault(r"^/messaging/threads/[^/]+/messages$", method="POST", delay_ms=1500, times=1)
    with pytest.raises(AllegroRetryLater):
        message_reply_send(reply=reply)
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENDING and reply.attempted_at is not None
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 30)
    time.sleep(1.2)  # the delayed POST finishes on the emulator's side
    retried = message_reply_send(reply=reply)
    again = message_reply_send(reply=reply)

    ours = sent_by_seller(emulator, written["thread_id"])
    assert len(ours) == 1
    assert retried.state == ReplyState.SENT and retried.allegro_message_id == ours[0]["id"]
    assert again.allegro_message_id == ours[0]["id"]
    posts = [r for r in emulator.requests() if r["method"] == "POST" and r["path"].endswith("/messages")]
    assert len(posts) == 1


def test_a_reply_whose_post_never_arrived_is_sent_on_retry(emulator, connected_account):
    written = buyer_writes(emulator)
    messages_import_account(account=connected_account)
    thread = MessageThread.objects.get()
    reply = message_reply_create(thread=thread, text="Dziękujemy za zakup!")
    emulator.add_fault(r"^/messaging/threads/[^/]+/messages$", method="POST", status=503, times=1)
    with pytest.raises(AllegroRetryLater):
        message_reply_send(reply=reply)
    assert sent_by_seller(emulator, written["thread_id"]) == []
    sent = message_reply_send(reply=reply)
    assert sent.state == ReplyState.SENT
    assert [m["text"] for m in sent_by_seller(emulator, written["thread_id"])] == ["Dziękujemy za zakup!"]


def test_the_inbox_lists_threads_in_a_fixed_number_of_queries(
    emulator, connected_account, staff_client, django_assert_max_num_queries
):
    for n in range(12):
        buyer_writes(emulator, text=f"Pytanie {n}", buyer_login=f"kupujacy-{n}")
    messages_import_account(account=connected_account)
    url = reverse("admin:allegro_messagethread_changelist")
    staff_client.get(url)  # warm the per-process caches (session, content types, the background-work banner)
    with django_assert_max_num_queries(9) as queries:
        page = staff_client.get(url)
    assert page.status_code == 200, [q["sql"] for q in queries.captured_queries]
    html = page.content.decode()
    assert "kupujacy-11" in html and "Pytanie 11" in html
    assert 'id="unread-messages"' in html
    only = staff_client.get(url, {"account__id__exact": connected_account.pk, "read__exact": "0"})
    assert only.status_code == 200 and "kupujacy-3" in only.content.decode()


def test_the_thread_page_shows_the_conversation_fills_a_template_and_sends_a_reply(
    emulator, connected_account, staff_client, django_capture_on_commit_callbacks
):
    written = buyer_writes(emulator)
    messages_import_account(account=connected_account)
    thread = MessageThread.objects.get()
    template = ReplyTemplate.objects.create(name="Podziękowanie", text="Dziękujemy, {buyer_login}!")
    url = reverse("admin:allegro_messagethread_thread", args=[thread.pk])
    page = staff_client.get(url, {"template": template.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Dzień dobry, kiedy wyślecie paczkę?" in html and "Dziękujemy, kupujacy-anna!" in html

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:allegro_messagethread_reply", args=[thread.pk]),
            {"text": "Dziękujemy, kupujacy-anna!", "files": [SimpleUploadedFile("a.png", PNG, "image/png")]},
        )
    assert response.status_code == 302
    assert MessageReply.objects.get().state == ReplyState.SENT
    assert [m["text"] for m in sent_by_seller(emulator, written["thread_id"])] == ["Dziękujemy, kupujacy-anna!"]


def test_a_refused_file_or_an_unfilled_placeholder_sends_nothing(emulator, connected_account, staff_client):
    written = buyer_writes(emulator)
    messages_import_account(account=connected_account)
    thread = MessageThread.objects.get()
    url = reverse("admin:allegro_messagethread_reply", args=[thread.pk])
    exe = staff_client.post(url, {"text": "Proszę", "files": [SimpleUploadedFile("program.exe", b"MZ", "x")]})
    fake = staff_client.post(url, {"text": "Proszę", "files": [SimpleUploadedFile("zdjecie.png", PDF, "image/png")]})
    unfilled = staff_client.post(url, {"text": "Numer zamówienia: {order_number}"})
    assert exe.status_code == fake.status_code == unfilled.status_code == 200
    assert "PNG, GIF, BMP, TIFF, JPEG" in exe.content.decode()
    assert "zdjecie.png" in fake.content.decode()
    assert "{order_number}" in unfilled.content.decode()
    assert MessageReply.objects.count() == 0
    assert sent_by_seller(emulator, written["thread_id"]) == []


def test_mark_read_from_the_thread_page(emulator, connected_account, staff_client):
    written = buyer_writes(emulator)
    messages_import_account(account=connected_account)
    thread = MessageThread.objects.get()
    response = staff_client.post(reverse("admin:allegro_messagethread_read", args=[thread.pk]))
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.read is True
    token = emulator.user_token()["access_token"]
    got = emulator.api(token).get(emulator.url(f"/messaging/threads/{written['thread_id']}")).json()
    assert got["read"] is True


def test_staff_without_the_reply_permission_cannot_reply(emulator, connected_account, client, django_user_model):
    from django.contrib.auth.models import Permission

    buyer_writes(emulator)
    messages_import_account(account=connected_account)
    thread = MessageThread.objects.get()
    viewer = django_user_model.objects.create_user("ogladacz", password="x", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_messagethread"))
    client.force_login(viewer)
    assert client.get(reverse("admin:allegro_messagethread_thread", args=[thread.pk])).status_code == 200
    refused = client.post(reverse("admin:allegro_messagethread_reply", args=[thread.pk]), {"text": "x"})
    assert refused.status_code == 403 and MessageReply.objects.count() == 0


def test_the_dashboard_and_the_header_show_unread_threads(emulator, connected_account, admin_client):
    buyer_writes(emulator)
    buyer_writes(emulator, text="Drugi kupujący", buyer_login="kupujacy-jan")
    messages_import_account(account=connected_account)
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert f'id="dashboard-messages-{connected_account.pk}"' in html
    assert "2 nieprzeczytane wątki wiadomości" in html
    assert '<span class="allegro-badge">2</span>' in html
    MessageThread.objects.update(read=True, awaiting_reply=False)
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert f'id="dashboard-messages-{connected_account.pk}"' not in html


def test_check_for_new_messages_imports_now_and_returns_to_the_inbox(emulator, connected_account, staff_client):
    buyer_writes(emulator)
    inbox = reverse("admin:allegro_messagethread_changelist") + "?read__exact=0"
    response = staff_client.post(
        reverse("admin:allegro_messagethread_check"), {"account": connected_account.pk, "next": inbox}
    )
    assert response.status_code == 302 and response["Location"] == inbox
    assert MessageThread.objects.count() == 1
    elsewhere = staff_client.post(reverse("admin:allegro_messagethread_check"), {"next": "https://example.com/"})
    assert elsewhere["Location"] == reverse("admin:allegro_messagethread_changelist")


def test_a_worker_killed_right_after_the_post_does_not_send_twice(emulator, connected_account):
    """The state a killed worker leaves: ``attempted_at`` committed, the message on Allegro, no id stored."""
    from django.utils import timezone

    written = buyer_writes(emulator)
    messages_import_account(account=connected_account)
    reply = message_reply_create(thread=MessageThread.objects.get(), text="Odpowiedź sprzed awarii")
    MessageReply.objects.filter(pk=reply.pk).update(attempted_at=timezone.now(), state=ReplyState.SENDING)
    token = emulator.user_token()["access_token"]
    session = emulator.api(token)
    session.headers["Content-Type"] = "application/vnd.allegro.public.v1+json"
    posted = session.post(
        emulator.url(f"/messaging/threads/{written['thread_id']}/messages"), json={"text": "Odpowiedź sprzed awarii"}
    ).json()

    resumed = message_reply_send(reply=reply)
    assert resumed.state == ReplyState.SENT and resumed.allegro_message_id == posted["id"]
    assert len(sent_by_seller(emulator, written["thread_id"])) == 1
