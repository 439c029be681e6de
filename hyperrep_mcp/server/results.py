"""How a tool answers: one compact text plus our lean structured view, or a clear error."""

from __future__ import annotations

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel


class ToolInputError(Exception):
    """The model's arguments cannot work; the message names the field and the fix. Nothing was sent."""


def tool_result(view: BaseModel, text: str) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=view.model_dump(mode="json", exclude_none=True),
    )


def tool_error(text: str) -> CallToolResult:
    return CallToolResult(is_error=True, content=[TextContent(type="text", text=text)])
