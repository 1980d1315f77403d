# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os
import shutil
import tempfile
from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from .common import O2cTestMixin


@tagged("post_install", "-at_install")
class TestAuditTour(O2cTestMixin, HttpCase):
    """Order-to-Cash > Audit Log > Verify Chain, clicked in a real browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._o2c_setup_keys()
        digest_dir = tempfile.mkdtemp(prefix="o2c_audit_tour_")
        cls.addClassCleanup(shutil.rmtree, digest_dir, True)
        env_patch = patch.dict(os.environ, {"O2C_AUDIT_DIGEST_DIR": digest_dir})
        env_patch.start()
        cls.addClassCleanup(env_patch.stop)
        Audit = cls.env["o2c.audit.log"]
        for i in range(3):
            Audit._log("credential.change", f"Tour entry {i}", data={"i": i})
        Audit._seal_pending()
        cls.env["o2c.audit.digest"]._create_digest()

    def test_verify_chain_button(self):
        self.start_tour(
            "/odoo/action-o2c_integration.o2c_audit_log_action",
            "o2c_audit_verify_chain",
            login="admin",
        )
