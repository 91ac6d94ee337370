"""Rows for bulk onboarding from a file: what `python -m starter customers import` reads.

A `.json` file holds a list of rows (or the API's body); a `.csv` file has a header of field
paths (`contact.email`, `address.city`, `numbers.count`...), one customer per line, so a
reseller can export it from a spreadsheet.
"""

import csv
import io
import json
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from starter.bulk import BulkRow


class RowsFileError(Exception):
    """The file cannot be read as rows at all (the CLI exits 2 with this message)."""


@dataclass(frozen=True)
class RowsFile:
    rows: list[object]
    lines: list[int] | None
    """For a CSV file, the line each row ends on, so a report can point into the file."""
    dry_run: bool = False


def _members(annotation: Any) -> tuple[Any, ...]:
    """The types of a field: the members of a union (`A | B | None`), or the type itself."""
    if typing.get_origin(annotation) in {typing.Union, types.UnionType}:
        return tuple(member for member in typing.get_args(annotation) if member is not type(None))
    return (annotation,)


def _leaf_paths(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every scalar field of a request as a dotted path; lists need a JSON file."""
    for name, info in model.model_fields.items():
        for member in _members(info.annotation):
            if isinstance(member, type) and issubclass(member, BaseModel):
                yield from _leaf_paths(member, f"{prefix}{name}.")
            elif typing.get_origin(member) is not list:
                yield f"{prefix}{name}"


CSV_COLUMNS = frozenset(_leaf_paths(BulkRow))
"""`path`, `contact.email`, `service_address.city`, `numbers.count`, `idempotency_key`…"""


def _nest(record: dict[str, str], columns: Sequence[str]) -> dict[str, Any]:
    """A CSV record as the request's JSON: `contact.email` becomes `{"contact": {"email"}}`;
    an empty cell is a field left out."""
    row: dict[str, Any] = {}
    for column in columns:
        value = (record.get(column) or "").strip()
        if not value:
            continue
        *parents, leaf = column.split(".")
        target = row
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return row


def _read_csv(text: str, name: str) -> RowsFile:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        columns = [column.strip() for column in reader.fieldnames or []]
        if not columns:
            raise RowsFileError(f"{name}: no header row")
        unknown = [column for column in columns if column not in CSV_COLUMNS]
        if unknown:
            raise RowsFileError(
                f"{name}: unknown column {unknown[0]!r}: columns are field paths such as "
                "contact.email or address.city"
            )
        if len(set(columns)) != len(columns):
            raise RowsFileError(f"{name}: a column appears twice in the header")
        reader.fieldnames = columns
        rows: list[object] = []
        lines: list[int] = []
        for record in reader:
            if None in record:
                raise RowsFileError(
                    f"{name}: line {reader.line_num} has more cells than the header has columns"
                )
            rows.append(_nest(record, columns))
            lines.append(reader.line_num)
    except csv.Error as error:
        raise RowsFileError(f"{name}: not a readable CSV file ({error})") from None
    return RowsFile(rows=rows, lines=lines)


def _read_json(text: str, name: str) -> RowsFile:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise RowsFileError(f"{name}: not JSON ({error.msg} at line {error.lineno})") from None
    if isinstance(data, list):
        return RowsFile(rows=data, lines=None)
    if (
        isinstance(data, dict)
        and isinstance(data.get("rows"), list)
        and set(data) <= {"rows", "dry_run"}
        and isinstance(data.get("dry_run", False), bool)
    ):
        return RowsFile(rows=data["rows"], lines=None, dry_run=data.get("dry_run", False))
    raise RowsFileError(f'{name}: expected a list of rows, or {{"rows": [...]}}')


def read_rows_file(path: Path) -> RowsFile:
    """Rows from a `.csv` file (a header of field paths) or a `.json` one (a list of rows, or
    the API's body `{"rows": [...]}`)."""
    if path.suffix.lower() not in {".csv", ".json"}:
        raise RowsFileError(f"{path}: give a .csv or a .json file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RowsFileError(f"{path}: {error.strerror}") from None
    return rows_from_bytes(data, str(path))


def rows_from_bytes(data: bytes, name: str) -> RowsFile:
    """The same from a file's bytes (an upload in the console); `name` decides the format by
    its suffix and names the file in every message."""
    suffix = Path(name).suffix.lower()
    if suffix not in {".csv", ".json"}:
        raise RowsFileError(f"{name}: give a .csv or a .json file")
    try:
        text = data.decode("utf-8-sig")  # a spreadsheet's CSV may start with a BOM
    except UnicodeDecodeError:
        raise RowsFileError(f"{name}: not UTF-8 text") from None
    found = _read_csv(text, name) if suffix == ".csv" else _read_json(text, name)
    if not found.rows:
        raise RowsFileError(f"{name}: no rows")
    return found
