"""upsert_response_draft: its EXAMPLE's full text on the pinned sandbox, in drafts mode (see snapshot.py)."""

from hyperrep_mcp.server.tools import upsert_response_draft
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(upsert_response_draft, write_mode="drafts")


def test_a_confirmation_with_the_channel_unknown_marks_no_address_as_unused():
    """What a person confirms is what is sent (SPEC 3): where neither the conversation nor its
    messages say the channel, the reply may go to either address, so neither is 'not sent to'."""
    from hyperrep_mcp.server.tools.write_common import to_lines

    unknown = to_lines(None, "Diana Prince", "diana@example.com", "+15138675309")
    assert unknown == [
        "To: Diana Prince <diana@example.com> or +15138675309 "
        "(by the conversation's channel, which HyperRep did not say)"
    ]
    assert to_lines("text", "Diana Prince", "diana@example.com", "+15138675309") == [
        "To: Diana Prince +15138675309",
        "Recipient's email (recorded, not sent to): diana@example.com",
    ]
    assert to_lines("email", "Diana Prince", "diana@example.com", None) == [
        "To: Diana Prince <diana@example.com>"
    ]
