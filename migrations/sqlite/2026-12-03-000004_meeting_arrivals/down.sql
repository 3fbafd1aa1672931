DROP TABLE meeting_arrivals;
