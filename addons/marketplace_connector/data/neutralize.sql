-- a neutralized copy never talks to the real marketplaces: test mode (test API URL only) and no secrets
UPDATE marketplace_channel SET prod_environment = false, api_token = NULL, password = NULL;
