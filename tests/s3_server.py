"""An S3-compatible server on loopback for the object-store tests: moto's server mode in a thread
of the test process (127.0.0.1, a free port), with dummy credentials in the environment of the
tests that use it only.

Fixtures (imported by the conftest of the tests that need them):

- ``s3_endpoint`` (session): the server's URL; stopped at the end of the session;
- ``s3_env``: dummy ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` for one test;
- ``s3_bucket``: a fresh bucket for one test (its name), removed with what it holds afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

DUMMY_KEY = "testing-key"
DUMMY_SECRET = "testing-secret"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", DUMMY_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)


def storage_options(endpoint: str) -> dict[str, Any]:
    """What a store on the test server is given: the endpoint, credentials from the environment."""
    return {
        "endpoint_url": endpoint,
        "key": {"env": "AWS_ACCESS_KEY_ID"},
        "secret": {"env": "AWS_SECRET_ACCESS_KEY"},
    }


def boto_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=DUMMY_KEY,
        aws_secret_access_key=DUMMY_SECRET,
        region_name="us-east-1",
    )


def bucket_keys(endpoint: str, bucket: str, prefix: str = "") -> list[str]:
    """The keys in ``bucket`` under ``prefix``, sorted."""
    client = boto_client(endpoint)
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return sorted(keys)


@pytest.fixture
def s3_bucket(s3_endpoint: str, s3_env: None) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:12]}"
    client = boto_client(s3_endpoint)
    client.create_bucket(Bucket=name)
    yield name
    for key in bucket_keys(s3_endpoint, name):
        client.delete_object(Bucket=name, Key=key)
    client.delete_bucket(Bucket=name)
