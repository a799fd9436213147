"""How intermediate values are written to and read from files: :class:`SerializationStrategy`.

The default, :class:`PickleSerializationStrategy`, uses the standard pickle at its highest protocol
and falls back to cloudpickle for what plain pickle refuses (lambdas, local functions) or would
only pickle by a reference another process cannot follow (classes defined in ``__main__``, i.e.
in a notebook kernel or a script). Whatever cloudpickle writes, plain ``pickle.load`` reads.
"""

from __future__ import annotations

import pickle
from abc import ABC, abstractmethod
from typing import IO, Any

#: Exceptions with which plain pickle refuses an object that cloudpickle may still handle.
_PICKLE_REFUSALS = (pickle.PicklingError, TypeError, AttributeError)

#: Module name whose presence in a pickle means "only loadable in this very process".
_MAIN_MARKER = b"__main__"


class SerializationStrategy(ABC):
    """Writes a value to a file object and reads it back.

    ``write_mode`` / ``read_mode`` are the modes in which storage opens the files it hands to
    :meth:`serialize` and :meth:`deserialize` (binary by default).
    """

    def __init__(self, name: str, write_mode: str = "wb", read_mode: str = "rb") -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"SerializationStrategy needs a non-empty name, got {name!r}")
        self._name = name
        self._write_mode = write_mode
        self._read_mode = read_mode

    @property
    def name(self) -> str:
        return self._name

    @property
    def write_mode(self) -> str:
        return self._write_mode

    @property
    def read_mode(self) -> str:
        return self._read_mode

    @abstractmethod
    def serialize(self, value: Any, write_file_obj: IO[Any]) -> None:
        """Write ``value`` to ``write_file_obj`` (opened with :attr:`write_mode`)."""

    @abstractmethod
    def deserialize(self, read_file_obj: IO[Any]) -> Any:
        """Read back a value from ``read_file_obj`` (opened with :attr:`read_mode`)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r})"


def _cloudpickle_dumps(value: Any) -> bytes:
    import cloudpickle  # only when needed: it is slower to import than the engine

    return cloudpickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def pickle_dumps(value: Any) -> bytes:
    """``value`` pickled at the highest protocol, through cloudpickle when plain pickle cannot."""
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except _PICKLE_REFUSALS as plain_error:
        try:
            return _cloudpickle_dumps(value)
        except Exception as cloud_error:
            raise cloud_error from plain_error
    if _MAIN_MARKER in data:
        # Something was pickled by reference to ``__main__``: only this process could load it.
        return _cloudpickle_dumps(value)
    return data


class PickleSerializationStrategy(SerializationStrategy):
    """Pickle (highest protocol), with cloudpickle as the fallback; the default strategy."""

    def __init__(self, name: str = "pickle") -> None:
        super().__init__(name, write_mode="wb", read_mode="rb")

    def serialize(self, value: Any, write_file_obj: IO[Any]) -> None:
        # Pickle to bytes first, so a refusal never leaves half a pickle in the file.
        write_file_obj.write(pickle_dumps(value))

    def deserialize(self, read_file_obj: IO[Any]) -> Any:
        return pickle.load(read_file_obj)


#: The shared default instance.
DEFAULT_SERIALIZATION_STRATEGY = PickleSerializationStrategy()
