"""Our SDK tool objects: arguments are checked strictly, and problems read as a fix, not a stack of pydantic.

- An argument the tool does not have is refused with the list of the ones it has: a typo such as
  `querry` must not silently widen a search.
- Parameters hidden by configuration (a pinned organization_id, autosend_draft outside autosend
  mode) are still accepted and dropped, as the spec says: passing them changes nothing.
- Validation errors name each field and the rule, without input echoes or documentation links.
  IDs and cursors that break their pattern (a '/', a dot segment, whitespace) say what an ID is.

The SDK's `Tool.run` raises every anticipated failure as a `ToolError` whose `__cause__` is what was
raised (the arguments' `ValidationError`, or a resolver's own `ToolError`); we re-raise with a
message built from that cause, so nothing depends on the wording of the SDK's prefix.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver.exceptions import ResourceError, ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from pydantic import ValidationError

from hyperrep_mcp.server.validation import CURSOR_PATTERN, ID_PATTERN, cursor_problem, id_problem


def _message(field: str, err: Any) -> str:
    pattern = (err.get("ctx") or {}).get("pattern")
    if err["type"] == "string_pattern_mismatch" and pattern == ID_PATTERN:
        return id_problem(field)
    if err["type"] == "string_pattern_mismatch" and pattern == CURSOR_PATTERN:
        return cursor_problem(field)
    return f"{field}: {err['msg']}"


def validation_text(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_input=False, include_url=False):
        field = ".".join(str(p) for p in err["loc"]) or "arguments"
        parts.append(_message(field, err).rstrip("."))
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
        except UnexpectedToolError:
            raise  # a crash: the SDK's generic message, the traceback stays in the server log
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ValidationError):
                raise ToolError(f"Invalid arguments for {self.name}: {validation_text(cause)}.") from cause
            if isinstance(cause, ToolError | ResourceError):
                raise ToolError(str(cause)) from cause  # our own message, as the tool or resolver wrote it
            raise
