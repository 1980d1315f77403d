-- O2C: a neutralized copy never calls a real CRM, shop, bank or gateway, nor accepts
-- their webhooks (the code refuses both: o2c.connection._o2c_check_not_neutralized
-- and the webhook controller). Applied by `odoo-bin neutralize` and by database
-- duplication / restore with neutralization; base sets database.is_neutralized.

-- every connection in test mode; webhook URLs regenerated (random, 64 hex digits)
-- so that senders configured for production cannot reach the copy; cached OAuth2
-- tokens dropped
UPDATE o2c_connection
   SET neutralized = true,
       webhook_key = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
       access_token_enc = NULL,
       access_token_expiry = 0;

-- pull and sync crons off: the per-connection order pulls and the status catch-up
UPDATE ir_cron
   SET active = false
 WHERE id IN (SELECT order_pull_cron_id
                FROM o2c_connection
               WHERE order_pull_cron_id IS NOT NULL)
    OR id IN (SELECT res_id
                FROM ir_model_data
               WHERE model = 'ir.cron'
                 AND module = 'o2c_integration'
                 AND name = 'cron_order_status_drift');

-- queued O2C jobs (event processing, invoicing, reconciliation: channel root.o2c)
-- cancelled; their events stay 'queued' (nothing lost): the stuck-event cron, off on a
-- neutralized copy, queues them again if it is switched back on
UPDATE queue_job
   SET state = 'cancelled',
       date_cancelled = now() AT TIME ZONE 'UTC',
       result = 'Cancelled by the database neutralization'
 WHERE state IN ('wait_dependencies', 'pending', 'enqueued', 'started')
   AND (channel = 'root.o2c' OR channel LIKE 'root.o2c.%' OR model_name LIKE 'o2c.%');
