-- O2C journal batches: no pull from a real payroll / expense system on a neutralized
-- copy (the connections themselves are put in test mode by o2c_integration's
-- neutralize.sql, which refuses every outbound call and inbound webhook)
UPDATE ir_cron
   SET active = false
 WHERE id IN (SELECT res_id
                FROM ir_model_data
               WHERE model = 'ir.cron'
                 AND module = 'o2c_journal_batch'
                 AND name = 'ir_cron_o2c_journal_pull');
