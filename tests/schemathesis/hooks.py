"""Schemathesis hooks for darkroom's API description.

tus requests carry their bytes as `application/offset+octet-stream`, which
Schemathesis has no serializer for: send the generated value as raw bytes.
"""

import schemathesis


@schemathesis.serializer("application/offset+octet-stream")
def offset_octet_stream(ctx, value):
    if isinstance(value, bytes):
        return value
    return str(value).encode()
