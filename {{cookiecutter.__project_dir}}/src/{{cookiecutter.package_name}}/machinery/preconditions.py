"""Conditional requests: an ETag per version, and If-Match required to change anything.

A change without If-Match is refused with 428 (RFC 6585), one made against an old version
with 412 (RFC 9110 13.1.1); GET answers 304 to a matching If-None-Match. The versions a
client names are handed to the write itself, which compares them (see notes.py): checked
here and written later, two clients could both pass the check.
"""

from __future__ import annotations

from pydantic import MISSING, BaseModel, ConfigDict, Field
from werkzeug.http import parse_etags, quote_etag

from .errors import APIError

# Versions are INTEGER columns: a larger number in an If-Match cannot match, and must not
# reach the database, which would refuse it as out of range.
MAX_VERSION = 2**31 - 1


class IfMatchHeader(BaseModel):
    # Required in the document: a client must send it. Optional to the validation, so that
    # its absence gets a 428 that says what to send instead of a 422.
    model_config = ConfigDict(json_schema_extra={"required": ["if_match"]})

    if_match: str | MISSING = Field(
        MISSING, description="The ETag of the version this change was made against, or *"
    )


class IfNoneMatchHeader(BaseModel):
    if_none_match: str | MISSING = Field(
        MISSING, description="The ETag the client holds: 304 when it is still current"
    )


def etag_header() -> dict[str, dict]:
    """The ETag header, as a response declares it in the OpenAPI document."""
    return {"ETag": {"description": "The version's entity tag", "schema": {"type": "string"}}}


def etag(version: int) -> str:
    return quote_etag(str(version))


def versions_named(header: IfMatchHeader) -> frozenset[int] | None:
    """The versions an If-Match names; None for *, which matches any version."""
    if header.if_match is MISSING:
        raise APIError(
            428,
            "precondition_required",
            "Send If-Match with the ETag of the version you read (or *)",
        )
    etags = parse_etags(header.if_match)
    if etags.star_tag:
        return None
    # Only strong tags count for If-Match; a weak one never matches.
    return frozenset(
        int(tag)
        for tag in etags.as_set()
        if tag.isascii() and tag.isdigit() and int(tag) <= MAX_VERSION
    )


def precondition_failed(what: str) -> APIError:
    return APIError(
        412,
        "precondition_failed",
        f"The {what} changed since that version: read it again and reapply your change",
    )


def still_current(header: IfNoneMatchHeader, version: int) -> bool:
    """Whether the client's copy (If-None-Match, weakly compared) is the current one."""
    if header.if_none_match is MISSING:
        return False
    return parse_etags(header.if_none_match).contains_weak(str(version))
