"""A bundle: the files of one process (BPMN, DMN tables, JSON Schema forms) and its content hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

BPMN_SUFFIX = ".bpmn"
DMN_SUFFIX = ".dmn"
FORMS_DIR = "forms/"
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_FILES = 200


@dataclass(frozen=True)
class Bundle:
    """Relative path -> text. Paths use '/'; forms live under 'forms/'."""

    files: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_directory(cls, root: str | Path) -> Bundle:
        root = Path(root)
        files: dict[str, str] = {}
        for path in sorted(root.rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(root).as_posix()
            if rel.endswith((BPMN_SUFFIX, DMN_SUFFIX)) or (rel.startswith(FORMS_DIR) and rel.endswith(".json")):
                files[rel] = path.read_bytes().decode("utf-8", errors="replace")
        return cls(files)

    @classmethod
    def from_paths(cls, paths: list[str | Path]) -> Bundle:
        """A bundle from loose files or directories named on a command line."""
        files: dict[str, str] = {}
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                files.update(cls.from_directory(path).files)
            else:
                name = path.name if not path.suffix == ".json" else FORMS_DIR + path.name
                files[name] = path.read_bytes().decode("utf-8", errors="replace")
        return cls(files)

    def with_files(self, changes: dict[str, str | None]) -> Bundle:
        """A copy with files replaced, added, or removed (value None)."""
        files = dict(self.files)
        for name, text in changes.items():
            if text is None:
                files.pop(name, None)
            else:
                files[name] = text
        return Bundle(files)

    @property
    def bpmn_files(self) -> list[str]:
        return sorted(n for n in self.files if n.endswith(BPMN_SUFFIX))

    @property
    def dmn_files(self) -> list[str]:
        return sorted(n for n in self.files if n.endswith(DMN_SUFFIX))

    def form(self, filename: str) -> str | None:
        return self.files.get(FORMS_DIR + filename)

    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.files):
            data = self.files[name].encode("utf-8")
            digest.update(name.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0" + data)
        return digest.hexdigest()
