"""The team's routes: the JSON API, one module per concern, each exposing a `blueprint`.

create_app registers every module found here, so an optional feature is added or removed
by adding or deleting its file. The modules here are samples to edit, copy or delete; their
tests are in tests/api/.
"""

# The API's own version, as the OpenAPI document states it: raise it when the contract
# changes, and commit the new openapi.json with it (README: The API contract).
VERSION = "0.1.0"
