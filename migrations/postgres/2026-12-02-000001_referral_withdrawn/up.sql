-- A referral whose request was closed before it was accepted is `withdrawn` (closing a request
-- settles what hangs on it): the unit sees that it needs no more work.
ALTER TABLE referrals DROP CONSTRAINT referrals_status_check;
ALTER TABLE referrals ADD CONSTRAINT referrals_status_check
    CHECK (status IN ('open', 'acknowledged', 'answered', 'accepted', 'returned', 'withdrawn'));
