#!/usr/bin/env bash
# Starts a working O2C demo instance on 127.0.0.1: creates the database if missing, installs the
# three addons with demo data, loads sample orders, and runs Odoo with the queue_job runner.
#   bash scripts/demo.sh
# Environment: O2C_DEMO_DB (default o2c_demo), O2C_DEMO_PORT (default 8069), PGHOST/PGPORT/PGUSER,
#   O2C_DEMO_WORKERS (default 0: one threaded server whose port also serves the live-update websocket;
#   > 0: prefork workers, whose websocket runs on O2C_DEMO_GEVENT_PORT, default O2C_DEMO_PORT + 3,
#   and needs a reverse proxy sending /websocket there), O2C_DEMO_GEVENT_PORT.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
DB="${O2C_DEMO_DB:-o2c_demo}"
PORT="${O2C_DEMO_PORT:-8069}"
# Each demo gets its own evented (websocket) port: two demos on one host never collide.
GEVENT_PORT="${O2C_DEMO_GEVENT_PORT:-$((PORT + 3))}"
WORKERS="${O2C_DEMO_WORKERS:-0}"
STATE_DIR="$REPO_DIR/.o2c"
CONF="$STATE_DIR/odoo-demo.conf"

check_odoo
check_postgres
install_python_deps
mkdir -p "$STATE_DIR"

# An encryption key for the demo's credentials, generated once and kept outside git (.o2c/).
if [ ! -f "$STATE_DIR/encryption.key" ]; then
    "$PYTHON" -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" \
        > "$STATE_DIR/encryption.key"
    chmod 600 "$STATE_DIR/encryption.key"
fi
cat > "$CONF" <<CONF
[options]
db_host = $PGHOST
db_port = $PGPORT
db_user = $PGUSER
addons_path = $ADDONS_PATH
http_interface = 127.0.0.1
http_port = $PORT
gevent_port = $GEVENT_PORT
dbfilter = ^$DB\$
workers = $WORKERS
max_cron_threads = 1
server_wide_modules = base,web,queue_job

[queue_job]
channels = root:2,root.o2c:2
scheme = http
host = 127.0.0.1
port = $PORT

[o2c_integration]
encryption_keys = $(cat "$STATE_DIR/encryption.key")
CONF
chmod 600 "$CONF"

if db_exists "$DB"; then
    echo "== Database '$DB' exists: updating the addons"
    $(odoo_launcher) -c "$CONF" -d "$DB" -u "$O2C_ADDONS" --stop-after-init --log-level=warn
else
    echo "== Creating database '$DB' with $O2C_ADDONS and demo data (a few minutes)"
    $(odoo_launcher) -c "$CONF" -d "$DB" -i "$O2C_ADDONS" --with-demo --stop-after-init --log-level=warn
fi

echo "== Loading sample orders and events"
$(odoo_launcher) shell -c "$CONF" -d "$DB" --log-level=warn --no-http <<'PY'
conn = env.ref("o2c_integration.demo_connection_webshop", raise_if_not_found=False)
if conn and hasattr(conn, "action_o2c_load_demo_orders"):
    conn.action_o2c_load_demo_orders()  # queued: the job runner processes them after start
    if not conn.webhook_secret_ids:
        env["o2c.connection.secret"].create(
            {"connection_id": conn.id, "name": "demo", "secret": "whsec_demo_o2c"})
    print("Demo web shop webhook:", conn.webhook_url, "(HMAC secret: whsec_demo_o2c)")
env.cr.commit()
PY

cat <<MSG

  O2C demo is starting at http://127.0.0.1:$PORT/odoo
  Login: admin   Password: admin
  Menu "Order-to-Cash": exception queue, integration events, connections.
  Live updates: $(if [ "$WORKERS" = "0" ]; then echo "on the same port"; else echo "websocket on port $GEVENT_PORT (route /websocket there with a reverse proxy)"; fi)
  (Ctrl-C stops it; the database '$DB' is kept for the next start.)

MSG
exec $(odoo_launcher) -c "$CONF" -d "$DB"
