"""Sends the calls of a JSON file to Pulse with segment-analytics-python, as an app would.

Usage: python send.py <host> <writeKey> <calls.json>
Each call: {"type": ..., snake_case keyword arguments of the library's call}. gzip is on,
so Pulse receives the compressed bodies this library sends.
"""
import json
import sys
from datetime import datetime

import segment.analytics as analytics


def main() -> int:
    host, write_key, path = sys.argv[1:4]
    with open(path, encoding="utf-8") as handle:
        calls = json.load(handle)
    failures = []
    analytics.write_key = write_key
    analytics.host = host
    analytics.gzip = True
    analytics.max_retries = 3
    analytics.on_error = lambda error, items: failures.append(f"{error} ({len(items)} calls)")
    for call in calls:
        kind = call.pop("type")
        if "timestamp" in call:
            call["timestamp"] = datetime.fromisoformat(call["timestamp"].replace("Z", "+00:00"))
        getattr(analytics, kind)(**call)
    analytics.flush()
    analytics.shutdown()
    if failures:
        print("delivery failed: " + "; ".join(failures), file=sys.stderr)
        return 1
    print(f"sent {len(calls)} calls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
