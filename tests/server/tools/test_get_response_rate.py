"""get_response_rate: its EXAMPLE's full text on the pinned sandbox (see snapshot.py)."""

from hyperrep_mcp.server.tools import get_response_rate
from tests.server.tools.snapshot import snapshot_test

test_example = snapshot_test(get_response_rate)
