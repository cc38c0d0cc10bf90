"""Message Center in the emulator: buyers write through the control API, the seller reads, marks read and
replies with attachments the way Allegro takes them (declare, upload, send), refused as Allegro refuses."""

import pytest

from tests.integration.conftest import PUBLIC

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def api(emulator):
    session = emulator.api(emulator.user_token()["access_token"], lang="pl-PL")
    session.headers["Content-Type"] = PUBLIC
    return session


def _buyer_writes(emulator, text="Dzień dobry, kiedy wysyłka?", **extra):
    return emulator.post("messages", {"buyer_login": "kupujacy-1", "text": text, **extra})


def _upload(emulator, api, *, filename="paragon.png", data=PNG, content_type="image/png"):
    declared = api.post(emulator.url("/messaging/message-attachments"), json={"filename": filename, "size": len(data)})
    assert declared.status_code == 201, declared.text
    att_id = declared.json()["id"]
    put = api.put(
        emulator.url(f"/messaging/message-attachments/{att_id}"), data=data, headers={"Content-Type": content_type}
    )
    return att_id, put


def test_a_buyers_messages_open_one_unread_thread_listed_newest_first(emulator, api):
    first = _buyer_writes(emulator)
    second = _buyer_writes(emulator, text="Halo?")
    assert first["thread_id"] == second["thread_id"]
    _buyer_writes(emulator, text="Inny kupujący", buyer_login="kupujacy-2")

    threads = api.get(emulator.url("/messaging/threads")).json()
    assert [t["interlocutor"]["login"] for t in threads["threads"]] == ["kupujacy-2", "kupujacy-1"]
    assert threads["threads"][1]["read"] is False
    messages = api.get(emulator.url(f"/messaging/threads/{first['thread_id']}/messages")).json()["messages"]
    assert [m["text"] for m in messages] == ["Halo?", "Dzień dobry, kiedy wysyłka?"]
    assert messages[0]["author"] == {"login": "kupujacy-1", "isInterlocutor": True}
    one = api.get(emulator.url(f"/messaging/messages/{messages[1]['id']}")).json()
    assert one["text"] == "Dzień dobry, kiedy wysyłka?"
    after = api.get(
        emulator.url(f"/messaging/threads/{first['thread_id']}/messages"), params={"after": messages[1]["createdAt"]}
    ).json()["messages"]
    assert [m["text"] for m in after] == ["Halo?"]


def test_marking_read_and_a_new_buyer_message_makes_it_unread_again(emulator, api):
    thread_id = _buyer_writes(emulator)["thread_id"]
    marked = api.put(emulator.url(f"/messaging/threads/{thread_id}/read"), json={"read": True})
    assert marked.status_code == 200 and marked.json()["read"] is True
    assert api.get(emulator.url(f"/messaging/threads/{thread_id}")).json()["read"] is True
    _buyer_writes(emulator, text="Jeszcze jedno")
    assert api.get(emulator.url(f"/messaging/threads/{thread_id}")).json()["read"] is False


def test_a_reply_with_an_uploaded_attachment_reaches_the_buyer(emulator, api):
    thread_id = _buyer_writes(emulator)["thread_id"]
    att_id, put = _upload(emulator, api)
    assert put.status_code == 200 and put.json() == {"id": att_id}
    sent = api.post(
        emulator.url(f"/messaging/threads/{thread_id}/messages"),
        json={"text": "Wysłane, w załączniku paragon.", "attachments": [{"id": att_id}]},
    )
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert body["author"]["isInterlocutor"] is False and body["attachments"][0]["fileName"] == "paragon.png"
    seen = emulator.get(f"messages?thread_id={thread_id}")["messages"]
    assert [(m["from_buyer"], len(m["attachments"])) for m in seen] == [(True, 0), (False, 1)]
    assert seen[1]["attachments"][0]["size"] == len(PNG)
    # An attachment goes with one message only.
    again = api.post(
        emulator.url(f"/messaging/threads/{thread_id}/messages"),
        json={"text": "Raz jeszcze", "attachments": [{"id": att_id}]},
    )
    assert again.status_code == 422 and again.json()["errors"][0]["path"] == "attachments[0].id"
    download = emulator.http.get(
        emulator.url(f"/messaging/message-attachments/{att_id}"),
        headers={"Authorization": api.headers["Authorization"], "Accept": "*/*"},
        timeout=10,
    )
    assert download.status_code == 200 and download.content == PNG


@pytest.mark.parametrize(
    ("body", "status", "path"),
    [
        ({"text": "x" * 2001}, 422, "text"),
        ({"text": "   "}, 422, "text"),
        ({"text": 5}, 400, None),
        ({"text": "ok", "attachments": [{"id": "nie-ma-takiego"}]}, 422, "attachments[0].id"),
    ],
)
def test_replies_are_refused_as_allegro_refuses_them(emulator, api, body, status, path):
    thread_id = _buyer_writes(emulator)["thread_id"]
    answer = api.post(emulator.url(f"/messaging/threads/{thread_id}/messages"), json=body)
    assert answer.status_code in ((400, 422) if status == 400 else (status,)), answer.text
    if path:
        assert path in [e["path"] for e in answer.json()["errors"]]
    assert len(emulator.get(f"messages?thread_id={thread_id}")["messages"]) == 1


