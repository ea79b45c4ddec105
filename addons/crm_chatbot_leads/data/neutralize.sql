-- neutralized copies must not answer real customers nor keep production secrets
UPDATE chatbot_bot SET token = NULL, webhook_secret = NULL, webhook_state = 'none', active = false;
UPDATE chatbot_message SET state = 'cancelled' WHERE state = 'queued';
