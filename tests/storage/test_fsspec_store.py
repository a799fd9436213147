"""FsspecObjectStore: the streaming-store conformance suite on S3 (moto's server on loopback),
in memory and on local files; copies inside the store; faults (an unreachable endpoint, a missing
bucket, an unset secret) named with the URL, fast."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path

import pytest

from notebook_pipelines.errors import DagsterStorageError
from notebook_pipelines.storage.fsspec_store import FsspecObjectStore
from notebook_pipelines.testing.storage_suite import StreamingObjectStoreSuite
from tests.s3_server import bucket_keys, s3_bucket, s3_endpoint, s3_env, storage_options

__all__ = ["s3_bucket", "s3_endpoint", "s3_env"]  # fixtures


class TestS3ObjectStore(StreamingObjectStoreSuite):
    @pytest.fixture
    def store(self, s3_endpoint: str, s3_bucket: str) -> FsspecObjectStore:
        return FsspecObjectStore(f"s3://{s3_bucket}/prefix", storage_options(s3_endpoint))


class TestMemoryObjectStore(StreamingObjectStoreSuite):
    @pytest.fixture
    def store(self) -> FsspecObjectStore:
        return FsspecObjectStore(f"memory://suite-{uuid.uuid4().hex}")


class TestLocalFsspecObjectStore(StreamingObjectStoreSuite):
    @pytest.fixture
    def store(self, tmp_path: Path) -> FsspecObjectStore:
        return FsspecObjectStore(f"file://{tmp_path}/store")


def test_uris_name_the_bucket_and_copies_stay_in_the_store(
    s3_endpoint: str, s3_bucket: str
) -> None:
    store = FsspecObjectStore(f"s3://{s3_bucket}/prefix/", storage_options(s3_endpoint))
    key = store.key_for_paths(["r1", "intermediates", "a.compute", "result"])
    assert store.set_object(key, 41) == f"s3://{s3_bucket}/prefix/r1/intermediates/a.compute/result"
    copied = store.cp_object(
        key, store.key_for_paths(["r2", "intermediates", "a.compute", "result"])
    )
    assert copied == f"s3://{s3_bucket}/prefix/r2/intermediates/a.compute/result"
    assert bucket_keys(s3_endpoint, s3_bucket) == [
        "prefix/r1/intermediates/a.compute/result",
        "prefix/r2/intermediates/a.compute/result",
    ]
    assert "secret" not in repr(store) and "testing" not in repr(store)


def test_a_large_value_streams_through_a_multipart_upload(s3_endpoint: str, s3_bucket: str) -> None:
    store = FsspecObjectStore(f"s3://{s3_bucket}/big", storage_options(s3_endpoint))
    key = store.key_for_paths(["r1", "v"])
    value = [bytes([i % 256]) * 100_000 for i in range(120)]  # 12 MB: several parts
    store.set_object(key, value)
    assert store.get_object(key) == value


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_endpoint_fails_fast_naming_the_url(s3_env: None) -> None:
    endpoint = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    store = FsspecObjectStore("s3://nowhere/prefix", storage_options(endpoint))
    key = store.key_for_paths(["r1", "intermediates", "a.compute", "result"])
    started = time.monotonic()
    with pytest.raises(DagsterStorageError) as raised:
        store.set_object(key, 1)
    assert time.monotonic() - started < 30
    assert "s3://nowhere/prefix/r1/intermediates/a.compute/result" in str(raised.value)
    assert "reachable" in str(raised.value)
    with pytest.raises(DagsterStorageError, match="s3://nowhere/prefix"):
        store.get_object(key)


def test_a_missing_bucket_is_named(s3_endpoint: str, s3_env: None) -> None:
    store = FsspecObjectStore("s3://no-such-bucket/prefix", storage_options(s3_endpoint))
    key = store.key_for_paths(["r1", "intermediates", "a.compute", "result"])
    with pytest.raises(DagsterStorageError) as raised:
        store.set_object(key, 1)
    assert "s3://no-such-bucket/prefix" in str(raised.value)
    assert "bucket" in str(raised.value)


def test_an_unset_secret_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NP_TEST_UNSET_SECRET", raising=False)
    with pytest.raises(DagsterStorageError, match="NP_TEST_UNSET_SECRET"):
        FsspecObjectStore("s3://b/p", {"key": {"env": "NP_TEST_UNSET_SECRET"}})
