-- The change feed (issue 5): every change to a user's library, in the order
-- it committed. `seq` counts per owner without gaps: the writer takes it from
-- `users.change_seq` in its own transaction, which locks the owner's row until
-- commit, so change N+1 cannot be seen before change N is. A reader that has
-- seen up to N therefore never skips one.
ALTER TABLE users ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
CREATE TABLE changes (
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    asset_id TEXT,
    album_id TEXT,
    at BIGINT NOT NULL,
    PRIMARY KEY (owner_id, seq)
);
