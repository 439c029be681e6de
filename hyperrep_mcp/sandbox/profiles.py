"""The organizations the sandbox simulates and how much data each gets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrgProfile:
    key: str  # stable, used in ID keys
    name: str
    domain: str
    city: str
    area_code: str
    contacts: int
    conversations: int
    companies: int
    agents: int
    sales: int
    response_drafts: int  # pending, saved for review
    message_drafts: int  # pending, saved for review
    promoted_drafts: int  # already-sent drafts of each kind (their IDs now 404 with a hint)
    credentials: frozenset[str]
    fernet_share: float  # share of IDs in the gAAAAAB... form (the rest are HR_id_...)
    text_share: float  # share of conversations held over SMS
    featured: bool = False  # carries the well-known fixtures (Diana, Hal, the injection thread)


PROFILES: tuple[OrgProfile, ...] = (
    OrgProfile(
        key="summit",
        name="Summit Roofing & Restoration",
        domain="summitroofing.com",
        city="Cincinnati",
        area_code="513",
        contacts=400,
        conversations=2500,
        companies=40,
        agents=8,
        sales=180,
        response_drafts=14,
        message_drafts=12,
        promoted_drafts=3,
        credentials=frozenset({"email", "text"}),
        fernet_share=0.8,
        text_share=0.35,
        featured=True,
    ),
    OrgProfile(
        key="bohm-nunez",
        name="Böhm & Núñez General Contractors",
        domain="bohmnunez.com",
        city="San Antonio",
        area_code="210",
        contacts=140,
        conversations=600,
        companies=15,
        agents=5,
        sales=60,
        response_drafts=5,
        message_drafts=5,
        promoted_drafts=2,
        credentials=frozenset({"email", "text"}),
        fernet_share=0.1,
        text_share=0.3,
    ),
    OrgProfile(
        key="pine-hollow",
        name="Pine Hollow Exteriors",
        domain="pinehollowexteriors.com",
        city="Portland",
        area_code="503",
        contacts=30,
        conversations=90,
        companies=4,
        agents=2,
        sales=12,
        response_drafts=1,
        message_drafts=2,
        promoted_drafts=1,
        credentials=frozenset({"email"}),  # no SMS number: text drafts are rejected
        fernet_share=1.0,
        text_share=0.0,
    ),
)
