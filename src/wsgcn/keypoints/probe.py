"""What format detection looks at: one input path, its suffix and (read lazily, at most once) its
parsed JSON, shared by every reader's sniff function and by the reader that is picked."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import WsgcnError
from ..io import natural_key, read_json
from .jsondoc import json_kind


class FolderFile(NamedTuple):
    """One ``.json`` file of a folder: its path, parsed document and :func:`json_kind` layout."""

    path: Path
    doc: Any
    kind: str | None


class Probe:
    """An existing file or folder to read keypoints from; content is parsed on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.is_dir = path.is_dir()
        self.suffix = path.suffix.lower()

    @cached_property
    def json(self) -> Any:
        """The file parsed as JSON (a one-line :class:`WsgcnError` when it is not JSON)."""
        return read_json(self.path)

    @cached_property
    def json_kind(self) -> str | None:
        """The layout of :attr:`json` (:func:`~wsgcn.keypoints.jsondoc.json_kind`)."""
        return json_kind(self.json)

    @cached_property
    def folder(self) -> list[FolderFile]:
        """The folder's ``.json`` files in natural order (frame_2 before frame_10), parsed."""
        files = sorted((f for f in self.path.iterdir() if f.suffix.lower() == ".json" and f.is_file()),
                       key=lambda f: natural_key(f.name))
        if not files:
            raise WsgcnError(f"{self.path}: folder without .json files")
        out = []
        for f in files:
            doc = read_json(f)
            out.append(FolderFile(f, doc, json_kind(doc)))
        return out

    @cached_property
    def folder_kinds(self) -> frozenset[str | None]:
        """The layouts of the folder's files that are not ``[]`` (an image without people)."""
        return frozenset(f.kind for f in self.folder if f.kind != "empty")
