DROP TRIGGER analytics_rollup_update;
DROP TRIGGER analytics_rollup_insert;
DROP INDEX idx_webhook_deliveries_analytics;
DROP TABLE analytics_rollup_day;
DROP TABLE analytics_rollup_hour;
DROP TABLE analytics_rollup_quarter;
