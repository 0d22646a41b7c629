"""Notes: the sample resource, its schemas and its routes; copy it for a resource of your own.

Every route needs a login, and a user sees only the notes they wrote: another user's note is
a 404, as one that does not exist. Two clients may edit the same note at once: every answer
carries the note's ETag, a change or delete must send it back in If-Match, and one made
against an old version gets a 412 instead of overwriting the other (notes.py says how). The
list is paged by an opaque cursor, oldest first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from apiflask import APIBlueprint
from flask import Response, url_for
from pydantic import MISSING, BaseModel, ConfigDict, Field, model_validator

from .. import notes
from ..machinery.errors import APIError
from ..machinery.keyset_cursor import MAX_CURSOR_LENGTH, decode_cursor, encode_cursor
from ..machinery.preconditions import (
    IfMatchHeader,
    IfNoneMatchHeader,
    etag,
    etag_header,
    precondition_failed,
    still_current,
    versions_named,
)
from ..machinery.text_types import StoredText
from ..machinery.user_sessions import current_username, login_required
from ..models import Note

blueprint = APIBlueprint("notes_api", __name__, url_prefix="/api/notes", tag="Notes")
NOTE_PATH = "/<int:note_id>"
DATABASE_DOWN = "The database or Redis (the session store) is unavailable"
NOT_LOGGED_IN = "Not logged in"
NOT_YOURS = "No such note among yours"

Title = Annotated[StoredText, Field(min_length=1, max_length=200)]
Body = Annotated[StoredText, Field(max_length=10_000)]


class NotePath(BaseModel):
    note_id: int = Field(ge=1, le=2**63 - 1)  # a BIGINT: a larger id is a 422, not a 500


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body = ""


class NoteChanges(BaseModel):
    """Either field or both; a field left out keeps its value."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    title: Title | MISSING = MISSING
    body: Body | MISSING = MISSING

    @model_validator(mode="after")
    def _changes_something(self) -> NoteChanges:
        if not self.model_fields_set:
            raise ValueError("Send title, body or both")
        return self


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    version: int
    created_at: datetime
    updated_at: datetime


class NotePage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    items: list[NoteOut]
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page")


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=MAX_CURSOR_LENGTH)


def _links_from_a_new_note() -> dict[str, dict]:
    """What a client (or schemathesis) may do next with the note it created."""
    this_version = {"note_id": "$response.body#/id", "header.if-match": "$response.header.ETag"}
    return {
        "GetNote": {"operationId": "get_note", "parameters": {"note_id": "$response.body#/id"}},
        "ChangeNote": {"operationId": "change_note", "parameters": this_version},
        "DeleteNote": {"operationId": "delete_note", "parameters": this_version},
    }


def _with_etag(note: Note, status: int = 200) -> tuple[Note, int, dict[str, str]]:
    return note, status, {"ETag": etag(note.version)}


def _not_found(note_id: int) -> APIError:
    return APIError(404, "not_found", f"No note {note_id}")


@blueprint.post("")
@login_required
@blueprint.input(NoteIn, arg_name="note")
@blueprint.output(NoteOut, status_code=201, headers=etag_header(), links=_links_from_a_new_note())
@blueprint.doc(operation_id="create_note", responses={401: NOT_LOGGED_IN, 503: DATABASE_DOWN})
def create(note: NoteIn):
    created = notes.create(current_username(), note.title, note.body)
    location = url_for("notes_api.show", note_id=created.id)
    return created, 201, {"ETag": etag(created.version), "Location": location}


@blueprint.get("")
@login_required
@blueprint.input(PageQuery, location="query", arg_name="page")
@blueprint.output(NotePage)
@blueprint.doc(operation_id="list_notes", responses={401: NOT_LOGGED_IN, 503: DATABASE_DOWN})
def index(page: PageQuery):
    position = decode_cursor(page.cursor) if page.cursor else None
    items, more = notes.page_after(current_username(), position, page.limit)
    cursor = encode_cursor(items[-1].created_at, items[-1].id) if more else None
    return {"items": items, "next_cursor": cursor}


@blueprint.get(NOTE_PATH)
@login_required
@blueprint.input(NotePath, location="path", arg_name="path")
@blueprint.input(IfNoneMatchHeader, location="headers", arg_name="condition")
@blueprint.output(NoteOut, headers=etag_header())
@blueprint.doc(
    operation_id="get_note",
    responses={304: "Not modified", 401: NOT_LOGGED_IN, 404: NOT_YOURS, 503: DATABASE_DOWN},
)
def show(note_id: int, path: NotePath, condition: IfNoneMatchHeader):
    note = notes.find(current_username(), note_id)
    if note is None:
        raise _not_found(note_id)
    if still_current(condition, note.version):
        return Response(status=304, headers={"ETag": etag(note.version)})
    return _with_etag(note)


@blueprint.patch(NOTE_PATH)
@login_required
@blueprint.input(NotePath, location="path", arg_name="path")
@blueprint.input(IfMatchHeader, location="headers", arg_name="condition")
@blueprint.input(NoteChanges, arg_name="changes")
@blueprint.output(NoteOut, headers=etag_header())
@blueprint.doc(
    operation_id="change_note",
    responses={
        401: NOT_LOGGED_IN,
        404: NOT_YOURS,
        412: "The note changed since the version in If-Match",
        428: "If-Match is missing",
        503: DATABASE_DOWN,
    },
)
def change(note_id: int, path: NotePath, condition: IfMatchHeader, changes: NoteChanges):
    author = current_username()
    note = notes.change(author, note_id, versions_named(condition), changes.model_dump())
    if note is None:
        exists = notes.note_exists(author, note_id)
        raise precondition_failed("note") if exists else _not_found(note_id)
    return _with_etag(note)


@blueprint.delete(NOTE_PATH)
@login_required
@blueprint.input(NotePath, location="path", arg_name="path")
@blueprint.input(IfMatchHeader, location="headers", arg_name="condition")
@blueprint.output({}, status_code=204)
@blueprint.doc(
    operation_id="delete_note",
    responses={
        401: NOT_LOGGED_IN,
        404: NOT_YOURS,
        412: "The note changed since the version in If-Match",
        428: "If-Match is missing",
        503: DATABASE_DOWN,
    },
)
def remove(note_id: int, path: NotePath, condition: IfMatchHeader):
    author = current_username()
    if not notes.remove(author, note_id, versions_named(condition)):
        exists = notes.note_exists(author, note_id)
        raise precondition_failed("note") if exists else _not_found(note_id)
    return ""
