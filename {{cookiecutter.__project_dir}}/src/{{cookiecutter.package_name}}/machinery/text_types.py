"""Text a request may carry into storage, as types the team's schemas use.

PostgreSQL's text cannot hold a NUL character (psycopg raises DataError, a 500 if it gets
that far), so every stored string refuses it in validation: a 422 that names the field.
Lone surrogates ("\\ud800", valid JSON) cannot be encoded at all; pydantic refuses them in
every str field by itself. The patterns are in the OpenAPI document too, so a client (and
schemathesis) knows which strings are valid before sending them.
"""

from typing import Annotated

from pydantic import Field

StoredText = Annotated[str, Field(pattern=r"^[^\x00]*$")]
# No control characters at all: names and other text shown on one line.
PlainText = Annotated[str, Field(pattern=r"^[^\x00-\x1f\x7f]*$")]
