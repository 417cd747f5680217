"""Drives darkroom's /api/v1/uploads with tuspy (PyPI), a tus client no one
here wrote, the way a companion app does across a restart.

    tus_resume.py BASE_URL TOKEN FILE URL_STORE start|resume

`start` sends the first half of FILE in 64 KiB chunks, each with a SHA-1
Upload-Checksum, and stops as if the app were killed; the upload's URL stays
in URL_STORE. `resume` is a new process: it finds the URL by the file's
fingerprint, asks the server for the offset (HEAD) and sends the rest. Each
phase prints one JSON line.
"""

import json
import os
import sys

from tusclient import client
from tusclient.storage import filestorage


def main():
    base, token, path, store_path, phase = sys.argv[1:6]
    size = os.path.getsize(path)
    tus = client.TusClient(
        base + "/api/v1/uploads/", headers={"Authorization": "Bearer " + token}
    )
    store = filestorage.FileStorage(store_path)
    uploader = tus.uploader(
        path,
        chunk_size=64 * 1024,
        metadata={"filename": os.path.basename(path)},
        upload_checksum=True,
        store_url=True,
        url_storage=store,
        retries=0,
    )
    if phase == "start":
        uploader.upload(stop_at=size // 2)
        print(json.dumps({"url": uploader.url, "offset": uploader.offset}))
    else:
        resumed_from = uploader.offset
        uploader.upload()
        headers = uploader.request.response_headers
        print(
            json.dumps(
                {
                    "url": uploader.url,
                    "resumed_from": resumed_from,
                    "offset": uploader.offset,
                    "asset_id": headers.get("x-asset-id"),
                    "outcome": headers.get("x-upload-outcome"),
                }
            )
        )
    store.close()


if __name__ == "__main__":
    main()
