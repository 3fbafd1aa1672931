DROP TABLE ratings;
DROP TABLE meetings;
DROP TABLE referrals;
