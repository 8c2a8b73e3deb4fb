"""Read and write tables in the formats sellers and agencies use.

Reading detects the text encoding (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GB18030/GBK) and the delimiter, and
returns every cell as a string so that validation can report the value exactly as the user typed it.
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputFormatError

TEXT_SUFFIXES = {".csv", ".tsv", ".tab", ".txt"}
READ_SUFFIXES = TEXT_SUFFIXES | {".xlsx", ".xlsm", ".parquet", ".jsonl", ".ndjson", ".json"}
WRITE_SUFFIXES = (".csv", ".xlsx", ".parquet", ".json", ".jsonl")


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Decode a text file's bytes; returns (text, encoding).

    Chinese Excel saves CSV as GB18030/GBK ("ANSI") and Keyword Planner as UTF-16, so a fixed UTF-8 would
    misread most real files. Byte-order marks win; then strict UTF-8; then strict GB18030 (a superset of GBK
    and GB2312); then charset-normalizer's best guess.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputFormatError(
            f"{name}: cannot tell the text encoding; save the file as UTF-8 (Excel: Save As > CSV UTF-8)"
        )
    return str(best), best.encoding


def read_text(path: str | os.PathLike) -> str:
    """The decoded text of a file, with line endings normalised."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFormatError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputFormatError(f"{path}: is a folder, expected a file") from None
    text, _ = decode_bytes(data, str(path))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def sniff_delimiter(lines: list[str], suffix: str) -> str:
    """Tab for .tsv; otherwise the candidate that splits the sample into the most consistent columns."""
    if suffix in (".tsv", ".tab"):
        return "\t"
    sample = [line for line in lines if line.strip()][:50]
    best, best_key = ",", (0, 0)
    for delim in (",", "\t", ";", "|"):
        counts = [len(next(csv.reader([line], delimiter=delim))) for line in sample]
        if not counts or max(counts) < 2:
            continue
        width = max(set(counts), key=counts.count)
        key = (sum(c == width for c in counts), width)
        if key > best_key:
            best, best_key = delim, key
    return best


@dataclass
class RawTable:
    """A table read as strings, with the file row number (1-based, as a spreadsheet shows it) of each row."""

    frame: pd.DataFrame
    rows: list[int]
    name: str
    _columns: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)

    def cell(self, i: int, column: str) -> str:
        """The text in row ``i`` (0-based) of ``column``; a column is listed once, not looked up cell by cell."""
        if column not in self._columns:
            self._columns[column] = self.frame[column].tolist()
        return self._columns[column][i]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, name: str) -> "RawTable":
        """A DataFrame handed to the API, as strings, numbered as if row 1 were its header."""
        cells = frame.astype(object).where(frame.notna(), "").map(str).reset_index(drop=True)
        return cls(frame=cells, rows=[i + 2 for i in range(len(cells))], name=name)


def parse_delimited(text: str, name: str, suffix: str = ".csv", header_line: int = 0) -> RawTable:
    """Parse delimited text whose header is on line ``header_line`` (0-based), keeping file row numbers."""
    lines = text.split("\n")
    delim = sniff_delimiter(lines[header_line:], suffix)
    reader = csv.reader(io.StringIO("\n".join(lines[header_line:])), delimiter=delim)
    records: list[list[str]] = []
    rows: list[int] = []
    header: list[str] | None = None
    for record in reader:
        line_no = header_line + reader.line_num
        if header is None:
            if not any(cell.strip() for cell in record):
                continue
            header = [cell.strip() for cell in record]
            continue
        if not any(cell.strip() for cell in record):
            continue
        records.append(record)
        rows.append(line_no)
    if header is None:
        raise InputFormatError(f"{name}: the file is empty; expected a header row and at least one data row")
    width = len(header)
    fixed = [(r + [""] * width)[:width] for r in records]
    frame = pd.DataFrame(fixed, columns=_dedupe_headers(header), dtype=object)
    return RawTable(frame=frame, rows=rows, name=name)


def _dedupe_headers(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(header):
        h = h or f"column_{i + 1}"
        if h in seen:
            seen[h] += 1
            h = f"{h}.{seen[h]}"
        else:
            seen[h] = 0
        out.append(h)
    return out


def read_table(path: str | os.PathLike) -> RawTable:
    """Read CSV/TSV/XLSX/Parquet/JSON Lines into strings, with row numbers for error messages."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in READ_SUFFIXES:
        raise InputFormatError(
            f"{path}: unknown file type {suffix or '(none)'}; use one of {', '.join(sorted(READ_SUFFIXES))}"
        )
    if not path.exists():
        raise InputFormatError(f"{path}: file not found")
    if suffix in TEXT_SUFFIXES:
        return parse_delimited(read_text(path), str(path), suffix)
    try:
        if suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=object, engine="openpyxl")
            rows = [i + 2 for i in range(len(frame))]
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
            rows = [i + 1 for i in range(len(frame))]
        else:
            frame = pd.read_json(path, lines=suffix != ".json", dtype=False, orient="records")
            rows = [i + 1 for i in range(len(frame))]
    except (ValueError, OSError, KeyError) as exc:
        raise InputFormatError(f"{path}: cannot read as {suffix[1:]}: {str(exc).splitlines()[0]}") from None
    frame = frame.astype(object).where(frame.notna(), "")
    frame = frame.map(lambda v: v if isinstance(v, str) else _cell_to_str(v))
    frame.columns = _dedupe_headers([str(c).strip() for c in frame.columns])
    return RawTable(frame=frame.reset_index(drop=True), rows=rows, name=str(path))


def _cell_to_str(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None):
    """Open a temporary file beside ``path`` for writing; on success it replaces ``path``, on failure it vanishes.

    A reader never sees a half-written file, and an interrupted run leaves the previous version in place.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding,
                       newline=None if "b" in mode else newline) as fh:
            yield fh
        os.chmod(tmp, _umask_mode())  # mkstemp makes 0600; the output is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a DataFrame in the format its extension names, atomically (temporary file, then rename)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        raise InputFormatError(f"{path}: unknown output type {suffix or '(none)'}; use one of {', '.join(WRITE_SUFFIXES)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    try:
        if suffix == ".csv":
            # utf-8-sig so that Excel on a Chinese Windows opens it without mojibake
            frame.to_csv(tmp, index=False, encoding="utf-8-sig")
        elif suffix == ".xlsx":
            frame.to_excel(tmp, index=False, engine="openpyxl")
        elif suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        elif suffix == ".json":
            frame.to_json(tmp, orient="records", force_ascii=False, indent=1)
        else:
            frame.to_json(tmp, orient="records", lines=True, force_ascii=False)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
