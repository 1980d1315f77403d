# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A worker in its own OS process, to be killed with SIGKILL by a test.

Usage: ``python3 crash_worker.py <db> <event_id> <event_type> [odoo options...]``

It processes the event the way a queue_job worker does (``_job_process``, which
commits the "processing" mark), with a handler registered for ``event_type`` that
prints ``BLOCKING`` and then sleeps: the test kills it there, mid-handler.
"""

import sys
import time


def main():
    db, event_id, event_type, *odoo_args = sys.argv[1:]
    from odoo.tools import config

    config.parse_config(odoo_args)
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    registry = Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        event_cls = type(env["o2c.event"])
        original = event_cls._o2c_get_handlers

        def blocking(event):
            sys.stdout.write("BLOCKING\n")  # the test waits for this line
            sys.stdout.flush()
            time.sleep(600)

        def handlers(self):
            result = original(self)
            result[("generic", event_type)] = blocking
            return result

        event_cls._o2c_get_handlers = handlers
        env["o2c.event"].browse(int(event_id))._job_process()


if __name__ == "__main__":
    main()
