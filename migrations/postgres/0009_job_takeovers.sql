-- Whether a job's current lease was taken over from a worker whose lease ran
-- out (it died, hung or lost the database): counted in the metrics, and the
-- admin jobs view says so in last_error.
ALTER TABLE jobs ADD COLUMN taken_over INTEGER NOT NULL DEFAULT 0;
