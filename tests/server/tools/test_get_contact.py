"""get_contact: its EXAMPLE's full text on the pinned sandbox (see snapshot.py)."""

from hyperrep_mcp.server.tools import get_contact
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(get_contact)
