"""Reading and checking a hotline export (12345): pure functions, no database.

A file goes through three steps, each a plain function of its input:

1. `sniff(file)` decides from the bytes (not only the name) whether it is an .xlsx or a .csv, and refuses
   anything else (a PNG renamed .xlsx, an old .xls, a file over the size limit) with a Chinese message.
2. `open_rows(file, kind)` yields `(line, values)` for every row, line numbers as the spreadsheet shows
   them (the first row is line 1); a CSV is read as UTF-8 (with or without BOM) or, failing that, as
   GB18030 (what Chinese Excel writes). `find_layout(rows, spec)` finds the header row among the first
   rows and the column of each mapped field, or refuses the file naming the missing headers.
3. `RowChecker(spec, layout).check(line, values)` turns one row into a `ParsedRow` or into the reasons it
   is wrong ("受理时间“2026-02-30 10:00”不是有效日期"), and remembers 工单编号 to name a repeat inside
   the file with both lines.

Rows stream through: nothing holds the whole file, so memory stays flat with 100,000 rows (the checker keeps
only the set of 工单编号 seen, about 100 bytes a row).

The package: files.py (step 1, and step 2's `open_rows` with the CSV reader), xlsx.py (the streaming .xlsx
reader `_SheetReader` and openpyxl's fallback), rows.py (the fields, `MappingSpec`, `find_layout`,
`RowChecker`). Callers import the package (`from complaints import imports as reader`, then `reader.X`).
"""
from .files import MAX_BYTES, open_rows, sniff
from .rows import (
    FIELD_BY_NAME,
    FIELDS,
    HEADER_SEARCH_ROWS,
    REQUIRED_FIELDS,
    TITLE_FROM_CONTENT,
    ImportField,
    Layout,
    MappingSpec,
    ParsedRow,
    RowChecker,
    clean_header,
    data_rows,
    find_layout,
    is_empty,
    line_message,
    text,
)

# The limits the import service enforces while it streams the rows (complaints/services/imports), read
# there as `reader.MAX_ROWS` and `reader.MAX_LISTED_ERRORS`: defined here, once, where they are read.
MAX_ROWS = 200_000
MAX_LISTED_ERRORS = 1000  # a file with more is summarised ("另有 N 处错误未列出")

__all__ = [
    "FIELDS",
    "FIELD_BY_NAME",
    "HEADER_SEARCH_ROWS",
    "MAX_BYTES",
    "MAX_LISTED_ERRORS",
    "MAX_ROWS",
    "REQUIRED_FIELDS",
    "TITLE_FROM_CONTENT",
    "ImportField",
    "Layout",
    "MappingSpec",
    "ParsedRow",
    "RowChecker",
    "clean_header",
    "data_rows",
    "find_layout",
    "is_empty",
    "line_message",
    "open_rows",
    "sniff",
    "text",
]
