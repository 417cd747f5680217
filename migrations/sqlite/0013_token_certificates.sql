-- Mutual TLS (issue 19): an API token may be bound to a client certificate
-- (the SHA-256 of its DER bytes, lowercase hex); such a token works only
-- over a connection that presents that certificate.
ALTER TABLE api_tokens ADD COLUMN certificate_sha256 TEXT;
