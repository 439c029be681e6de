"""get_contact: its EXAMPLE's full text on the pinned sandbox (see snapshot.py)."""

from datetime import UTC, datetime

from hyperrep_mcp.render.views import ContactView, ConversationView, OrgRef
from hyperrep_mcp.server.tools import get_contact
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(get_contact)


def profile(n: int, *, more: bool, asked: bool = True) -> get_contact.Profile:
    conversations = [
        ConversationView(
            conversation_id=f"HR_id_c{i}",
            modality="text" if i % 2 else "email",
            subject=None if i % 2 else f"Gutter estimate {i}",
            last_from="customer",
            last_message_at=f"2026-11-1{i}T09:00:00Z",
            gist=f"Is the crew still coming on day {i}? " * 3,
        )
        for i in range(n)
    ]
    return get_contact.Profile(
        organization=OrgRef(organization_id="HR_id_org", name="Summit"),
        contact=ContactView(contact_id="HR_id_diana", name="Diana Prince", email="diana@example.com"),
        conversations=conversations if asked else None,
        more=more,
        detailed=False,
        now=datetime(2026, 11, 18, 15, 30, tzinfo=UTC),
        suggestions=['get_conversation_thread(conversation_id="HR_id_c0")'],
    )


def test_the_whole_result_is_a_pure_function_of_the_profile():
    """No sandbox: the contact leads, conversations follow without repeating her name, a small
    budget cuts whole conversations and says where the rest are, and not asking for conversations
    shows none."""
    whole = get_contact.shown(profile(3, more=True), budget=24000)
    text = whole.content[0].text
    assert text.startswith("Contact in Summit: Diana Prince")
    assert "Recent conversations, newest first (3 shown; more exist):" in text
    assert text.count("Diana Prince") == 1 and "Gutter estimate 0" in text
    assert [c["conversation_id"] for c in whole.structured_content["conversations"]] == [
        "HR_id_c0",
        "HR_id_c1",
        "HR_id_c2",
    ]
    assert whole.structured_content["more_conversations"] is True

    cut = get_contact.shown(profile(5, more=False), budget=1200)
    kept = len(cut.structured_content["conversations"])
    assert len(cut.content[0].text) <= 1200 and 0 < kept < 5
    assert 'list_conversations(contact_id="HR_id_diana") lists them all' in cut.content[0].text
    assert cut.structured_content["more_conversations"] is True  # some were cut

    alone = get_contact.shown(profile(0, more=False, asked=False), budget=24000)
    assert "conversations" not in alone.content[0].text.lower()
    assert alone.structured_content["conversations"] == []
