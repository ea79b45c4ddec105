UPDATE delivery_carrier SET nova_poshta_api_key = NULL WHERE delivery_type = 'nova_poshta';
