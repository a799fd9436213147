"""Values in any fsspec file system (layer 3): :class:`FsspecObjectStore`, a
:class:`~.object_store.StreamingObjectStore` at a URL such as ``s3://bucket/prefix`` (s3fs),
``memory://scratch`` or ``file:///shared/disk``.

Key ``a/b/c`` is the object ``<url>/a/b/c``; the URIs in events and messages are those URLs.
Values are streamed to and from the remote file (a pickle goes straight into the upload buffer and
is read back with ``pickle.load`` from the remote file). fsspec is imported when a store is made,
never by ``import notebook_pipelines``.

What a write guarantees, as the filesystem store: the value appears under its key only when the
``open_for_write`` block ends without an error. On an object store (S3, GCS, Azure) an object
appears when its upload completes, so a failed block discards the upload (the old value stays); on
other file systems the value is written to a temporary sibling (a name with a leading ``.``, which
no valid key part has) and moved into place. A copy (:meth:`FsspecObjectStore.cp_object`, a
re-execution reusing its parent's outputs) is ``fs.copy`` inside the store: a server-side copy on
S3, nothing goes through this process.

Faults of the environment: an unreachable endpoint, a missing bucket, refused credentials become
:class:`~notebook_pipelines.errors.DagsterStorageError` naming the URL (the engine fails the step
with its message). Timeouts and retries are low by default (:data:`S3_DEFAULTS`: a connection is
given 5 seconds, a request two attempts), so a store that cannot be reached fails the step within
seconds instead of hanging; ``storage_options`` override them.

``storage_options`` are passed to the fsspec file system (for s3fs: ``endpoint_url``, ``key``,
``secret``, ``client_kwargs``, ``config_kwargs``...). A value ``{"env": "NAME"}`` is read from the
environment variable ``NAME`` when the store is made (in each process that makes one), so secrets
stay out of run config and ``instance.yaml``; :func:`resolve_storage_options` does it.
"""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Iterator, Mapping
from typing import IO, Any

from ..errors import DagsterStorageError
from .home import resolve_env
from .keys import check_key_part
from .object_store import ObjectNotFoundError, StreamingObjectStore

#: Protocols whose files appear only when their upload completes (discarded on failure).
OBJECT_STORE_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "abfs", "az", "adl", "oss"})

#: s3fs's own retries of a request (its class attribute ``retries``; option ``retries``).
S3_RETRIES = 2

#: s3fs defaults: fail fast on an unreachable endpoint (override any of them in storage_options).
S3_DEFAULTS: dict[str, Any] = {
    "config_kwargs": {
        "connect_timeout": 5,
        "read_timeout": 60,
        "retries": {"max_attempts": 2, "mode": "standard"},
    },
    "use_listings_cache": False,
}

#: Modules whose exceptions are faults of the store (not of the value being serialised).
_STORE_MODULES = ("botocore", "aiobotocore", "aiohttp", "s3fs", "fsspec", "urllib3", "gcsfs")


def resolve_storage_options(options: Mapping[str, Any] | None, where: str) -> dict[str, Any]:
    """``options`` with every ``{"env": "NAME"}`` value replaced by ``$NAME`` (nested too).

    Raises :class:`DagsterStorageError` naming ``where`` and the variable when it is unset.
    """
    resolved = resolve_env(
        dict(options or {}),
        f"{where}: storage_options",
        error=lambda message: DagsterStorageError(message, path=where),
    )
    return dict(resolved)


