#!/usr/bin/env python3
"""A partner's integration with darkroom, in plain Python (standard library
only): what the README's "Partner REST API" promises, tried end to end.

    python3 docs/examples/partner.py http://127.0.0.1:8080 TOKEN PHOTO.jpg

It reads the OpenAPI description, registers a webhook with a receiver of its
own (on loopback), takes a first sync, uploads a photo, changes it, and then
checks that the change feed and the webhook both told it everything, with
valid signatures, and that reads answer 304 while nothing changed. It prints
one JSON line and exits non-zero if any promise was broken. The test suite
runs it (tests/cli/partner.rs); the token needs read, upload and edit, and
the server `--webhooks-allow-private` (the receiver is on loopback, which a
server as shipped refuses to send to).
"""

import hashlib
import hmac
import http.server
import json
import sys
import threading
import time
import urllib.error
import urllib.request

BASE, TOKEN, PHOTO = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
WANTED = ["asset.created", "rendition.ready", "asset.edited", "asset.trashed", "album.changed"]


def call(method, path, body=None, headers=None, raw=None):
    """One request; returns (status, headers, parsed JSON or None)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Authorization", "Bearer " + TOKEN)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, response.headers, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, error.headers, json.loads(text) if text else None


class Receiver(http.server.BaseHTTPRequestHandler):
    """Keeps every delivery whose signature verifies; counts the others."""

    secret = b""
    events = []
    forged = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        parts = dict(p.split("=", 1) for p in self.headers["X-Darkroom-Signature"].split(","))
        expected = hmac.new(Receiver.secret, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
        fresh = abs(time.time() - int(parts["t"])) < 300
        if hmac.compare_digest(expected, parts["v1"]) and fresh:
            Receiver.events.append(json.loads(body))
            self.send_response(204)
        else:
            Receiver.forged += 1
            self.send_response(400)
        self.end_headers()

    def log_message(self, *args):
        pass


def drain(cursor):
    """Follows the feed until it is up to date."""
    entries = []
    while True:
        query = f"?cursor={cursor}" if cursor else ""
        status, _, page = call("GET", "/api/v1/sync" + query)
        assert status == 200, (status, page)
        entries += page["changes"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return entries, cursor


def main():
    broken = []

    def promise(ok, what):
        if not ok:
            broken.append(what)

    status, _, description = call("GET", "/api/openapi.json")
    promise(status == 200 and description["openapi"].startswith("3.1"), "OpenAPI 3.1 description")
    operations = sum(len(item) for item in description["paths"].values())

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{server.server_address[1]}/darkroom"
    status, _, hook = call("POST", "/api/v1/webhooks", {"url": hook_url, "events": WANTED})
    promise(status == 201, f"webhook registered ({status})")
    Receiver.secret = hook["secret"].encode()

    _, cursor = drain(None)  # a first sync: the snapshot, then up to date

    photo = open(PHOTO, "rb").read()
    device_id = "partner-demo-" + hashlib.sha256(photo).hexdigest()[:16]
    status, _, checked = call("POST", "/api/v1/assets/check", {"assets": [{"device_asset_id": device_id}]})
    promise(status == 200 and checked["results"][0]["status"] == "missing", "check says missing")
    status, _, uploaded = call(
        "POST", "/api/v1/assets?filename=partner.jpg", raw=photo,
        headers={"Content-Type": "application/octet-stream", "X-Device-Asset-Id": device_id},
    )
    promise(status == 201, f"upload ({status})")
    asset = uploaded["id"]
    status, _, checked = call("POST", "/api/v1/assets/check", {"assets": [{"device_asset_id": device_id}]})
    promise(checked["results"][0]["status"] == "present", "check says present")

    call("PATCH", f"/api/v1/assets/{asset}", {"title": "From a partner"})
    status, _, _ = call("PUT", f"/api/v1/assets/{asset}/edit", {"exposure": 0.3})
    promise(status == 200, f"edit saved ({status})")
    status, _, album = call("POST", "/api/v1/albums", {"name": "Partner", "asset_ids": [asset]})
    call("PATCH", f"/api/v1/albums/{album['id']}", {"name": "Partner picks"})
    call("DELETE", f"/api/v1/assets/{asset}")

    # The feed, in order, with nothing skipped.
    deadline = time.time() + 60
    types = []
    while time.time() < deadline:
        changes, _ = drain(cursor)
        types = [c["type"] for c in changes]
        if "rendition.ready" in types and len(Receiver.events) >= len(WANTED):
            break
        time.sleep(0.5)
    seqs = [c["seq"] for c in changes]
    promise(seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"feed without gaps {seqs}")
    for expected in ["asset.created", "asset.updated", "asset.edited", "album.created",
                     "album.assets_changed", "album.changed", "asset.trashed", "rendition.ready"]:
        promise(expected in types, f"feed has {expected}: {types}")

    # The webhook, signed, for each event asked for.
    delivered = sorted({e["type"] for e in Receiver.events})
    promise(delivered == sorted(WANTED), f"webhook events {delivered}")
    promise(Receiver.forged == 0, "every delivery signed")
    status, _, history = call("GET", f"/api/v1/webhooks/{hook['id']}/deliveries")
    promise(all(d["state"] == "delivered" for d in history["deliveries"]), "delivery history")

    # Conditional reads.
    status, headers, _ = call("GET", "/api/v1/albums")
    status, _, _ = call("GET", "/api/v1/albums", headers={"If-None-Match": headers["ETag"]})
    promise(status == 304, f"304 while nothing changed ({status})")

    call("DELETE", f"/api/v1/webhooks/{hook['id']}")
    server.shutdown()
    print(json.dumps({
        "operations_described": operations,
        "feed": types,
        "webhook_events": delivered,
        "broken": broken,
    }))
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
