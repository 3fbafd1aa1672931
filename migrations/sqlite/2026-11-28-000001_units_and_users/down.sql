DROP TABLE users;
DROP TABLE units;
