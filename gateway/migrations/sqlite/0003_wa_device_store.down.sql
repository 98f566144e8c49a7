DROP TABLE wa_lid_map;
DROP TABLE wa_sender_keys;
DROP TABLE wa_identities;
DROP TABLE wa_signal_sessions;
DROP TABLE wa_prekey_alloc;
DROP TABLE wa_prekeys;
DROP TABLE wa_devices;
