"""The JSON API: one module per concern, each exposing a `blueprint`.

create_app registers every module found here, so an optional feature is added or removed
by adding or deleting its file.
"""
