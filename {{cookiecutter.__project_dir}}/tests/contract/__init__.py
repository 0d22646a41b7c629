"""What a client can rely on: the published contract (/openapi.json), checked against the
live server by a third-party tool, schemathesis, from the document alone."""
