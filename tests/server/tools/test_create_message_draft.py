"""create_message_draft: its EXAMPLE's full text on the pinned sandbox, in drafts mode (see snapshot.py)."""

from hyperrep_mcp.server.tools import create_message_draft
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(create_message_draft, write_mode="drafts")
