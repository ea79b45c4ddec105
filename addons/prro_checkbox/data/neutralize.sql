-- neutralized copies never fiscalize on a production register and keep no secrets
UPDATE prro_cash_register
   SET prod_environment = false, license_key = NULL, cashier_password = NULL, cashier_pin = NULL,
       access_token = NULL;
