"""Error bodies the sandbox answers with, and the exceptions handlers raise to produce them.

The real API answers ``{"detail": "<string>"}`` for most failures and FastAPI's validation shape
(``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``) for badly formatted input (422).
Every string detail the sandbox can send lives in :class:`Messages`, so tests and the client code
can compare against one constant instead of retyping the wording.
"""

from __future__ import annotations

from typing import Any, Final


class Messages:
    """Verbatim ``detail`` strings. The first block is documented (page 04); the rest is ours."""

    # Documented on the errors page: keep the exact wording.
    INVALID_API_KEY: Final = "Invalid API Key"
    INVALID_ORGANIZATION: Final = "Invalid organization_id"
    INVALID_CONTACT: Final = "Invalid contact_id"
    INVALID_CURSOR: Final = "Invalid cursor"
    REVERSED_RANGE: Final = "start_date must be less than or equal to end_date"
    FUTURE_RANGE: Final = "start_date and end_date cannot be in the future"
    CONVERSATION_NOT_FOUND: Final = "Conversation not found"
    MESSAGE_NOT_FOUND: Final = "Message not found"

    # Not given verbatim by the pages: the sandbox's wording.
    NOT_FOUND: Final = "Not Found"  # unknown route (FastAPI's default)
    METHOD_NOT_ALLOWED: Final = "Method Not Allowed"
    MESSAGE_DRAFT_NOT_FOUND: Final = "Message draft not found"
    RESPONSE_DRAFT_NOT_FOUND: Final = "Response draft not found"
    CONTACT_NEEDS_IDENTITY: Final = "At least one of name, email, or phone_number is required"
    INVALID_EMAIL: Final = "Invalid email address: {value}"
    INVALID_PHONE: Final = "Invalid phone_number: {value}"
    INVALID_COMPANY: Final = "Invalid company_id"
    INVALID_MODALITY: Final = "modality must be one of: email, text"
    DRAFT_NEEDS_CONTENT: Final = "Provide subject or body_html (or both)"
    EMPTY_BODY: Final = "body_html must not be empty"
    FLAGS_EXCLUSIVE: Final = (
        "autosend_draft and add_notification are mutually exclusive; set add_notification=false"
    )
    NO_CREDENTIALS: Final = "Organization has no credentials configured for modality '{modality}'"
    EMAIL_RECIPIENT_REQUIRED: Final = "to_email is required for email drafts"
    TEXT_RECIPIENT_REQUIRED: Final = "to_phone_number is required for text drafts"
    MESSAGE_DRAFT_SENDING: Final = "Message draft is currently sending and cannot be deleted"
    RESPONSE_DRAFT_SENDING: Final = "Response draft is currently sending and cannot be deleted"
    RESPONSE_DRAFT_SENDING_UPDATE: Final = "Response draft is currently sending and cannot be modified"
    # Route hints (404). Placeholders are filled with the real IDs.
    MESSAGE_DRAFT_PROMOTED: Final = (
        "Message draft was sent and promoted into a conversation; use GET "
        "/api/v2/organizations/{org}/conversations/{conversation_id}/messages"
    )
    RESPONSE_DRAFT_PROMOTED: Final = (
        "Response draft was sent and promoted into a message; use GET "
        "/api/v2/organizations/{org}/conversations/{conversation_id}/messages/{message_id}"
    )
    RESPONSE_DRAFT_PROMOTED_NO_DETAIL: Final = (
        "Response draft was sent and promoted into a message (message_id {message_id}); use GET "
        "/api/v2/organizations/{org}/conversations/{conversation_id}/messages"
    )
    IS_RESPONSE_DRAFT: Final = (
        "This ID belongs to a response draft, not a message draft; use GET "
        "/api/v2/organizations/{org}/conversations/{conversation_id}/response-drafts/{draft_id}"
    )
    IS_MESSAGE_DRAFT: Final = (
        "This ID belongs to a message draft, not a response draft; use GET "
        "/api/v2/organizations/{org}/message-drafts/{draft_id}"
    )
    # Faults.
    INTERNAL_ERROR: Final = "Internal server error"
    BAD_GATEWAY: Final = "Bad gateway"
    SERVICE_UNAVAILABLE: Final = "Service unavailable"
    GATEWAY_TIMEOUT: Final = "Gateway timeout"
    TOO_MANY_REQUESTS: Final = "Too many requests"


class ApiError(Exception):
    """A failure answered as ``{"detail": detail}`` with ``status``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class ValidationFailed(Exception):
    """A 422 in FastAPI's shape: ``detail`` is a list of error objects."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"422: {errors}")
        self.errors = errors


def field_error(
    location: str, name: str | int, msg: str, kind: str, value: Any = None, **ctx: Any
) -> dict[str, Any]:
    """One entry of a FastAPI-style 422 ``detail`` list."""
    error: dict[str, Any] = {"type": kind, "loc": [location, name], "msg": msg, "input": value}
    if ctx:
        error["ctx"] = ctx
    return error


def bad_request(detail: str) -> ApiError:
    return ApiError(400, detail)


def not_found(detail: str) -> ApiError:
    return ApiError(404, detail)
