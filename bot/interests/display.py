"""The interest log's rows as people see them: CSV cells a spreadsheet will not run, and text a
terminal will not obey.

Names, and anything else a person typed, can hold control characters: an escape sequence that
recolours a terminal or moves its cursor, or a line break that forges a row. `printable` shows
every control character, line or paragraph separator and invisible format character (such as
a right-to-left override) as a visible escape, so one entry is always one line, as written.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.interests.tables import AuditEntry, Interest

CSV_COLUMNS = [
    "id", "registered_at", "updated_at", "region", "network", "programme_id", "programme",
    "display_name", "slack_user_id", "profession", "grade", "status", "status_by", "status_at",
    "consent_version",
]  # fmt: skip
AUDIT_COLUMNS = [
    "id", "at", "actor", "action", "subject", "interest_id", "region", "field", "from_value",
    "to_value", "row_count", "outcome", "occurrences", "last_at", "correlation_id",
]  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
UNSAFE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def printable(value: Any) -> str:
    """`value` as one inert line: control and format characters become visible escapes."""
    text = "" if value is None else str(value)
    if not any(unicodedata.category(ch) in UNSAFE for ch in text):
        return text
    return "".join(_escaped(ch) if unicodedata.category(ch) in UNSAFE else ch for ch in text)


def _escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def export_row(row: Interest, names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "registered_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "region": row.region,
        "network": row.network_id,
        "programme_id": row.programme_id,
        "programme": names.get(row.programme_id, row.programme_id),
        "display_name": row.display_name,
        "slack_user_id": row.user_id,
        "profession": row.profession or "",
        "grade": row.grade or "",
        "status": row.status,
        "status_by": row.status_by or "",
        "status_at": _iso(row.status_at),
        "consent_version": row.consent_version,
    }


def _iso(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run (text starting = + - @ tab or CR gets a leading ')
    and a terminal will not obey (control characters shown as escapes)."""
    text = "" if value is None else str(value)
    text = "'" + text if text.startswith(FORMULA_START) else text
    return printable(text)


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] = CSV_COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def audit_csv(entries: Sequence[AuditEntry]) -> str:
    """Audit entries as CSV, every column: whom it was about, which interest, the change from ->
    to, the outcome and, for counted refusals, how many times."""
    return to_csv([e.model_dump(mode="json") for e in entries], AUDIT_COLUMNS)


def audit_summary(count: int, *, truncated: bool) -> str:
    """What an audit read holds, saying so when more entries exist than it shows."""
    if truncated:
        return f"The newest {count} audit entries; more exist (the `audit list` command pages through them all)."
    return (
        f"All {count} audit entries, newest first. A refusal repeated within an hour is one "
        "entry: see its occurrences."
    )
