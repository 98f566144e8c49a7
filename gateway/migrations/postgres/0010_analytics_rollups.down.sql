DROP TRIGGER analytics_rollup ON analytics;
DROP FUNCTION analytics_rollup_trigger();
DROP FUNCTION analytics_rollup_add(analytics, integer);
DROP INDEX idx_webhook_deliveries_analytics;
DROP TABLE analytics_rollup_day;
DROP TABLE analytics_rollup_hour;
DROP TABLE analytics_rollup_quarter;
