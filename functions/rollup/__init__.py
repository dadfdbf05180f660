"""The rollup job: hourly usage totals per account, model and key (EventBridge schedule, no HTTP)."""
