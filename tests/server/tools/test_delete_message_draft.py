"""delete_message_draft: its EXAMPLE's full text on the pinned sandbox, the person saying yes (see snapshot.py)."""

from hyperrep_mcp.server.tools import delete_message_draft
from tests.server.test_writes import Human
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(
    delete_message_draft, client_options={"elicitation_callback": Human(delete=True)}, write_mode="drafts"
)