def _merged(defaults: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in options.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _is_store_fault(error: BaseException) -> bool:
    module = type(error).__module__ or ""
    return isinstance(error, OSError) or module.split(".")[0] in _STORE_MODULES


class FsspecObjectStore(StreamingObjectStore):
    """Serialised values under ``url`` in an fsspec file system.

    ``storage_options`` go to the file system (``{"env": NAME}`` values are read from the
    environment; s3 gets :data:`S3_DEFAULTS` under them). ``fs`` gives a file system already made
    (``url`` is then the path in it, with or without its protocol).
    """

    name = "fsspec"

    def __init__(
        self,
        url: str,
        storage_options: Mapping[str, Any] | None = None,
        *,
        fs: Any = None,
    ) -> None:
        if not isinstance(url, str) or not url.strip("/"):
            raise DagsterStorageError(f"An object store needs a URL, got {url!r}", path=str(url))
        self._url = url.rstrip("/")
        protocol = self._url.split("://", 1)[0] if "://" in self._url else "file"
        self.protocol = protocol
        if fs is None:
            try:
                import fsspec
            except ModuleNotFoundError as error:  # pragma: no cover - the s3 extra has it
                raise DagsterStorageError(
                    f"The object store {self._url} needs fsspec: pip install "
                    "'notebook-pipelines[s3]'",
                    path=self._url,
                ) from error
            options = resolve_storage_options(storage_options, self._url)
            retries = None
            if protocol in ("s3", "s3a"):
                options = _merged(S3_DEFAULTS, options)
                retries = int(options.pop("retries", S3_RETRIES))
            try:
                fs, root = fsspec.core.url_to_fs(self._url, **options)
                if retries is not None:
                    fs.retries = retries
            except (ImportError, ValueError, TypeError) as error:
                raise DagsterStorageError(
                    f"Cannot open the object store {self._url}: {type(error).__name__}: {error}",
                    path=self._url,
                ) from None
        else:
            root = fs._strip_protocol(self._url)
        self.fs = fs
        self._root = str(root).rstrip("/")
        self._atomic_upload = protocol in OBJECT_STORE_PROTOCOLS
        self._made_dirs: set[str] = set()

    @property
    def url(self) -> str:
        return self._url

    def path_for_key(self, key: str) -> str:
        """The path of ``key`` in the file system (every part checked)."""
        parts = [check_key_part(p) for p in key.split("/")]
        return "/".join([self._root, *parts])

    def uri_for_key(self, key: str) -> str:
        return "/".join([self._url, *[check_key_part(p) for p in key.split("/")]])

    def _fault(self, error: BaseException, doing: str, key: str) -> DagsterStorageError:
        uri = self.uri_for_key(key)
        if isinstance(error, FileNotFoundError) and doing != "read":
            problem = (
                f"the bucket or folder of {self._url} does not exist "
                f"({type(error).__name__}: {error})"
            )
            remedy = "Create the bucket (or fix the URL), then re-execute."
        else:
            problem = f"{type(error).__name__}: {error}"
            remedy = (
                "Check that the object store is reachable at the configured endpoint and "
                "that the credentials allow it."
            )
        return DagsterStorageError(
            f"Cannot {doing} {uri} in the object store {self._url}: {problem}. {remedy}",
            path=uri,
        )

    # --- StreamingObjectStore ---------------------------------------------------------------------

    @contextlib.contextmanager
    def open_for_read(self, key: str, mode: str = "rb") -> Iterator[IO[Any]]:
        path = self.path_for_key(key)
        try:
            file_obj = self.fs.open(path, "rb")
        except FileNotFoundError:
            raise ObjectNotFoundError(
                f"No object stored under key {key!r} in {self!r} ({self.uri_for_key(key)}).", key
            ) from None
        except Exception as error:
            raise self._fault(error, "read", key) from None
        with file_obj:
            try:
                if "b" in mode:
                    yield file_obj
                else:
                    yield io.TextIOWrapper(file_obj, encoding="utf-8")
            except Exception as error:
                if _is_store_fault(error) and not isinstance(error, DagsterStorageError):
                    raise self._fault(error, "read", key) from None
                raise

    @contextlib.contextmanager
    def open_for_write(self, key: str, mode: str = "wb") -> Iterator[IO[Any]]:
        path = self.path_for_key(key)
        folder = path.rsplit("/", 1)[0]
        target = path if self._atomic_upload else f"{folder}/.tmp-{uuid.uuid4().hex}"
        try:
            if not self._atomic_upload and folder not in self._made_dirs:
                self.fs.makedirs(folder, exist_ok=True)
                self._made_dirs.add(folder)
            file_obj = self.fs.open(target, "wb")
        except Exception as error:
            raise self._fault(error, "write", key) from None
        try:
            if "b" in mode:
                yield file_obj
            else:
                text = io.TextIOWrapper(file_obj, encoding="utf-8")
                yield text
                text.flush()
                text.detach()
        except BaseException as error:
            self._abandon(file_obj, target)
            if (
                isinstance(error, Exception)
                and _is_store_fault(error)
                and not isinstance(error, DagsterStorageError)
            ):
                raise self._fault(error, "write", key) from None
            raise
        try:
            file_obj.close()  # on S3 the upload completes here
            if target != path:
                self.fs.mv(target, path)
        except Exception as error:
            self._abandon(file_obj, target)
            raise self._fault(error, "write", key) from None

    def _abandon(self, file_obj: Any, target: str) -> None:
        """Throw away a write that failed: the upload is discarded, a temporary file removed."""
        with contextlib.suppress(Exception):
            if self._atomic_upload:
                file_obj.discard()  # aborts a multipart upload; nothing is put
                file_obj.closed = True  # so closing (or collecting) it uploads nothing
            else:
                file_obj.close()
                self.fs.rm_file(target)

    def has_object(self, key: str) -> bool:
        try:
            return bool(self.fs.isfile(self.path_for_key(key)))
        except FileNotFoundError:
            return False
        except Exception as error:
            raise self._fault(error, "look for", key) from None

    def rm_object(self, key: str) -> None:
        try:
            self.fs.rm_file(self.path_for_key(key))
        except FileNotFoundError:
            pass
        except Exception as error:
            raise self._fault(error, "remove", key) from None

    def cp_object(self, src: str, dst: str) -> str:
        """Copy inside the store (a server-side copy on S3)."""
        source, target = self.path_for_key(src), self.path_for_key(dst)
        try:
            if not self._atomic_upload:
                folder = target.rsplit("/", 1)[0]
                self.fs.makedirs(folder, exist_ok=True)
            self.fs.copy(source, target)
        except FileNotFoundError:
            if not self.has_object(src):
                raise ObjectNotFoundError(
                    f"No object stored under key {src!r} in {self!r} ({self.uri_for_key(src)}).",
                    src,
                ) from None
            missing = FileNotFoundError(target)
            raise self._fault(missing, f"copy {self.uri_for_key(src)} to", dst) from None
        except Exception as error:
            raise self._fault(error, f"copy {self.uri_for_key(src)} to", dst) from None
        return self.uri_for_key(dst)

    # --- whole files (compute logs, executed notebooks) -------------------------------------------

    def put_file(self, local_path: str, key: str) -> str:
        """Upload the local file ``local_path`` under ``key``; its URI."""
        with open(local_path, "rb") as source, self.open_for_write(key) as target:
            import shutil

            shutil.copyfileobj(source, target, 1 << 20)
        return self.uri_for_key(key)

    def size(self, key: str) -> int | None:
        """The size in bytes of the object under ``key``, or ``None`` when there is none."""
        try:
            return int(self.fs.size(self.path_for_key(key)))
        except FileNotFoundError:
            return None
        except Exception as error:
            raise self._fault(error, "look for", key) from None

    def __repr__(self) -> str:
        return f"<FsspecObjectStore {self._url}>"
