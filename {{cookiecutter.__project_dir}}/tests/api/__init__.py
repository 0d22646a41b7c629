"""The routes, in-process, against real Redis and the real database: what each answers,
with which errors, and what it stores. A team's tests of its own routes go here."""
