"""HyperRep API v2 client: HTTP, models, errors, pagination. Knows nothing of MCP."""

from hyperrep_mcp.api.client import CallStats, EndpointMissingError, HyperRepClient, paginate, track_calls
from hyperrep_mcp.api.errors import HyperRepError

__all__ = ["CallStats", "EndpointMissingError", "HyperRepClient", "HyperRepError", "paginate", "track_calls"]
