-- Issue 22, part 1: albums shared between accounts.
--
-- An album's owner adds other accounts as viewers (see the album and its
-- photos) or contributors (also add their own photos, and take out what
-- they added). Whether members see where photos were taken is the owner's
-- choice per album, off by default. Each photo in an album remembers who
-- put it there (NULL: the owner, as for every photo added before members
-- existed), so a contributor removes only their own and their photos leave
-- with them.
CREATE TABLE album_members (
    album_id   TEXT NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('viewer', 'contributor')),
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (album_id, user_id)
);
-- "Albums shared with me".
CREATE INDEX album_members_user ON album_members(user_id, album_id);

ALTER TABLE albums ADD COLUMN members_see_location BIGINT NOT NULL DEFAULT 0;
ALTER TABLE album_assets ADD COLUMN added_by TEXT REFERENCES users(id) ON DELETE CASCADE;
