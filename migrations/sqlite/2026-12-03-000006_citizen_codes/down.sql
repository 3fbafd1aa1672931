DROP TABLE citizen_codes;
