DROP TABLE webhook_deliveries;
DROP TABLE webhook_subscriptions;
DROP TABLE request_portals;
DROP TABLE portals;
