# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The bulk SQL helpers write exactly the values they are given.

``insert_rows`` streams rows with ``COPY ... FROM STDIN`` in PostgreSQL's text
format (its own escaping of backslashes, tabs and line breaks) and falls back
to a multi-row ``INSERT`` for values that format does not encode: both paths
must store the same thing. ``insert_linked_rows`` inserts two tables whose
rows reference each other in one statement. The tables are created in the
test's transaction (rolled back with it).
"""

from datetime import date, datetime
from decimal import Decimal

import psycopg2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import TransactionCase, tagged

from ..tools import bulk_sql

COLUMNS = ("id", "label", "note", "details", "flag", "day", "moment", "amount", "ratio")
TRICKY = [
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "carriage\rreturn",
    "\\N",
    "\\.",
    "",
    "naïve café – 東京 ✓",
    "quote ' and \" and ;",
    "trailing backslash \\",
]


@tagged("post_install", "-at_install")
class TestBulkSql(TransactionCase):
    def setUp(self):
        super().setUp()
        self.cr = self.env.cr
        self.cr.execute(
            """CREATE TABLE IF NOT EXISTS o2c_test_bulk (
                   id integer PRIMARY KEY,
                   label varchar,
                   note text,
                   details jsonb,
                   flag boolean,
                   day date,
                   moment timestamp,
                   amount numeric,
                   ratio double precision,
                   state varchar DEFAULT 'draft'
               )"""
        )
        self.cr.execute("TRUNCATE o2c_test_bulk")
        self.cr.cache.pop("o2c_bulk_column_types", None)

    def _rows(self, texts, start=1):
        rows = []
        for offset, text in enumerate(texts):
            number = start + offset
            rows.append(
                {
                    "id": number,
                    "label": text,
                    "note": f"{text}|{number}",
                    "details": {"text": text, "list": [text, 1, None, True]},
                    "flag": [True, False, None][number % 3],
                    "day": date(2026, 3, 1 + number % 28),
                    "moment": datetime(2026, 3, 1, 12, 30, 15, 123456),
                    "amount": Decimal("1234.5678") * number,
                    "ratio": 0.1 + 0.2 * number,
                    "state": None,
                    "unknown_column": "left out",
                }
            )
        return rows

    def _read(self):
        self.cr.execute(
            f"SELECT {', '.join(COLUMNS)}, state FROM o2c_test_bulk ORDER BY id"
        )
        return self.cr.fetchall()

    def _expected(self, rows):
        # Odoo reads numeric columns as floats
        return [
            tuple(float(row[c]) if c == "amount" else row[c] for c in COLUMNS)
            + (row["state"],)
            for row in rows
        ]

    def _insert_both_ways(self, rows):
        """What COPY stored and what the INSERT fallback stored."""
        bulk_sql.insert_rows(self.cr, "o2c_test_bulk", rows)
        copied = self._read()
        self.cr.execute("TRUNCATE o2c_test_bulk")

        def not_copyable(*args):
            raise bulk_sql._NotCopyable(object)

        self.patch(bulk_sql, "_copy_text", not_copyable)
        bulk_sql.insert_rows(self.cr, "o2c_test_bulk", rows)
        inserted = self._read()
        self.cr.execute("TRUNCATE o2c_test_bulk")
        return copied, inserted

    def test_copy_stores_tricky_values_as_given(self):
        rows = self._rows(TRICKY)
        copied, inserted = self._insert_both_ways(rows)
        self.assertEqual(copied, self._expected(rows))
        self.assertEqual(inserted, copied)

    def test_false_is_null_except_for_booleans(self):
        rows = self._rows(["x", "y"])
        rows[0].update(label=False, note=False, details=False, flag=False)
        rows[1].update(label=None, details=None, flag=None)
        copied, inserted = self._insert_both_ways(rows)
        self.assertEqual(copied[0][1:5], (None, None, None, False))
        self.assertEqual(copied[1][1], None)
        self.assertEqual(copied[1][3:5], (None, None))
        self.assertEqual(inserted, copied)

    def test_unknown_type_falls_back_to_insert(self):
        """A value COPY's text format is not given here still goes in, by INSERT."""
        rows = self._rows(["a", "b"])
        rows[1]["note"] = psycopg2.extensions.AsIs("'made by SQL'")
        bulk_sql.insert_rows(self.cr, "o2c_test_bulk", rows)
        self.assertEqual([r[2] for r in self._read()], ["a|1", "made by SQL"])

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        st.lists(
            st.text(
                st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")
            ),
            min_size=1,
            max_size=5,
        )
    )
    def test_any_text_round_trips(self, texts):
        self.cr.execute("TRUNCATE o2c_test_bulk")
        rows = self._rows(texts)
        bulk_sql.insert_rows(self.cr, "o2c_test_bulk", rows)
        self.assertEqual(self._read(), self._expected(rows))

    def test_linked_rows_are_inserted_in_one_statement(self):
        """Rows that reference each other: no NULL first, no second write."""
        self.cr.execute(
            """CREATE TABLE o2c_test_head (id integer PRIMARY KEY, tail_id integer,
                                           label text);
               CREATE TABLE o2c_test_tail (
                   id integer PRIMARY KEY,
                   head_id integer NOT NULL REFERENCES o2c_test_head(id),
                   label text);
               ALTER TABLE o2c_test_head ADD FOREIGN KEY (tail_id)
                   REFERENCES o2c_test_tail(id)"""
        )
        count = len(TRICKY)
        heads = [
            {"id": i, "tail_id": 100 + i, "label": TRICKY[i]} for i in range(count)
        ]
        tails = [
            {"id": 100 + i, "head_id": i, "label": f"t\n{i}"} for i in range(count)
        ]
        for _round in range(2):
            bulk_sql.insert_linked_rows(
                self.cr, ("o2c_test_head", heads), ("o2c_test_tail", tails)
            )
            self.cr.execute(
                """SELECT h.id, h.label, t.label FROM o2c_test_head h
                     JOIN o2c_test_tail t ON t.id = h.tail_id AND t.head_id = h.id
                    ORDER BY h.id"""
            )
            self.assertEqual(
                self.cr.fetchall(),
                [(i, TRICKY[i], f"t\n{i}") for i in range(count)],
            )
            self.cr.execute(
                "SELECT count(*) FROM pg_stat_xact_user_tables "
                "WHERE relname = 'o2c_test_head' AND n_tup_upd > 0"
            )
            self.assertEqual(self.cr.fetchone()[0], 0, "no row updated")
            self.cr.execute("TRUNCATE o2c_test_head, o2c_test_tail")
        # a dangling reference is refused as a whole, without logging the
        # statement (its JSON can be megabytes)
        tails[2]["head_id"] = 99
        with (
            self.assertNoLogs("odoo.sql_db", "ERROR"),
            self.assertRaises(psycopg2.errors.ForeignKeyViolation),
            self.cr.savepoint(),
        ):
            bulk_sql.insert_linked_rows(
                self.cr, ("o2c_test_head", heads), ("o2c_test_tail", tails)
            )
        self.cr.execute("SELECT count(*) FROM o2c_test_head")
        self.assertEqual(self.cr.fetchone()[0], 0)