def test_attachments_are_checked_when_declared_and_uploaded(emulator, api):
    url = emulator.url("/messaging/message-attachments")
    assert api.post(url, json={"filename": "wirus.exe", "size": 10}).status_code == 415
    assert api.post(url, json={"filename": "duzy.pdf", "size": 5 * 1024 * 1024 + 1}).status_code == 422
    _, wrong_type = _upload(emulator, api, filename="skan.pdf", content_type="image/png")
    assert wrong_type.status_code == 415
    declared = api.post(url, json={"filename": "maly.png", "size": 10}).json()["id"]
    too_big = api.put(
        emulator.url(f"/messaging/message-attachments/{declared}"), data=PNG, headers={"Content-Type": "image/png"}
    )
    assert too_big.status_code == 413
    thread_id = _buyer_writes(emulator)["thread_id"]
    not_uploaded = api.post(
        emulator.url(f"/messaging/threads/{thread_id}/messages"), json={"text": "ok", "attachments": [{"id": declared}]}
    )
    assert not_uploaded.status_code == 422


def test_another_sellers_thread_is_out_of_reach(emulator, api):
    emulator.add_seller("inny-sprzedawca")
    other = emulator.post("messages", {"buyer_login": "k", "text": "Cześć", "seller_login": "inny-sprzedawca"})
    assert api.get(emulator.url("/messaging/threads")).json()["threads"] == []
    assert api.get(emulator.url(f"/messaging/threads/{other['thread_id']}")).status_code == 404
    assert api.get(emulator.url(f"/messaging/threads/{other['thread_id']}/messages")).status_code == 403
    refused = api.post(emulator.url(f"/messaging/threads/{other['thread_id']}/messages"), json={"text": "x"})
    assert refused.status_code == 403
    assert api.get(emulator.url("/messaging/threads/nie-ma")).status_code == 404


def test_limits_outside_allegros_range_are_refused(emulator, api):
    assert api.get(emulator.url("/messaging/threads"), params={"limit": 21}).status_code == 422
    assert api.get(emulator.url("/messaging/threads"), params={"offset": -1}).status_code == 422


BETA = "application/vnd.allegro.beta.v1+json"


@pytest.fixture
def beta(emulator):
    session = emulator.api(emulator.user_token()["access_token"], lang="pl-PL", accept=BETA)
    session.headers["Content-Type"] = BETA
    return session


def _order(emulator) -> str:
    from tests.emulator_support import make_offer

    offer = make_offer(emulator, external_id="SKU-I", stock=5)
    return emulator.post("purchases", {"offer_id": offer})["checkout_form"]["id"]


def test_a_buyers_claim_is_listed_with_its_deadline_and_answered_by_the_seller(emulator, beta):
    form_id = _order(emulator)
    claim = emulator.post("issues", {"order_id": form_id, "type": "CLAIM", "text": "Towar uszkodzony"})["issue_id"]
    emulator.post("issues", {"order_id": form_id, "type": "DISPUTE", "text": "Gdzie paczka?"})

    listed = beta.get(emulator.url("/sale/issues"), params={"checkoutForm.id": form_id}).json()["issues"]
    assert sorted(i["type"] for i in listed) == ["CLAIM", "DISPUTE"]
    got = beta.get(emulator.url(f"/sale/issues/{claim}")).json()
    assert got["currentState"]["status"] == "CLAIM_SUBMITTED" and got["decisionDueDate"]
    assert got["chat"]["lastMessage"]["status"] == "NEW" and got["chat"]["initialMessage"]["text"] == "Towar uszkodzony"
    only_claims = beta.get(emulator.url("/sale/issues"), params={"status": "CLAIM_SUBMITTED"}).json()["issues"]
    assert [i["id"] for i in only_claims] == [claim]

    sent = beta.post(
        emulator.url(f"/sale/issues/{claim}/message"),
        json={"text": "Prosimy o zdjęcia.", "attachment": None, "type": "REGULAR"},
    )
    assert sent.status_code == 201 and sent.json()["author"]["role"] == "SELLER"
    chat = beta.get(emulator.url(f"/sale/issues/{claim}/chat")).json()["chat"]
    assert [m["text"] for m in chat] == ["Prosimy o zdjęcia.", "Towar uszkodzony"]
    assert beta.get(emulator.url(f"/sale/issues/{claim}")).json()["chat"]["lastMessage"]["status"] == "SELLER_REPLIED"


def test_issue_messages_are_refused_as_allegro_refuses_them(emulator, beta):
    form_id = _order(emulator)
    dispute = emulator.post("issues", {"order_id": form_id, "text": "Gdzie paczka?"})["issue_id"]
    url = emulator.url(f"/sale/issues/{dispute}/message")
    assert beta.post(url, json={"text": " ", "attachment": None, "type": "REGULAR"}).status_code == 422
    assert (
        beta.post(url, json={"text": "ok", "attachment": None, "type": "RETURN_NOT_REQUIRED"}).status_code == 422
    )  # claims only
    raw = emulator.http  # bodies the spec itself refuses: sent past the contract check
    headers = {"Authorization": beta.headers["Authorization"], "Accept": BETA, "Content-Type": BETA}
    extra = raw.post(url, json={"text": "ok", "attachment": None, "type": "REGULAR", "x": 1}, headers=headers)
    assert extra.status_code == 422
    assert raw.post(url, json={"text": 1, "attachment": None, "type": "REGULAR"}, headers=headers).status_code == 400
    emulator.post("issues", {"issue_id": dispute, "status": "DISPUTE_CLOSED"})
    assert beta.post(url, json={"text": "Za późno", "attachment": None, "type": "REGULAR"}).status_code == 409
    assert beta.get(emulator.url("/sale/issues/00000000-0000-4000-8000-000000000000")).status_code == 404
    assert beta.get(emulator.url("/sale/issues"), params={"checkoutForm.id": "nie-uuid"}).status_code == 422
    assert [m["role"] for m in emulator.get("issues")["issues"][0]["chat"]] == ["BUYER"]
