"""The response-rate metric, computed from message directions and times.

* received: conversations whose *first inbound* message falls in ``[start, end)``;
* responded: those of them with an outbound message after that first inbound message (at any
  time, even after the window);
* rate: responded / received as a 0..1 float, 0.0 when nothing was received.
"""

from __future__ import annotations

import bisect
from datetime import datetime
from typing import Any

from hyperrep_mcp.sandbox.dataset import OrgData


def response_rate(org: OrgData, start: datetime, end: datetime) -> dict[str, Any]:
    times, answered = org.received_and_answered()  # an index, like a real API's database has
    lo, hi = bisect.bisect_left(times, start), bisect.bisect_left(times, end)
    received, responded = hi - lo, answered[hi] - answered[lo]
    return {
        "numConversationsRespondedTo": responded,
        "numConversationsReceived": received,
        "responseRate": responded / received if received else 0.0,
    }
