"""MCP prompts, loaded from the markdown files in prompts/ (SPEC section 6)."""

from __future__ import annotations

from mcp.server import MCPServer


def register_prompts(server: MCPServer) -> None:
    """Register every prompts/*.md file as a prompt (to be written)."""
