"""upsert_response_draft: its EXAMPLE's full text on the pinned sandbox, in drafts mode (see snapshot.py)."""

from hyperrep_mcp.server.tools import upsert_response_draft
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(upsert_response_draft, write_mode="drafts")
