"""qualquant.io: the ground floor: atomic file writing and the tables qualquant writes and reads back.

Every package (``corpus``, ``coding``, ``quant``, ``pipelines``) writes its
files through these helpers, and this package imports none of them (only
:mod:`qualquant.errors`): atomic writes (temporary file, fsync, rename; file
mode following the umask), tables written as CSV (UTF-8 with a byte-order
mark), XLSX, Parquet or Markdown with formula-like cells neutralised, and read
back with an explicit column schema.
"""

from qualquant.io._atomic import (
    atomic_write,
    atomic_write_bytes,
    atomic_write_dir,
    atomic_write_text,
    default_file_mode,
    make_dirs,
    output_write_error,
)
from qualquant.io._tables import (
    FORMULA_START,
    Column,
    TableSchema,
    escape_formula,
    read_table,
    unescape_formula,
)
from qualquant.io._write import (
    TABLE_SUFFIXES,
    neutralize_formulas,
    sheet_names,
    to_markdown,
    write_markdown_tables,
    write_table,
    write_workbook,
)

__all__ = [
    "FORMULA_START",
    "TABLE_SUFFIXES",
    "Column",
    "TableSchema",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_dir",
    "atomic_write_text",
    "default_file_mode",
    "escape_formula",
    "make_dirs",
    "neutralize_formulas",
    "output_write_error",
    "read_table",
    "sheet_names",
    "to_markdown",
    "unescape_formula",
    "write_markdown_tables",
    "write_table",
    "write_workbook",
]
