"""Opaque cursors for keyset pages: the (created_at, id) of the last row a page showed.

Opaque so that clients pass it back as it is and never build one: its form can change.
It is not signed; a forged cursor only starts a page elsewhere in rows the client may read.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from .errors import APIError

MAX_CURSOR_LENGTH = 200


def encode_cursor(created_at: datetime, row_id: int) -> str:
    raw = json.dumps([created_at.isoformat(), row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, row_id = json.loads(raw)
        created_at = datetime.fromisoformat(moment)
        if created_at.tzinfo is None or type(row_id) is not int or not 0 < row_id < 2**63:
            raise ValueError(cursor)
    except (binascii.Error, UnicodeDecodeError, TypeError, ValueError):
        raise APIError(422, "invalid_cursor", "Pass back a next_cursor as it was given") from None
    return created_at, row_id
