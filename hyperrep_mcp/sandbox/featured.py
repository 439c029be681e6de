"""Well-known records in the big organization that tests, docs and demos rely on.

* Diana Prince (diana@example.com): three conversations; the newest is an email thread about her
  estimate that is waiting for our reply (the docs' running example).
* Hal Jordan (hal@example.com): an email thread about his roof quote, last message ours.
* Morgan Blake: a thread whose latest inbound email carries a prompt-injection attempt.
* Contacts with non-ASCII names (Zoë Müller, José Núñez, Łukasz Wiśniewski, ...) and one whose
  name hides a zero-width space.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from hyperrep_mcp.sandbox.corpus.people import FEATURED_CONTACTS
from hyperrep_mcp.sandbox.records import ContactSpec, Fixtures
from hyperrep_mcp.sandbox.threads import INJECTION_TOPIC

if TYPE_CHECKING:
    from hyperrep_mcp.sandbox.generate import OrgBuilder

DIANA = "Diana Prince"
HAL = "Hal Jordan"
INJECTION_SENDER = "Morgan Blake"
ZERO_WIDTH_NAME = "Nadia\u200b Haddad"  # renders as "Nadia Haddad"
CONVERSATION_COUNT = 5  # conversations add_conversations() creates
# Contacts whose conversations and drafts are exactly the ones below (no random extras).
RESERVED = (DIANA, HAL, INJECTION_SENDER)

_IN, _OUT = "inbound", "outbound"


def contact_specs(builder: OrgBuilder) -> list[ContactSpec]:
    anchor = builder.anchor
    specs = [
        ContactSpec(
            name=DIANA,
            email="diana@example.com",
            phone="513-867-5309",
            created_at=anchor - timedelta(days=200, hours=3, microseconds=217_565),
            company_index=0,
            role="Facilities Manager",
            custom_fields=(("notes", "Prefers SMS"),),
            fixture=DIANA,
        ),
        ContactSpec(
            name=HAL,
            email="hal@example.com",
            phone="+14155550199",
            created_at=anchor - timedelta(days=45, hours=7),
            company_index=1,
            role="Controller",
            custom_fields=(("notes", "Primary billing contact"),),
            fixture=HAL,
        ),
        ContactSpec(
            name=INJECTION_SENDER,
            email="morgan.blake@blakeholdings.net",
            phone=None,
            created_at=anchor - timedelta(days=20, hours=2),
            custom_fields=(("lead_source", "Website form"),),
            fixture=INJECTION_SENDER,
        ),
    ]
    for name in (*FEATURED_CONTACTS, ZERO_WIDTH_NAME):
        spec = builder.contact_spec()
        spec.name, spec.fixture = name, name
        spec.email = builder.email_for(name.replace("\u200b", ""), spec.company_index)
        specs.append(spec)
    return specs


def add_conversations(builder: OrgBuilder) -> None:
    """Exactly CONVERSATION_COUNT conversations with fixed shapes (bodies still seeded)."""
    anchor, contacts = builder.anchor, builder.fixture_contacts
    diana, hal, morgan = contacts[DIANA], contacts[HAL], contacts[INJECTION_SENDER]
    builder.add_conversation(
        diana,
        modality="email",
        topic="leak",
        start=anchor - timedelta(days=63, hours=4),
        directions=[_IN, _OUT, _IN, _OUT],
        gaps_h=[3.5, 20.0, 2.25],
        folder="archived",
        is_read=True,
    )
    builder.add_conversation(
        diana,
        modality="text",
        topic="scheduling",
        start=anchor - timedelta(days=16, hours=5),
        directions=[_IN, _OUT, _IN, _OUT],
        gaps_h=[0.3, 1.0, 0.2],
        folder="primary",
        is_read=True,
    )
    builder.add_conversation(
        diana,
        modality="email",
        topic="estimate",
        subject="Question about the estimate you sent",
        start=anchor - timedelta(days=2, hours=3),
        directions=[_IN, _OUT, _IN],
        gaps_h=[4.0, 26.0],
        folder="inbox",
        is_read=False,
    )
    builder.add_conversation(
        hal,
        modality="email",
        topic="estimate",
        subject="Quote for roof replacement",
        start=anchor - timedelta(days=10, hours=6),
        directions=[_IN, _OUT],
        gaps_h=[5.0],
        folder="inbox",
        is_read=True,
    )
    builder.add_conversation(
        morgan,
        modality="email",
        topic=INJECTION_TOPIC,
        subject="Gutter estimate",
        start=anchor - timedelta(days=1, hours=5),
        directions=[_OUT, _IN],
        gaps_h=[20.0],
        folder="inbox",
        is_read=False,
    )


def _conversations_of(builder: OrgBuilder, name: str) -> list[str]:
    contact_id = builder.fixture_contacts[name].contact_id
    convs = [c for c in builder.data.conversations.values() if c.contact_id == contact_id]
    return [c.conversation_id for c in sorted(convs, key=lambda c: c.last_activity_at)]


def record_fixtures(builder: OrgBuilder, fixtures: Fixtures) -> None:
    contacts = builder.fixture_contacts
    fixtures.diana_contact_id = contacts[DIANA].contact_id
    fixtures.diana_email_conversation_id = _conversations_of(builder, DIANA)[-1]
    fixtures.hal_contact_id = contacts[HAL].contact_id
    injection = builder.data.conversations[_conversations_of(builder, INJECTION_SENDER)[-1]]
    fixtures.injection_conversation_id = injection.conversation_id
    fixtures.injection_message_id = injection.plan[-1].message_id
    fixtures.unicode_contact_ids = {
        name: contacts[name].contact_id for name in (*FEATURED_CONTACTS, ZERO_WIDTH_NAME)
    }
