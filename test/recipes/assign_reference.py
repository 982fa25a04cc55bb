"""The partition assignment of docs/API.md (assignPartitions), written from the docs alone in
Python's standard library, so the test can check that another language computes the same owners.

    python3 assign_reference.py '[[COUNT, [ID, ...]], ...]'   ->  a JSON array: for each case,
    the owner of each partition
"""
import hashlib
import json
import sys


def score(p, m):
    return int.from_bytes(hashlib.sha256(f"{p}:{m}".encode()).digest()[:8], "big")


def assign(count, ids):
    ids = sorted(set(ids), key=lambda s: s.encode())
    owners = [None] * count
    if not ids:
        return owners
    pairs = sorted(
        ((p, m) for p in range(count) for m in ids),
        key=lambda pm: (-score(*pm), pm[1].encode(), pm[0]),
    )
    base, extra = divmod(count, len(ids))
    load = {m: 0 for m in ids}
    big = 0
    for p, m in pairs:
        if owners[p] is not None:
            continue
        if load[m] < base or (load[m] == base and big < extra):
            owners[p] = m
            load[m] += 1
            if load[m] == base + 1:
                big += 1
    return owners


if __name__ == "__main__":
    print(json.dumps([assign(count, ids) for count, ids in json.loads(sys.argv[1])]))
