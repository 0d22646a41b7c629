"""Deletes every Redis key under the given prefixes and prints how many it deleted.

Not imported by the benchmark: local_services.py runs it with a baked service's Python,
because the environment the benchmark runs in has no redis client.

    python delete_redis_keys.py REDIS_URL PREFIX [PREFIX ...]
"""

import itertools
import sys

import redis

BATCH = 1000
# One run makes far fewer keys; the bound keeps a mistaken prefix from deleting without end.
MOST_KEYS = 1_000_000


def delete_under(client: redis.Redis, prefix: str) -> int:
    keys = list(itertools.islice(client.scan_iter(match=f"{prefix}*", count=BATCH), MOST_KEYS))
    for start in range(0, len(keys), BATCH):
        client.delete(*keys[start : start + BATCH])
    return len(keys)


def main(url: str, prefixes: list[str]) -> None:
    client = redis.Redis.from_url(url)
    print(sum(delete_under(client, prefix) for prefix in prefixes))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
