"""The sandbox's records and how they look on the wire: their IDs, timestamps and JSON shapes.

Records are frozen: the pristine dataset is generated once per (seed, now) and shared by every
sandbox built from it, so a change is made by replacing a record (``dataclasses.replace``) in the
owning sandbox's own dict, never by mutating a shared object.

IDs are deterministic and opaque, in the two forms the real API uses. They are derived by hashing
a stable key (``"7/org1/contact/17"``), not drawn from the data generator's random stream, so they
stay the same when ``now`` changes or when the generator learns new fields:

* Fernet-like tokens: ``gAAAAAB`` + urlsafe base64 (``-`` and ``_`` included) ending in ``=``,
  exactly what an encrypted ``cryptography.fernet`` token looks like (version byte 0x80, a
  timestamp, then ciphertext and MAC).
* Legacy ``HR_id_...`` strings.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

JSON = dict[str, Any]

# --- IDs -------------------------------------------------------------------------------------

IdStyle = Literal["fernet", "hr"]

# Fernet tokens carry their creation time; pin it to a plausible 2024 window so every token
# starts with the familiar ``gAAAAABl``/``gAAAAABm`` prefix.
_FERNET_EPOCH = 0x6500_0000


def _digest(key: str) -> bytes:
    data = key.encode()
    return hashlib.sha512(data).digest() + hashlib.sha256(data).digest()


def fernet_id(key: str) -> str:
    """A 120-character Fernet-like token (89 bytes -> one ``=`` of padding)."""
    digest = _digest(key)
    stamp = (_FERNET_EPOCH + int.from_bytes(digest[:3], "big")).to_bytes(8, "big")
    payload = b"\x80" + stamp + digest[3:83]
    return base64.urlsafe_b64encode(payload).decode()


def hr_id(key: str) -> str:
    """A legacy ``HR_id_`` identifier (22 urlsafe characters after the prefix)."""
    digest = hashlib.sha256(key.encode()).digest()
    return "HR_id_" + base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def make_id(key: str, style: IdStyle) -> str:
    return fernet_id(key) if style == "fernet" else hr_id(key)


def pick_style(key: str, fernet_share: float) -> IdStyle:
    """Choose a form from the key itself, so the mix is stable without consuming randomness."""
    bucket = hashlib.sha256(b"style:" + key.encode()).digest()[0] / 256
    return "fernet" if bucket < fernet_share else "hr"


# --- timestamps ------------------------------------------------------------------------------


def iso(moment: datetime | None) -> str | None:
    """``2026-04-29T14:00:00Z`` or, when there are microseconds, ``2026-03-12T00:32:13.782565Z``.

    The real API emits both forms, so clients must accept both; the sandbox reproduces that by
    keeping whatever precision a timestamp was generated with.
    """
    if moment is None:
        return None
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Organization:
    organization_id: str
    name: str
    domain: str
    phone: str
    city: str
    credentials: frozenset[str]  # modalities the org can send on ("email", "text")

    def to_json(self) -> JSON:
        return {"organization_id": self.organization_id, "name": self.name}


@dataclass(frozen=True, slots=True)
class Company:
    company_id: str
    name: str
    domain: str
    phone: str
    city: str
    created_at: datetime

    def to_json(self) -> JSON:
        return {
            "company_id": self.company_id,
            "name": self.name,
            "domain": self.domain,
            "phone": self.phone,
            "city": self.city,
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class Agent:
    agent_id: str
    name: str
    email: str
    role: str
    phone: str

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    def to_json(self) -> JSON:
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "email": self.email,
            "role": self.role,
            "phone": self.phone,
        }


@dataclass(frozen=True, slots=True)
class Contact:
    contact_id: str
    name: str | None
    email: str | None
    phone_number: str | None
    created_at: datetime
    company_id: str | None = None
    custom_fields: tuple[tuple[str, str], ...] = ()  # a tuple keeps the shared record immutable
    company_role: str | None = None

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name else ""

    def to_json(self) -> JSON:
        return {
            "contact_id": self.contact_id,
            "name": self.name,
            "email": self.email,
            "phone_number": self.phone_number,
            "created_at": iso(self.created_at),
            "company_id": self.company_id,
            "custom_fields": dict(self.custom_fields),
            "company_role": self.company_role,
        }


@dataclass(frozen=True, slots=True)
class MessagePlan:
    """The skeleton of a generated message: enough for ordering and analytics.

    Bodies are rendered lazily from it (see ``threads.py``): most requests never read them, and
    rendering ~14,000 HTML bodies up front would dominate the build time.
    """

    message_id: str
    direction: str  # "inbound" | "outbound"
    sent_at: datetime
    agent_index: int  # which agent wrote an outbound message
    is_read: bool


@dataclass(frozen=True, slots=True)
class Conversation:
    conversation_id: str
    contact_id: str
    modality: str  # "email" | "text"
    subject: str | None
    topic: str
    folder: str
    is_read: bool
    start_at: datetime
    last_activity_at: datetime
    plan: tuple[MessagePlan, ...] = ()  # generated messages; live ones are kept by the org
    render_key: str = ""  # seeds the lazy body renderer

    def summary(self) -> JSON:
        """Exactly the list shape from the docs."""
        return {
            "conversation_id": self.conversation_id,
            "start_at": iso(self.start_at),
            "last_activity_at": iso(self.last_activity_at),
            "folder": self.folder,
            "is_read": self.is_read,
            "contact_id": self.contact_id,
        }

    def detail(self) -> JSON:
        return {**self.summary(), "modality": self.modality, "subject": self.subject}


@dataclass(frozen=True, slots=True)
class Message:
    message_id: str
    conversation_id: str
    direction: str
    modality: str
    subject: str | None
    body_html: str | None
    body_text: str | None
    sender_name: str | None
    sender_email: str | None
    sender_phone_number: str | None
    sent_at: datetime
    is_read: bool

    def to_json(self) -> JSON:
        return {
            "message_id": self.message_id,
            "conversation_id": self.conversation_id,
            "direction": self.direction,
            "modality": self.modality,
            "subject": self.subject,
            "body_html": self.body_html,
            "body_text": self.body_text,
            "sender_name": self.sender_name,
            "sender_email": self.sender_email,
            "sender_phone_number": self.sender_phone_number,
            "sent_at": iso(self.sent_at),
            "is_read": self.is_read,
        }


@dataclass(frozen=True, slots=True)
class MessageDraft:
    draft_id: str
    modality: str
    subject: str | None
    body_html: str | None
    agent_id: str
    recipient_name: str | None
    recipient_email: str | None
    recipient_phone_number: str | None
    folder: str
    created_at: datetime
    cc_emails: tuple[str, ...] = ()
    bcc_emails: tuple[str, ...] = ()
    scheduled_send_at: datetime | None = None
    add_notification: bool = True

    def to_json(self) -> JSON:
        return {
            "draft_id": self.draft_id,
            "subject": self.subject,
            "body_html": self.body_html,
            "modality": self.modality,
            "agent_id": self.agent_id,
            "recipient_name": self.recipient_name,
            "recipient_email": self.recipient_email,
            "recipient_phone_number": self.recipient_phone_number,
            "cc_emails": list(self.cc_emails),
            "bcc_emails": list(self.bcc_emails),
            "scheduled_send_at": iso(self.scheduled_send_at),
            "folder": self.folder,
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class ResponseDraft:
    response_id: str
    conversation_id: str
    body_html: str
    recipient_name: str | None
    recipient_email: str | None
    recipient_phone_number: str | None
    created_at: datetime
    cc_emails: tuple[str, ...] = ()
    bcc_emails: tuple[str, ...] = ()
    scheduled_send_at: datetime | None = None
    add_notification: bool = True

    def to_json(self) -> JSON:
        return {
            "response_id": self.response_id,
            "conversation_id": self.conversation_id,
            "body_html": self.body_html,
            "recipient_name": self.recipient_name,
            "recipient_email": self.recipient_email,
            "recipient_phone_number": self.recipient_phone_number,
            "cc_emails": list(self.cc_emails),
            "bcc_emails": list(self.bcc_emails),
            "scheduled_send_at": iso(self.scheduled_send_at),
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class Sale:
    sale_id: str
    contact_id: str
    amount: float
    currency: str
    closed_at: datetime
    description: str

    def to_json(self) -> JSON:
        return {
            "sale_id": self.sale_id,
            "contact_id": self.contact_id,
            "amount": self.amount,
            "currency": self.currency,
            "closed_at": iso(self.closed_at),
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class PromotedMessageDraft:
    """Where a sent message draft went: the conversation it became."""

    draft_id: str
    conversation_id: str


@dataclass(frozen=True, slots=True)
class PromotedResponseDraft:
    """Where a sent response draft went: the message it became."""

    response_id: str
    conversation_id: str
    message_id: str


@dataclass
class Fixtures:
    """Well-known records tests can rely on (resolved to IDs at generation time)."""

    big_org_id: str = ""
    mid_org_id: str = ""
    small_org_id: str = ""  # has no ``text`` credentials
    diana_contact_id: str = ""
    diana_email_conversation_id: str = ""  # latest, email, awaiting our reply
    hal_contact_id: str = ""
    injection_conversation_id: str = ""
    injection_message_id: str = ""
    unicode_contact_ids: dict[str, str] = field(default_factory=dict)  # name -> id (big org)
    promoted_message_draft_ids: dict[str, str] = field(default_factory=dict)  # draft -> conv
    promoted_response_draft_ids: dict[str, str] = field(default_factory=dict)  # response -> conv
