"""list_contacts: its EXAMPLE's full text on the pinned sandbox (see snapshot.py)."""

from hyperrep_mcp.server.tools import list_contacts
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(list_contacts)
