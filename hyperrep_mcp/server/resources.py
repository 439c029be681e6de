"""MCP resources (SPEC section 6): the same renderings as the tools, addressable by URI."""

from __future__ import annotations

from mcp.server import MCPServer


def register_resources(server: MCPServer) -> None:
    """Register the hyperrep:// resources and their completions (to be written)."""
