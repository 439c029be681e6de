"""Our SDK tool objects: arguments are checked strictly, and problems read as a fix, not a stack of pydantic.

- An argument the tool does not have is refused with the list of the ones it has: a typo such as
  `querry` must not silently widen a search.
- Parameters hidden by configuration (a pinned organization_id, autosend_draft outside autosend
  mode) are still accepted and dropped, as the spec says: passing them changes nothing.
- Validation errors name each field and the rule, without input echoes or documentation links.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from pydantic import ValidationError


def validation_text(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "arguments"
        parts.append(f"{field}: {err['msg']}")
    return "; ".join(parts)


class HyperRepTool(Tool):
    ignored: frozenset[str] = frozenset()

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        known = set(self.parameters.get("properties", {}))
        unknown = sorted(set(arguments) - known - self.ignored)
        if unknown:
            names = ", ".join(sorted(known)) or "none"
            raise ToolError(
                f"{self.name} has no argument {', '.join(repr(u) for u in unknown)}. Its arguments are: {names}."
            )
        try:
            return await super().run(arguments, context, convert_result)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ValidationError):
                raise ToolError(f"Invalid arguments for {self.name}: {validation_text(cause)}.") from cause
            text = str(exc).removeprefix(f"Error executing tool {self.name}: ")
            raise type(exc)(text) from cause
