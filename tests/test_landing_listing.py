"""Listing the landing area: the local lister and the in-memory S3 listing answer exactly like a
real S3 server (SeaweedFS), page by page, so request counts measured on them hold for S3."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from adventureworks_orchestration.devtools.memory_s3 import InMemoryS3Listing
from adventureworks_orchestration.landing.listing import LocalLandingLister, S3LandingLister
from adventureworks_orchestration.storage.s3 import ensure_buckets, s3_client

KEYS = sorted(
    {
        *(
            f"bookings/{t}/2024-{m:02d}-{d:02d}.csv"
            for t in ("bookings", "members")
            for m in (1, 2, 3)
            for d in range(1, 29)
        ),
        "bookings/bookings/2024-03-05.csv.tmp",
        "bookings/bookings/2024-03-05-old.csv",
        "bookings/bookings/README.txt",
        "bookings/bookings/archive/2023-12-31.csv",
        "bookings/members/_SUCCESS",
        "bookings/r\u00e9sum\u00e9.csv",
        "other/x.csv",
        "top.txt",
    }
)
QUERIES = [
    ("bookings/", "", 1000),
    ("bookings/", "", 7),
    ("bookings/bookings/2024-0", "bookings/bookings/2024-02-20", 8),
    ("bookings/bookings/2024-03-0", "bookings/bookings/2024-03-04", 3),
    ("bookings/members/", "bookings/members/2024-02-28.csv", 1),
    ("bookings/bookings/2024-03-05", "", 2),
    ("", "bookings/members/2024-03-27", 5),
    ("bookings/nothing/", "", 10),
]


def _pages(lister, prefix, start_after, page_size, count):
    keys = [item.key for item in lister.list_after(prefix, start_after, page_size)]
    return keys, count()


@pytest.fixture(scope="module")
def real_bucket(s3_store):
    store = replace(s3_store, landing_bucket=f"listing-{uuid.uuid4().hex[:8]}")
    ensure_buckets(store, [store.landing_bucket])
    client = s3_client(store)
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(
            pool.map(
                lambda k: client.put_object(Bucket=store.landing_bucket, Key=k, Body=b"x"), KEYS
            )
        )
    return client, store.landing_bucket


@pytest.mark.parametrize(("prefix", "start_after", "page_size"), QUERIES)
def test_memory_listing_pages_exactly_like_seaweedfs(real_bucket, prefix, start_after, page_size):
    client, bucket = real_bucket
    calls = {"n": 0}
    client.meta.events.register(
        "before-call.s3.ListObjectsV2", lambda **_: calls.__setitem__("n", calls["n"] + 1)
    )
    memory = InMemoryS3Listing((key, 1, "etag") for key in KEYS)
    calls["n"] = 0

    real = _pages(
        S3LandingLister(client, bucket), prefix, start_after, page_size, lambda: calls["n"]
    )
    fake = _pages(
        S3LandingLister(memory, "b"),
        prefix,
        start_after,
        page_size,
        lambda: memory.counter.requests,
    )

    assert fake == real
    assert real[0] == sorted(k for k in KEYS if k.startswith(prefix) and k > start_after)


@pytest.mark.parametrize(("prefix", "start_after", "page_size"), QUERIES)
def test_local_listing_lists_the_same_keys_as_s3(tmp_path, prefix, start_after, page_size):
    for key in KEYS:
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_text("x")
    memory = InMemoryS3Listing((key, 1, "etag") for key in KEYS)

    local = [
        item.key for item in LocalLandingLister(tmp_path).list_after(prefix, start_after, page_size)
    ]

    assert local == [
        item.key for item in S3LandingLister(memory, "b").list_after(prefix, start_after, page_size)
    ]


def test_a_caller_that_stops_at_the_end_of_a_page_costs_no_further_request():
    memory = InMemoryS3Listing((f"k/{i:04d}", 1, "e") for i in range(50))
    listing = S3LandingLister(memory, "b").list_after("k/", page_size=10)
    taken = [next(listing).key for _ in range(10)]
    assert taken[-1] == "k/0009" and memory.counter.requests == 1
