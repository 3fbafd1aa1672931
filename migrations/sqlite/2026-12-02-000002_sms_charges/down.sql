DROP TABLE sms_charges;
