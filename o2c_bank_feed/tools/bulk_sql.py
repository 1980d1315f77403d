# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Bulk SQL helpers of the statement line writer (psycopg2 and Odoo's ``SQL``, no ORM).

Table and column names passed here are module constants or come from the
database catalogue, never from user input.
"""

import io
import json
from datetime import date, datetime
from decimal import Decimal

from psycopg2.extras import Json, execute_values

from odoo.tools import SQL


def _column_types(cr, table):
    """{column: (udt type, has a default)} of ``table``, cached per transaction.

    Per transaction (the Odoo cursor's ``cache``) rather than per process: a
    module upgrade adding columns is seen by the next import.
    """
    cache = cr.cache.setdefault("o2c_bulk_column_types", {})
    if table not in cache:
        cr.execute(
            """SELECT column_name, udt_name, column_default IS NOT NULL
                 FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = %s""",
            [table],
        )
        cache[table] = {
            name: (udt, has_default) for name, udt, has_default in cr.fetchall()
        }
    return cache[table]


def fetch_rows(cr, table, column, value):
    cr.execute(f"SELECT * FROM {table} WHERE {column} = %s ORDER BY id", [value])
    names = [d[0] for d in cr.description]
    return [dict(zip(names, row, strict=True)) for row in cr.fetchall()]


def next_ids(cr, table, count):
    cr.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        [table, count],
    )
    return [row[0] for row in cr.fetchall()]


def insert_rows(cr, table, rows):
    """Bulk INSERT of dict rows (same keys) into ``table``."""
    if rows:
        _load(cr, table, _insert_columns(cr, table, rows), rows)


def insert_linked_rows(cr, first, second):
    """Insert ``(table, rows)`` ``first`` and ``second`` in ONE statement.

    For two tables whose rows reference each other (a move and its bank
    statement line): foreign keys are checked at the end of the statement, when
    both rows exist, so neither needs a second write to link it. The rows
    travel as two JSON arrays turned into table rows by PostgreSQL
    (``jsonb_populate_recordset``): no temporary table, no DDL.
    """
    if not first[1]:
        return
    parts = []
    for table, rows in (first, second):
        columns = _insert_columns(cr, table, rows)
        types = _column_types(cr, table)
        boolean = {c for c in columns if types[c][0] == "bool"}
        payload = json.dumps(
            [
                {c: None if _is_null(row[c], c, boolean) else row[c] for c in columns}
                for row in rows
            ],
            default=_json_default,
        )
        names = SQL(", ").join(SQL.identifier(c) for c in columns)
        parts.append((SQL.identifier(table), names, payload))
    (table1, names1, data1), (table2, names2, data2) = parts
    cr.execute(
        SQL(
            """WITH first_rows AS (
                   INSERT INTO %s (%s) SELECT %s
                     FROM jsonb_populate_recordset(NULL::%s, %s::jsonb))
               INSERT INTO %s (%s) SELECT %s
                 FROM jsonb_populate_recordset(NULL::%s, %s::jsonb)""",
            table1,
            names1,
            names1,
            table1,
            data1,
            table2,
            names2,
            names2,
            table2,
            data2,
        ),
        # a refused insert (say, a concurrent import's unique line) must not
        # write megabytes of JSON to the log: the caller handles the error
        log_exceptions=False,
    )


def _json_default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value))


def _insert_columns(cr, table, rows):
    """Columns of ``rows`` to write: the table's, left out when all None and no default."""
    types = _column_types(cr, table)
    return [
        c
        for c in rows[0]
        if c in types and (types[c][1] or any(row[c] is not None for row in rows))
    ]


def _load(cr, target, columns, rows):
    """Write ``rows`` into ``target``: ``COPY ... FROM STDIN``, else a multi-row INSERT.

    COPY builds and parses no SQL per row; a value of a type its text format
    below does not know sends the rows through ``execute_values`` instead.
    """
    types = _column_types(cr, target)
    jsonb = {c for c in columns if types[c][0] in ("jsonb", "json")}
    boolean = {c for c in columns if types[c][0] == "bool"}
    names = ", ".join(f'"{c}"' for c in columns)
    try:
        data = _copy_text(rows, columns, jsonb, boolean)
    except _NotCopyable:
        data = None
    if data is not None:
        cr._obj.copy_expert(
            f"COPY {target} ({names}) FROM STDIN", io.StringIO(data), size=1 << 20
        )
        return

    def adapt(column, value):
        if _is_null(value, column, boolean):
            return None
        if column in jsonb and value is not None:
            return Json(value)
        return value

    values = [tuple(adapt(c, row[c]) for c in columns) for row in rows]
    query = f"INSERT INTO {target} ({names}) VALUES %s"
    execute_values(cr._obj, query, values, page_size=1000)


def _is_null(value, column, boolean):
    """None, or False in a non-boolean column (the ORM's "empty" there is NULL)."""
    return value is None or (value is False and column not in boolean)


class _NotCopyable(Exception):
    """A value the COPY text format below does not encode."""


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(rows, columns, jsonb, boolean):
    """``rows`` in PostgreSQL's COPY text format (same NULL / False rules as INSERT)."""
    lines = []
    for row in rows:
        fields = []
        for column in columns:
            value = row[column]
            if _is_null(value, column, boolean):
                fields.append("\\N")
            elif column in jsonb:
                fields.append(json.dumps(value).translate(_COPY_ESCAPES))
            elif value is True:
                fields.append("t")
            elif value is False:
                fields.append("f")
            elif isinstance(value, str):
                fields.append(value.translate(_COPY_ESCAPES))
            elif isinstance(value, int | Decimal):
                fields.append(str(value))
            elif isinstance(value, float):
                fields.append(repr(value))
            elif isinstance(value, datetime | date):
                fields.append(value.isoformat())
            else:
                raise _NotCopyable(type(value))
        lines.append("\t".join(fields))
    lines.append("")
    return "\n".join(lines)


def column_names(cr, table):
    """The columns of ``table`` (sorted), from the same per-transaction cache."""
    return sorted(_column_types(cr, table))
