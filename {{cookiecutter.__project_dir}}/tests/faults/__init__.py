"""Faults and bad input on the real server: Redis and the database lost, hung, refusing or
failing over, stale pooled connections, killed workers, and requests that are not valid:
each answered with a fast JSON error and recovered from without a restart."""
