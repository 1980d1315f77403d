# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The configuration file ``scripts/demo.sh`` writes, rendered by bash and read back.

Live updates need the websocket on a port of its own per demo, and Odoo 19 warns
about every option of ``[options]`` it does not know (``unknown option ... stored
as-is``): the demo's configuration carries only Odoo's options there.
"""

import configparser
import re
import subprocess
from pathlib import Path

from cryptography.fernet import Fernet

from odoo.tools import config as odoo_config

from odoo.addons.o2c_integration.lib.crypto import keys_from_config_file

DEMO_SH = Path(__file__).resolve().parent.parent / "scripts" / "demo.sh"


def _render_config(tmp_path, **env):
    """Run the variable settings and the config heredoc of demo.sh in bash."""
    script = DEMO_SH.read_text()
    settings = "\n".join(
        line
        for line in script.splitlines()
        if re.match(r"^(DB|PORT|GEVENT_PORT|WORKERS)=", line)
    )
    heredoc = re.search(r'^cat > "\$CONF" <<CONF\n.*?^CONF$', script, re.S | re.M)
    assert heredoc, "demo.sh no longer writes its configuration with a heredoc"
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    key = Fernet.generate_key().decode()
    (state / "encryption.key").write_text(key + "\n")
    conf = tmp_path / "odoo-demo.conf"
    program = "\n".join(
        [
            "set -eu",
            "PGHOST=127.0.0.1 PGPORT=5432 PGUSER=odoo ADDONS_PATH=/addons",
            f'STATE_DIR="{state}" CONF="{conf}"',
            settings,
            heredoc.group(0),
        ]
    )
    subprocess.run(
        ["bash", "-c", program], check=True, env={"PATH": "/usr/bin:/bin", **env}
    )
    parser = configparser.RawConfigParser()
    parser.read(conf)
    return parser, conf, key


def test_each_demo_port_gets_its_own_websocket_port(tmp_path):
    first, _conf, _key = _render_config(tmp_path)
    assert first.get("options", "http_port") == "8069"
    assert first.get("options", "gevent_port") == "8072"
    second, _conf, _key = _render_config(tmp_path, O2C_DEMO_PORT="9100")
    assert second.get("options", "gevent_port") == "9103"
    chosen, _conf, _key = _render_config(
        tmp_path, O2C_DEMO_PORT="9100", O2C_DEMO_GEVENT_PORT="9555"
    )
    assert chosen.get("options", "gevent_port") == "9555"


def test_default_demo_serves_the_websocket_on_its_http_port(tmp_path):
    # prefork workers cannot upgrade /websocket (only the gevent worker can, behind a
    # proxy); the threaded server does it on its own port, with the job runner thread
    parser, _conf, _key = _render_config(tmp_path)
    assert parser.get("options", "workers") == "0"
    assert "queue_job" in parser.get("options", "server_wide_modules")
    assert parser.get("queue_job", "port") == parser.get("options", "http_port")


def test_demo_config_has_no_option_odoo_would_warn_about(tmp_path):
    parser, conf, key = _render_config(tmp_path)
    unknown = [
        name
        for name in parser.options("options")
        if name not in odoo_config.options_index and name not in odoo_config.aliases
    ]
    assert unknown == []
    # the encryption key sits in the addon's own section, where the addon reads it
    assert keys_from_config_file(str(conf)) == key
