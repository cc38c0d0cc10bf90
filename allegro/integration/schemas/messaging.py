"""Typed Allegro Message Center answers (threads, messages, attachments), parsed where the client's JSON arrives.

Like every Allegro answer they are untidy: optional fields may be missing or ``null`` (``interlocutor`` of a
deleted account, ``relatesTo.offer``, ``subject``), and new keys appear, so unknown keys are ignored and a
``null`` counts as a missing key. Times stay ISO strings here; the room parses them into aware datetimes.
Field names are Allegro's own (camelCase).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


def _text(value: Any) -> str:
    return "" if value is None else str(value)


Text = Annotated[str, BeforeValidator(_text)]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


class Interlocutor(_Schema):
    login: Text = ""
    avatarUrl: Text = ""


class Thread(_Schema):
    """One item of GET /messaging/threads (newest last message first)."""

    id: Text
    read: bool = False
    lastMessageDateTime: Text = ""
    interlocutor: Interlocutor = Field(default_factory=Interlocutor)


class ThreadList(_Schema):
    threads: list[Thread] = Field(default_factory=list)
    offset: int = 0
    limit: int = 20


class IdRef(_Schema):
    id: Text = ""


class RelatesTo(_Schema):
    offer: IdRef | None = None
    order: IdRef | None = None


class Author(_Schema):
    login: Text = ""
    isInterlocutor: bool = False


class AttachmentInfo(_Schema):
    fileName: Text = ""
    mimeType: Text = ""
    url: Text = ""
    status: Text = ""


class Message(_Schema):
    """One message (GET /messaging/threads/{id}/messages, POST answers)."""

    id: Text
    status: Text = ""
    type: Text = ""
    createdAt: Text = ""
    thread: IdRef = Field(default_factory=IdRef)
    author: Author = Field(default_factory=Author)
    text: Text = ""
    subject: Text = ""
    relatesTo: RelatesTo = Field(default_factory=RelatesTo)
    attachments: list[AttachmentInfo] = Field(default_factory=list)


class MessageList(_Schema):
    messages: list[Message] = Field(default_factory=list)
    offset: int = 0
    limit: int = 20


# --- post-purchase issues: discussions and claims (GET /sale/issues, beta) ---------------------------------


class IssueUser(_Schema):
    id: Text = ""
    login: Text = ""


class IssueCheckoutForm(_Schema):
    id: Text = ""
    createdAt: Text = ""


class IssueState(_Schema):
    status: Text = ""
    statusDueDate: Text = ""
    returnRequired: bool | None = None
    chatActive: bool = False


class IssueLastMessage(_Schema):
    status: Text = ""
    createdAt: Text = ""


class IssueChatSummary(_Schema):
    lastMessage: IssueLastMessage = Field(default_factory=IssueLastMessage)
    messagesCount: int = 0


class IssueAuthor(_Schema):
    login: Text = ""
    role: Text = ""


class IssueAttachment(_Schema):
    fileName: Text = ""
    url: Text = ""


class IssueMessage(_Schema):
    """One message of an issue's chat (GET /sale/issues/{id}/chat, POST .../message answers)."""

    id: Text = ""
    text: Text = ""
    attachments: list[IssueAttachment] = Field(default_factory=list)
    author: IssueAuthor = Field(default_factory=IssueAuthor)
    createdAt: Text = ""


class Issue(_Schema):
    """One discussion (DISPUTE) or claim (CLAIM)."""

    id: Text
    type: Text = ""
    referenceNumber: Text = ""
    decisionDueDate: Text = ""
    openedDate: Text = ""
    subject: Text = ""
    buyer: IssueUser = Field(default_factory=IssueUser)
    checkoutForm: IssueCheckoutForm = Field(default_factory=IssueCheckoutForm)
    currentState: IssueState = Field(default_factory=IssueState)
    chat: IssueChatSummary = Field(default_factory=IssueChatSummary)
