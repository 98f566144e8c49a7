DROP TABLE api_key_sessions;
DROP TABLE api_keys;
