-- O2C bank feed: no pull from a real bank API on a neutralized copy (the connections
-- themselves are put in test mode by o2c_integration's neutralize.sql)
UPDATE ir_cron
   SET active = false
 WHERE id IN (SELECT res_id
                FROM ir_model_data
               WHERE model = 'ir.cron'
                 AND module = 'o2c_bank_feed'
                 AND name = 'ir_cron_o2c_bank_pull');
