"""Seeded generation of the pristine dataset (organizations and everything under them).

Everything comes from ``random.Random`` streams keyed by the seed and the organization, and every
timestamp is an offset from the anchor ``now``; IDs are hashes of stable keys (see ``records.py``).
Same seed and anchor -> identical data. Message bodies are not generated here (see
``threads.py``): only each message's direction and time, which is all lists and analytics need.
"""

from __future__ import annotations

import bisect
import functools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hyperrep_mcp.sandbox import featured
from hyperrep_mcp.sandbox.corpus import people, places, topics
from hyperrep_mcp.sandbox.dataset import Dataset, OrgData
from hyperrep_mcp.sandbox.profiles import PROFILES, OrgProfile
from hyperrep_mcp.sandbox.records import (
    Agent,
    Company,
    Contact,
    Conversation,
    Fixtures,
    MessageDraft,
    MessagePlan,
    Organization,
    PromotedMessageDraft,
    PromotedResponseDraft,
    ResponseDraft,
    Sale,
    make_id,
    pick_style,
)
from hyperrep_mcp.sandbox.threads import thread_values
from hyperrep_mcp.sandbox.validation import ascii_fold

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
WINDOW_DAYS = 90  # conversations span the last 90 days
RECENT = 7 * DAY  # "this week": where most unanswered threads live

_THREAD_LENGTHS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
_THREAD_WEIGHTS = (12, 22, 20, 14, 10, 7, 5, 4, 3, 3)
_DRAFT_FOLDERS = ("drafts", "drafts", "drafts", "sales-follow-up", "estimates", "storm-leads")
_OUTREACH_SUBJECTS = (
    "Following up on your quote",
    "Spring roof inspection - $99 this month",
    "Storm damage in your area?",
    "Your gutter estimate",
    "Checking in after the install",
)


@dataclass
class ContactSpec:
    """A contact before it has an ID (IDs follow the final created_at order)."""

    name: str | None
    email: str | None
    phone: str | None
    created_at: datetime
    company_index: int | None = None
    role: str | None = None
    custom_fields: tuple[tuple[str, str], ...] = ()
    fixture: str | None = None  # name under which featured.py finds it again


