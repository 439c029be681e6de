"""Pydantic models of HyperRep API v2 records.

The documentation leaves many shapes open (messages, companies, agents, sales), so every model keeps
unknown fields (`extra="allow"`) and treats everything but the record's own ID as optional: a
field the API adds or drops must not break a listing. Timestamps that do not parse become None
rather than failing the whole page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field


def _lenient_datetime(value: Any) -> Any:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


Timestamp = Annotated[datetime | None, BeforeValidator(_lenient_datetime)]


def _none_to_list(value: Any) -> Any:
    return [] if value is None else value


EmailList = Annotated[list[str], BeforeValidator(_none_to_list)]


class Record(BaseModel):
    """Base of every API record: keeps whatever fields the API sends."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def extra_fields(self) -> dict[str, Any]:
        """Fields the API returned that this model does not name (shown in detailed output)."""
        return dict(self.model_extra or {})


class Organization(Record):
    organization_id: str
    name: str | None = None


class Contact(Record):
    contact_id: str
    name: str | None = None
    email: str | None = None
    phone_number: str | None = None
    created_at: Timestamp = None
    company_id: str | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    company_role: str | None = None


class Company(Record):
    company_id: str
    name: str | None = None
    domain: str | None = None


class Agent(Record):
    agent_id: str
    name: str | None = None
    email: str | None = None


class Conversation(Record):
    conversation_id: str
    start_at: Timestamp = None
    last_activity_at: Timestamp = None
    folder: str | None = None
    is_read: bool | None = None
    contact_id: str | None = None


class Message(Record):
    """A message in a conversation. Undocumented shape: the fields below are the working assumption."""

    message_id: str
    conversation_id: str | None = None
    direction: str | None = None  # "inbound" (customer) / "outbound" (us)
    modality: str | None = None  # "email" / "text"
    subject: str | None = None
    body_html: str | None = None
    body_text: str | None = None
    sender_name: str | None = None
    sender_email: str | None = None
    sender_phone_number: str | None = None
    sent_at: Timestamp = None
    created_at: Timestamp = None
    is_read: bool | None = None

    @property
    def timestamp(self) -> datetime | None:
        return self.sent_at or self.created_at

    @property
    def inbound(self) -> bool:
        return (self.direction or "").lower() == "inbound"


class MessageDraft(Record):
    draft_id: str
    subject: str | None = None
    body_html: str | None = None
    modality: str | None = None
    agent_id: str | None = None
    recipient_name: str | None = None
    recipient_email: str | None = None
    recipient_phone_number: str | None = None
    cc_emails: EmailList = Field(default_factory=list)
    bcc_emails: EmailList = Field(default_factory=list)
    scheduled_send_at: Timestamp = None
    folder: str | None = None
    created_at: Timestamp = None

    @property
    def status(self) -> Literal["saved", "queued"]:
        return "queued" if self.scheduled_send_at else "saved"


class ResponseDraft(Record):
    response_id: str
    conversation_id: str | None = None
    body_html: str | None = None
    recipient_name: str | None = None
    recipient_email: str | None = None
    recipient_phone_number: str | None = None
    cc_emails: EmailList = Field(default_factory=list)
    bcc_emails: EmailList = Field(default_factory=list)
    scheduled_send_at: Timestamp = None
    created_at: Timestamp = None

    @property
    def status(self) -> Literal["saved", "queued"]:
        return "queued" if self.scheduled_send_at else "saved"


class DraftReceipt(Record):
    """What a draft create/upsert answers. Page 01 and pages 03/05 disagree on names: accept both."""

    draft_id: str | None = None
    response_id: str | None = None
    conversation_id: str | None = None
    scheduled_to_send: bool = Field(
        default=False, validation_alias=AliasChoices("scheduled_to_send", "queued_to_send")
    )
    scheduled_send_at: Timestamp = Field(
        default=None, validation_alias=AliasChoices("scheduled_send_at", "send_at")
    )
    folder: str | None = None

    @property
    def id(self) -> str:
        return self.draft_id or self.response_id or ""


class ResponseRate(Record):
    responded: int = Field(
        default=0, validation_alias=AliasChoices("numConversationsRespondedTo", "responded")
    )
    received: int = Field(default=0, validation_alias=AliasChoices("numConversationsReceived", "received"))
    rate: float | None = Field(default=None, validation_alias=AliasChoices("responseRate", "rate"))


class Sale(Record):
    """Sales records are undocumented: whatever the API returns is kept as-is."""

    sale_id: str | None = None


class Pagination(BaseModel):
    model_config = ConfigDict(extra="allow")

    limit: int | None = None
    cursor: str | None = None
    next_cursor: str | None = None
    has_more: bool | None = None


T = TypeVar("T", bound=BaseModel)


class Page(BaseModel, Generic[T]):
    """One page of a cursor-paginated listing."""

    data: list[T] = Field(default_factory=list)
    pagination: Pagination = Field(default_factory=Pagination)

    @property
    def next_cursor(self) -> str | None:
        """The cursor of the next page, or None at the end (`has_more: false` wins over a stray cursor)."""
        p = self.pagination
        return p.next_cursor if (p.next_cursor and p.has_more is not False) else None
