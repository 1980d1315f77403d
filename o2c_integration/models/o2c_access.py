# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Guard for public methods that change O2C records with ``sudo()``.

Every model method whose name does not start with ``_`` can be called by any
logged-in user through JSON-RPC (``/web/dataset/call_kw``): the ``groups`` of a form
button hides the button, it protects nothing. A public method that then changes
records with ``sudo()`` (which skips access rights and record rules) must check by
itself who calls it. :func:`o2c_require` does, in one line::

    def action_reset_breaker(self):
        o2c_require(self, MANAGER_GROUP, "connection.reset_breaker")
        self.sudo().write({...})

It refuses with ``AccessError`` a caller who is not in the group, or who may not
reach the records within his current companies (access rights and multi-company
record rules through ``check_access``, plus an explicit company test), and audits
the refusal. The refusal rolls the caller's transaction back, so the audit entry is
written in a transaction of its own once the caller's has ended.
"""

import logging

from odoo import api
from odoo.exceptions import AccessError
from odoo.modules import module as odoo_module
from odoo.sql_db import Cursor

from .o2c_secret_mixin import ADMIN_GROUP

_logger = logging.getLogger(__name__)

USER_GROUP = "o2c_integration.group_o2c_user"
MANAGER_GROUP = "o2c_integration.group_o2c_manager"

_GROUP_LABELS = {
    USER_GROUP: "O2C User",
    MANAGER_GROUP: "O2C Manager",
    ADMIN_GROUP: "O2C Administrator",
}

#: Audit action of a refused call.
REFUSED_ACTION = "access.refused"


def o2c_require(records, group, action, operation=None):
    """Let the call through, or audit the attempt and raise ``AccessError``.

    :param records: the records the public method is about to change (may be an
        empty recordset for a model-level action)
    :param group: xml id of the least group allowed (implied groups count)
    :param action: audit action name of the operation, e.g. ``"connection.reset_breaker"``
    :param operation: access checked on ``records`` (``"write"`` for what an
        administrator configures, ``"read"`` where a manager, who may not edit the
        record, runs an operation on it); defaults to ``"write"`` for
        administrators, ``"read"`` otherwise
    """
    env = records.env
    if env.su:
        return  # code running as superuser made its own decision
    operation = operation or ("write" if group == ADMIN_GROUP else "read")
    reason = _refusal_reason(records, group, operation)
    if reason is None:
        return
    _audit_refusal(records, group, action, reason)
    if reason == "group":
        message = env._(
            "Only %(group)s members can do this (%(action)s).",
            group=_GROUP_LABELS.get(group, group),
            action=action,
        )
    else:
        message = env._(
            "You may not do this (%(action)s) on records of a company outside "
            "your current companies.",
            action=action,
        )
    raise AccessError(message)


def _refusal_reason(records, group, operation):
    env = records.env
    if not env.user.has_group(group):
        return "group"
    try:
        # validates the context's allowed_company_ids against the user's companies
        # (a sudo environment built later would take them on trust)
        env.companies  # noqa: B018
    except AccessError:
        return "company"
    try:
        records.check_access(operation)
    except AccessError:
        return "company"
    if "company_id" in records._fields:
        # the record rules say the same; this holds even if a rule was archived
        foreign = records.sudo().company_id - env.companies
        if foreign:
            return "company"
    return None


def _audit_refusal(records, group, action, reason):
    """Audit a refused call in its own transaction, once the caller's one ends.

    The ``AccessError`` about to be raised rolls the caller's transaction back (the
    HTTP layer does, for an RPC call): an entry written in it would vanish. The
    entry is written right after that rollback, or after a commit if the caller
    caught the error, on a new cursor.
    """
    env = records.env
    registry, uid = env.registry, env.uid
    model, ids = records._name, list(records.ids)
    login = env.user.sudo().login
    summary = f"Refused {action} on {model} {ids} for {login} ({reason})"
    data = {
        "action": action,
        "model": model,
        "ids": ids,
        "reason": reason,
        "required_group": group,
        "user": login,
        # as asked (may be foreign: that is what is audited), not env.companies
        "companies": list(env.context.get("allowed_company_ids") or []),
        "user_companies": env.user.sudo().company_ids.ids,
    }
    # A test transaction never ends on a real cursor: its hooks would run at teardown
    # and write outside the test. Tests see the entry through TestCursors only.
    in_test = bool(odoo_module.current_test)
    pending = [True]

    def write():
        if not pending:
            return
        pending.clear()
        try:
            with registry.cursor() as cr:
                if in_test and isinstance(cr, Cursor):
                    return
                audit_env = api.Environment(cr, uid, {})
                target = audit_env[model].sudo().browse(ids).exists()
                audit_env["o2c.audit.log"]._log(
                    REFUSED_ACTION, summary, records=target or None, data=data
                )
        except Exception:  # auditing must not hide the refusal itself
            _logger.exception("O2C: could not audit the refused %s", action)

    _logger.warning("O2C access refused: %s", summary)
    env.cr.postrollback.add(write)
    env.cr.postcommit.add(write)
