"""create_contact: its EXAMPLE's full text on the pinned sandbox, in drafts mode (see snapshot.py)."""

from hyperrep_mcp.server.tools import create_contact
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(create_contact, write_mode="drafts")
