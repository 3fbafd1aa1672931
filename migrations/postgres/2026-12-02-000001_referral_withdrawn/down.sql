-- Withdrawn referrals go back to what they were closest to before: open work.
UPDATE referrals SET status = 'open' WHERE status = 'withdrawn';
ALTER TABLE referrals DROP CONSTRAINT referrals_status_check;
ALTER TABLE referrals ADD CONSTRAINT referrals_status_check
    CHECK (status IN ('open', 'acknowledged', 'answered', 'accepted', 'returned'));
