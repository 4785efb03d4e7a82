"""Values derived from deployed process versions, kept for the life of the process.

Versions never change once deployed, so what is derived from one (a parsed form, step labels, a
drawing's source) is computed once. Keys carry the version's content hash: ids repeat across
databases. The memo is bounded: when full it starts again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class VersionMemo(Generic[V]):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._values: dict[Hashable, V] = {}

    def __contains__(self, key: Hashable) -> bool:
        return key in self._values

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        if key not in self._values:
            self.put(key, compute())
        return self._values[key]

    def put(self, key: Hashable, value: V) -> None:
        if len(self._values) >= self.limit:
            self._values.clear()
        self._values[key] = value

    def peek(self, key: Hashable, default: V) -> V:
        return self._values.get(key, default)
