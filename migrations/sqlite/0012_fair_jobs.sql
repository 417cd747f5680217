-- Fairness in the queue (issue 19). A job knows whose it is and its `place`
-- in that owner's line: a new job goes one past the owner's last queued job,
-- but never before the line's front (the lowest place queued), so somebody
-- arriving behind a backlog of ten thousand is served alongside it, one for
-- one, rather than after it. Workers lease the lowest place first, and
-- webhook deliveries in a lane of their own (see darkroom-workers' runner).
ALTER TABLE jobs ADD COLUMN owner_id TEXT;
ALTER TABLE jobs ADD COLUMN place BIGINT NOT NULL DEFAULT 0;
UPDATE jobs SET owner_id = (SELECT a.owner_id FROM assets a WHERE a.id = jobs.asset_id)
WHERE asset_id IS NOT NULL;
UPDATE jobs SET owner_id = (
    SELECT w.owner_id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
    WHERE d.id = json_extract(jobs.payload, '$.delivery_id'))
WHERE kind = 'deliver_webhook';
CREATE INDEX jobs_line ON jobs (state, kind, place, run_after);
CREATE INDEX jobs_owner_line ON jobs (state, kind, owner_id, place);
