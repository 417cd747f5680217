-- Webhooks (issue 5): a partner registers a URL for some of the change
-- feed's event types. Each matching change becomes a delivery, in the same
-- transaction as the change, with a job in the queue that sends it (and
-- retries it with backoff); every attempt is kept for the delivery history.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- HMAC-SHA256 key for the signature; shown once, at creation.
    secret TEXT NOT NULL,
    -- Event types, space-separated, with a space at each end (for LIKE).
    events TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX webhooks_owner ON webhooks (owner_id);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    -- The JSON body sent, byte for byte the same on every attempt.
    payload TEXT NOT NULL,
    -- pending, delivered or failed
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);

CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt BIGINT NOT NULL,
    at BIGINT NOT NULL,
    -- The receiver's HTTP status, when it answered.
    status BIGINT,
    error TEXT,
    duration_ms BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
