DROP TABLE messages_log;
DROP TABLE analytics;
DROP TABLE sessions;
DROP TABLE users;
