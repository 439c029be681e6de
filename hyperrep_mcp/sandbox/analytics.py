"""The response-rate metric, computed from message directions and times.

* received: conversations whose *first inbound* message falls in ``[start, end)``;
* responded: those of them with an outbound message after that first inbound message (at any
  time, even after the window);
* rate: responded / received as a 0..1 float, 0.0 when nothing was received.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hyperrep_mcp.sandbox.dataset import OrgData


def response_rate(org: OrgData, start: datetime, end: datetime) -> dict[str, Any]:
    received = responded = 0
    for conversation_id in org.conversations:
        first_inbound, last_outbound = org.first_inbound_and_last_outbound(conversation_id)
        if first_inbound is None or not start <= first_inbound < end:
            continue
        received += 1
        if last_outbound is not None and last_outbound > first_inbound:
            responded += 1
    return {
        "numConversationsRespondedTo": responded,
        "numConversationsReceived": received,
        "responseRate": responded / received if received else 0.0,
    }
