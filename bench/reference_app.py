"""The bare reference for bench/ingest.py: a raw ASGI app that parses the JSON, compares the
token and inserts one row with asyncpg. What a webhook receiver costs with nothing else."""

from __future__ import annotations

import hmac
import json
import os
from typing import Any

import asyncpg

TOKEN = os.environ["BENCH_TOKEN"].encode()
DSN = os.environ["BENCH_DSN"]
_pool: Any = None


async def _respond(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _pool = await asyncpg.create_pool(DSN, min_size=10, max_size=10)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await _pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    headers = dict(scope["headers"])
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    if not hmac.compare_digest(headers.get(b"clockify-signature", b""), TOKEN):
        await _respond(send, 401, b'{"error":"unauthorized"}')
        return
    body = json.loads(b"".join(chunks))
    async with _pool.acquire() as connection:
        await connection.execute(
            "INSERT INTO bench_reference (entry_id, body) VALUES ($1, $2)",
            body["id"],
            json.dumps(body),
        )
    await _respond(send, 200, b'{"ok":true}')
