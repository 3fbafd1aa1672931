DROP TABLE abuse_counters;