@dataclass
class OrgBuilder:
    seed: int
    anchor: datetime
    profile: OrgProfile
    rng: random.Random = field(init=False)
    data: OrgData = field(init=False)
    fixture_contacts: dict[str, Contact] = field(default_factory=dict)
    _counters: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # One stream per organization: adding an org never changes another org's data.
        self.rng = random.Random(f"{self.seed}/{self.profile.key}")
        p = self.profile
        org = Organization(
            organization_id=make_id(f"{self.seed}/{p.key}/org", "fernet" if p.fernet_share >= 0.5 else "hr"),
            name=p.name,
            domain=p.domain,
            phone=self.phone(style=0),
            city=p.city,
            credentials=p.credentials,
        )
        self.data = OrgData(org=org)

    # --- primitives --------------------------------------------------------------------------

    def new_id(self, kind: str) -> str:
        n = self._counters.get(kind, 0)
        self._counters[kind] = n + 1
        key = f"{self.seed}/{self.profile.key}/{kind}/{n}"
        return make_id(key, pick_style(key, self.profile.fernet_share))

    def phone(self, style: int | None = None) -> str:
        rng = self.rng
        area, exchange, line = self.profile.area_code, rng.randint(201, 989), rng.randint(0, 9999)
        formats = (
            f"({area}) {exchange}-{line:04d}",
            f"{area}-{exchange}-{line:04d}",
            f"+1{area}{exchange}{line:04d}",
            f"{area}.{exchange}.{line:04d}",
        )
        return formats[rng.randrange(4) if style is None else style]

    def ago(self, days_min: float, days_max: float, *, precise: bool = True) -> datetime:
        """A moment between ``days_max`` and ``days_min`` days before the anchor."""
        moment = self.anchor - timedelta(seconds=self.rng.uniform(days_min, days_max) * 86400)
        return moment if precise else moment.replace(microsecond=0)

    # --- organization-wide records ------------------------------------------------------------

    def build_agents(self) -> None:
        rng, p = self.rng, self.profile
        for i in range(p.agents):
            name = f"{rng.choice(people.FIRST_NAMES)} {rng.choice(people.LAST_NAMES)}"
            first, last = ascii_fold(name).lower().replace("'", "").split(" ", 1)
            agent = Agent(
                agent_id=self.new_id("agent"),
                name=name,
                email=f"{first}.{last.replace(' ', '')}@{p.domain}",
                role="Owner" if i == 0 else rng.choice(people.AGENT_ROLES),
                phone=self.phone(),
            )
            self.data.agents[agent.agent_id] = agent

    def build_companies(self) -> None:
        rng, p = self.rng, self.profile
        combos = [(a, b) for a in places.COMPANY_PREFIXES for b in places.COMPANY_SUFFIXES]
        for prefix, suffix in sorted(rng.sample(combos, p.companies), key=lambda _: rng.random()):
            name = f"{prefix} {suffix}"
            domain = ascii_fold(prefix).lower().replace(" ", "").replace("&", "") + ".com"
            company = Company(
                company_id=self.new_id("company"),
                name=name,
                domain=domain,
                phone=self.phone(),
                city=p.city if rng.random() < 0.8 else rng.choice(("Dayton", "Austin", "Salem", "Lexington")),
                created_at=self.ago(200, 1400, precise=False),
            )
            self.data.companies[company.company_id] = company

    def contact_spec(self) -> ContactSpec:
        rng = self.rng
        name = f"{rng.choice(people.FIRST_NAMES)} {rng.choice(people.LAST_NAMES)}"
        company_index = rng.randrange(self.profile.companies) if rng.random() < 0.35 else None
        email = phone = None
        roll = rng.random()
        if roll < 0.15 and "text" in self.profile.credentials:
            phone = self.phone()  # phone-only contact (texted in)
        else:
            email = self.email_for(name, company_index)
            if roll < 0.8:
                phone = self.phone()
        fields: list[tuple[str, str]] = []
        if rng.random() < 0.5:
            fields.append(("lead_source", rng.choice(people.LEAD_SOURCES)))
        if rng.random() < 0.3:
            fields.append(("notes", rng.choice(people.CONTACT_NOTES)))
        if rng.random() < 0.25:
            fields.append(("roof_type", rng.choice(topics.MATERIALS)))
        # A third of the contacts predate the 90-day window only slightly; most are older.
        recent = rng.random() < 0.35
        created = self.ago(1, WINDOW_DAYS) if recent else self.ago(WINDOW_DAYS, 720)
        return ContactSpec(
            name=None if rng.random() < 0.02 and email else name,
            email=email,
            phone=phone,
            created_at=created,
            company_index=company_index,
            role=rng.choice(people.COMPANY_ROLES) if company_index is not None else None,
            custom_fields=tuple(fields),
        )

    def email_for(self, name: str, company_index: int | None) -> str:
        rng = self.rng
        first, last = ascii_fold(name).lower().replace("'", "").split(" ", 1)
        last = last.replace(" ", "").replace("-", "")
        local = rng.choice(
            (f"{first}.{last}", f"{first}{last}", f"{first[0]}{last}", f"{first}_{last}{rng.randint(1, 99)}")
        )
        if company_index is not None:
            domain = list(self.data.companies.values())[company_index].domain
        else:
            domain = rng.choice(people.EMAIL_PROVIDERS)
        return f"{local}@{domain}"

    def build_contacts(self) -> None:
        specs = featured.contact_specs(self) if self.profile.featured else []
        specs += [self.contact_spec() for _ in range(self.profile.contacts - len(specs))]
        companies = list(self.data.companies)
        for spec in sorted(specs, key=lambda s: s.created_at):
            contact = Contact(
                contact_id=self.new_id("contact"),
                name=spec.name,
                email=spec.email,
                phone_number=spec.phone,
                created_at=spec.created_at,
                company_id=companies[spec.company_index] if spec.company_index is not None else None,
                custom_fields=spec.custom_fields,
                company_role=spec.role,
            )
            self.data.contacts[contact.contact_id] = contact
            if spec.fixture:
                self.fixture_contacts[spec.fixture] = contact

    # --- conversations -----------------------------------------------------------------------

    def add_conversation(
        self,
        contact: Contact,
        *,
        modality: str,
        topic: str,
        start: datetime,
        directions: list[str],
        gaps_h: list[float],
        subject: str | None = None,
        folder: str | None = None,
        is_read: bool | None = None,
    ) -> Conversation:
        """Build one conversation from its message directions and the gaps between them."""
        rng = self.rng
        n = self._counters.get("conversation", 0)
        cid = self.new_id("conversation")
        render_key = f"{self.seed}/{self.profile.key}/conversation/{n}"
        times, t = [], start
        for gap in [0.0, *gaps_h]:
            t += timedelta(hours=gap)
            times.append(t)
        awaiting = directions[-1] == "inbound"
        last = times[-1]
        if is_read is None:
            age = self.anchor - last
            unread_odds = 0.7 if age < 3 * DAY else 0.3 if age < 14 * DAY else 0.02
            is_read = not (awaiting and rng.random() < unread_odds)
        if folder is None:
            folder = self.pick_folder(awaiting, last, len(directions))
        last_outbound = max((i for i, d in enumerate(directions) if d == "outbound"), default=-1)
        plan = tuple(
            MessagePlan(
                message_id=self.new_id("message"),
                direction=d,
                sent_at=times[i],
                agent_index=rng.randrange(self.profile.agents),
                is_read=is_read or d == "outbound" or i < last_outbound,
            )
            for i, d in enumerate(directions)
        )
        if modality == "email" and subject is None:
            template = rng.choice(topics.SUBJECTS.get(topic, topics.SUBJECTS["estimate"]))
            # Same values the body renderer will draw first from this render_key.
            subject = template.format_map(thread_values(random.Random(render_key), self.data.org))
        conv = Conversation(
            conversation_id=cid,
            contact_id=contact.contact_id,
            modality=modality,
            subject=subject if modality == "email" else None,
            topic=topic,
            folder=folder,
            is_read=is_read,
            start_at=times[0],
            last_activity_at=last,
            plan=plan,
            render_key=render_key,
        )
        self.data.conversations[cid] = conv
        return conv

    def pick_folder(self, awaiting: bool, last: datetime, length: int) -> str:
        rng = self.rng
        if awaiting and length == 1 and rng.random() < 0.03:
            return "spam"
        if not awaiting and self.anchor - last > 21 * DAY and rng.random() < 0.55:
            return "archived"
        return "inbox" if rng.random() < 0.7 else "primary"

    def directions(self, length: int, first_inbound: bool, awaiting: bool) -> list[str]:
        rng = self.rng
        dirs = ["inbound" if first_inbound else "outbound"]
        for _ in range(length - 1):
            flip = rng.random() < 0.8  # mostly alternating; sometimes a double message
            prev = dirs[-1]
            dirs.append(("outbound" if prev == "inbound" else "inbound") if flip else prev)
        if awaiting and dirs[-1] == "outbound":
            dirs[-1] = "inbound"
        elif not awaiting and dirs[-1] == "inbound":
            if len(dirs) < 10:
                dirs.append("outbound")
            else:
                dirs[-1] = "outbound"
        return dirs

    def gaps(self, directions: list[str], start: datetime) -> list[float]:
        """Hours between consecutive messages, squeezed to end before the anchor."""
        rng = self.rng
        gaps = []
        for d in directions[1:]:
            scale = rng.choice((0.1, 0.5, 2, 6, 20, 48) if d == "outbound" else (0.3, 2, 12, 30, 72))
            gaps.append(scale * rng.uniform(0.5, 1.5))
        room = (self.anchor - start - timedelta(minutes=2)).total_seconds() / 3600
        total = sum(gaps)
        if total > room:
            gaps = [g * room / total * 0.95 for g in gaps]
        return gaps

    def start_time(self, not_before: datetime) -> datetime:
        rng = self.rng
        days_ago = WINDOW_DAYS * rng.random() ** 1.1  # slightly more traffic lately
        day = self.anchor - timedelta(days=days_ago)
        # US daytime in UTC for most threads; the rest at any hour.
        hour = rng.randint(12, 23) if rng.random() < 0.85 else rng.randint(0, 23)
        start = day.replace(hour=hour, minute=rng.randint(0, 59), second=rng.randint(0, 59))
        if start >= self.anchor - timedelta(minutes=10):
            start = self.anchor - timedelta(minutes=rng.uniform(10, 600))
        start = max(start, not_before)
        if rng.random() < 0.4:  # the real API shows both precisions
            start = start.replace(microsecond=rng.randrange(1, 1_000_000))
        return start

    def build_conversations(self) -> None:
        rng, p = self.rng, self.profile
        contacts = list(self.data.contacts.values())
        created = [c.created_at for c in contacts]
        window_start = self.anchor - WINDOW_DAYS * DAY
        fixed = featured.CONVERSATION_COUNT if p.featured else 0
        reserved = self.reserved_ids()
        pool = [c for c in contacts if c.contact_id not in reserved]
        # New contacts usually appear because they wrote in: give each a first thread.
        firsts = [c for c in pool if c.created_at > window_start]
        for i in range(p.conversations - fixed):
            if i < len(firsts):
                contact = firsts[i]
                start = contact.created_at + timedelta(minutes=rng.uniform(2, 90))
                if start >= self.anchor - timedelta(minutes=5):
                    start = contact.created_at
            else:
                start = self.start_time(window_start)
                eligible = bisect.bisect_right(created, start)
                contact = contacts[rng.randrange(max(eligible, 1))]
                start = max(start, contact.created_at)
            while contact.contact_id in reserved:  # their threads are fixed (featured.py)
                contact = pool[rng.randrange(len(pool) // 2)]
                start = max(start, contact.created_at)
            modality = self.modality_for(contact)
            recent = self.anchor - start < RECENT
            awaiting = rng.random() < (0.45 if recent else 0.12)
            length = rng.choices(_THREAD_LENGTHS, _THREAD_WEIGHTS)[0]
            if modality == "text":
                length = min(length, 6)
            if rng.random() < (0.15 if recent else 0.08):
                dirs = ["inbound"] * min(length, 2)  # never answered: what pulls the rate down
            else:
                dirs = self.directions(length, rng.random() < 0.8, awaiting)
            topic = rng.choices(list(topics.TOPIC_WEIGHTS), list(topics.TOPIC_WEIGHTS.values()))[0]
            self.add_conversation(
                contact,
                modality=modality,
                topic=topic,
                start=start,
                directions=dirs,
                gaps_h=self.gaps(dirs, start),
            )
        if p.featured:
            featured.add_conversations(self)

    def reserved_ids(self) -> set[str]:
        """Contacts whose data is fixed by featured.py and must not get random threads/drafts."""
        return {
            self.fixture_contacts[name].contact_id
            for name in featured.RESERVED
            if name in self.fixture_contacts
        }

    def modality_for(self, contact: Contact) -> str:
        can_text = "text" in self.profile.credentials and contact.phone_number
        if not contact.email:
            return "text" if can_text else "email"
        return "text" if can_text and self.rng.random() < self.profile.text_share else "email"

    # --- sales and drafts --------------------------------------------------------------------

    def build_sales(self) -> None:
        rng = self.rng
        buyers = sorted({c.contact_id for c in self.data.conversations.values()})
        for contact_id in rng.sample(buyers, min(self.profile.sales, len(buyers))):
            description, low, high = rng.choice(topics.SALE_DESCRIPTIONS)
            sale = Sale(
                sale_id=self.new_id("sale"),
                contact_id=contact_id,
                amount=round(rng.uniform(low, high), 2),
                currency="USD",
                closed_at=self.ago(0.05, 150),
                description=description,
            )
            self.data.sales[sale.sale_id] = sale

    def build_drafts(self) -> None:
        rng, data = self.rng, self.data
        agents = data.agent_list()
        reserved = self.reserved_ids()
        candidates = [
            c
            for c in data.conversations_by_activity()
            if c.plan[-1].direction == "inbound"
            and self.anchor - c.last_activity_at < 10 * DAY
            and c.contact_id not in reserved
        ]
        for conv in rng.sample(candidates, min(self.profile.response_drafts, len(candidates))):
            contact = data.contacts[conv.contact_id]
            agent = rng.choice(agents)
            reply = rng.choice(topics.REPLIES.get(conv.topic, topics.REPLIES["estimate"]))
            values = thread_values(rng, data.org, agent.first_name, contact.first_name)
            draft = ResponseDraft(
                response_id=self.new_id("response-draft"),
                conversation_id=conv.conversation_id,
                body_html=f"<p>Hi {contact.first_name or 'there'},</p><p>{reply.format_map(values)}</p>"
                f"<p>Thanks,<br>{agent.first_name}</p>",
                recipient_name=contact.name,
                recipient_email=contact.email,
                recipient_phone_number=contact.phone_number,
                created_at=conv.last_activity_at
                + (self.anchor - conv.last_activity_at) * rng.uniform(0.1, 0.9),
            )
            data.response_drafts[draft.response_id] = draft
        contacts = [c for c in data.contacts.values() if c.contact_id not in reserved]
        for _ in range(self.profile.message_drafts):
            contact = rng.choice(contacts)
            modality = "text" if contact.phone_number and self.modality_for(contact) == "text" else "email"
            if modality == "email" and not contact.email:
                continue
            subject = rng.choice(_OUTREACH_SUBJECTS)
            first = contact.first_name or "there"
            draft = MessageDraft(
                draft_id=self.new_id("message-draft"),
                modality=modality,
                subject=subject if modality == "email" else None,
                body_html=f"<p>Hi {first}, this is {rng.choice(agents).first_name} with "
                f"{data.org.name.replace('&', '&amp;')}. {subject}.</p>",
                agent_id=rng.choice(agents).agent_id,
                recipient_name=contact.name,
                recipient_email=contact.email if modality == "email" else None,
                recipient_phone_number=contact.phone_number if modality == "text" else None,
                folder=rng.choice(_DRAFT_FOLDERS),
                created_at=self.ago(0.1, 21),
            )
            data.message_drafts[draft.draft_id] = draft

    def build_promoted(self) -> None:
        """Drafts that were already sent, so their IDs answer the documented 404 hints."""
        rng, data, n = self.rng, self.data, self.profile.promoted_drafts
        convs = data.conversations_by_activity()
        outreach = [c for c in convs if c.plan[0].direction == "outbound" and c.modality == "email"]
        for conv in rng.sample(outreach, min(n, len(outreach))):
            draft_id = self.new_id("message-draft")
            data.promoted_message_drafts[draft_id] = PromotedMessageDraft(draft_id, conv.conversation_id)
        replied = [c for c in convs if any(p.direction == "outbound" for p in c.plan[1:])]
        for conv in rng.sample(replied, min(n, len(replied))):
            message = [p for p in conv.plan[1:] if p.direction == "outbound"][-1]
            response_id = self.new_id("response-draft")
            data.promoted_response_drafts[response_id] = PromotedResponseDraft(
                response_id, conv.conversation_id, message.message_id
            )

    def build(self) -> OrgData:
        self.build_agents()
        self.build_companies()
        self.build_contacts()
        self.build_conversations()
        self.build_sales()
        self.build_drafts()
        self.build_promoted()
        return self.data


def build_dataset(seed: int, anchor: datetime) -> Dataset:
    """Generate every organization (uncached; prefer :func:`pristine_dataset`)."""
    orgs: dict[str, OrgData] = {}
    fixtures = Fixtures()
    builders = [OrgBuilder(seed, anchor, profile) for profile in PROFILES]
    for builder in builders:
        data = builder.build()
        orgs[data.organization_id] = data
        if builder.profile.featured:
            featured.record_fixtures(builder, fixtures)
    fixtures.big_org_id, fixtures.mid_org_id, fixtures.small_org_id = list(orgs)[:3]
    for data in orgs.values():
        fixtures.promoted_message_draft_ids.update(
            {k: v.conversation_id for k, v in data.promoted_message_drafts.items()}
        )
        fixtures.promoted_response_draft_ids.update(
            {k: v.conversation_id for k, v in data.promoted_response_drafts.items()}
        )
    return Dataset(seed=seed, anchor=anchor, orgs=orgs, fixtures=fixtures)


@functools.lru_cache(maxsize=8)
def pristine_dataset(seed: int, anchor: datetime) -> Dataset:
    """The generated dataset for (seed, anchor), built once. Never mutate it: fork it."""
    return build_dataset(seed, anchor)
