"""inbox_overview: its EXAMPLE's full text on the pinned sandbox (see snapshot.py)."""

from hyperrep_mcp.server.tools import inbox_overview
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(inbox_overview)
