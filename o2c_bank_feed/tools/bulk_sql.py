# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Bulk SQL helpers of the statement line writer (plain psycopg2, no ORM).

Table and column names passed here are module constants or come from the
database catalogue, never from user input.
"""

from psycopg2.extras import Json, execute_values


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
    """Bulk INSERT of dict rows (same keys); jsonb values wrapped."""
    types = _column_types(cr, table)
    columns = [
        c
        for c in rows[0]
        if c in types and (types[c][1] or any(row[c] is not None for row in rows))
    ]
    jsonb = {c for c in columns if types[c][0] in ("jsonb", "json")}
    boolean = {c for c in columns if types[c][0] == "bool"}

    def adapt(column, value):
        if value is False and column not in boolean:
            return None  # the ORM's "empty" for a non-boolean column is NULL
        if column in jsonb and value is not None:
            return Json(value)
        return value

    values = [tuple(adapt(c, row[c]) for c in columns) for row in rows]
    query = "INSERT INTO {} ({}) VALUES %s".format(
        table, ", ".join(f'"{c}"' for c in columns)
    )
    execute_values(cr._obj, query, values, page_size=1000)


def column_names(cr, table):
    """The columns of ``table`` (sorted), from the same per-transaction cache."""
    return sorted(_column_types(cr, table))
