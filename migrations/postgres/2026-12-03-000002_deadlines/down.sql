DROP TABLE staff_notifications;
DROP TABLE deadlines;
