"""search_messages: its EXAMPLE's full text on the pinned sandbox (see snapshot.py)."""

from hyperrep_mcp.server.tools import search_messages
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(search_messages)
