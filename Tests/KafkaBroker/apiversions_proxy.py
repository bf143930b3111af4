#!/usr/bin/env python3
"""Loopback proxy between Kafka clients and the test broker (tansu).

Debian's librdkafka 2.0.2 mis-skips the top-level tagged fields (FinalizedFeaturesEpoch and
friends) of tansu's ApiVersions v3+ response ("Protocol read buffer underflow for
ApiVersion v3"). This proxy rewrites that one response with an empty tagged-field section
and passes every other byte through unchanged (see DESIGN.md section 9).

Usage: apiversions_proxy.py LISTEN_PORT BROKER_PORT
"""
import asyncio
import struct
import sys

API_VERSIONS = 18


def read_uvarint(data, offset):
    value, shift = 0, 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, offset
        shift += 7


def skip_tags(data, offset):
    count, offset = read_uvarint(data, offset)
    for _ in range(count):
        _, offset = read_uvarint(data, offset)
        size, offset = read_uvarint(data, offset)
        offset += size
    return offset


def strip_top_level_tags(body):
    """body: the response after its correlation id. Returns it with empty top-level tags."""
    offset = 2  # error_code
    count, offset = read_uvarint(body, offset)
    for _ in range(max(0, count - 1)):
        offset += 6  # api_key, min_version, max_version
        offset = skip_tags(body, offset)
    offset += 4  # throttle_time_ms
    return body[:offset] + b"\x00"


async def pump(reader, writer, on_frame):
    try:
        while True:
            header = await reader.readexactly(4)
            (length,) = struct.unpack(">i", header)
            frame = await reader.readexactly(length)
            frame = on_frame(frame)
            writer.write(struct.pack(">i", len(frame)) + frame)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def handle(client_reader, client_writer, broker_port):
    try:
        broker_reader, broker_writer = await asyncio.open_connection("127.0.0.1", broker_port)
    except OSError:
        client_writer.close()
        return
    versions_calls = set()

    def from_client(frame):
        api_key, api_version, correlation_id = struct.unpack(">hhi", frame[:8])
        if api_key == API_VERSIONS and api_version >= 3:
            versions_calls.add(correlation_id)
        return frame

    def from_broker(frame):
        (correlation_id,) = struct.unpack(">i", frame[:4])
        if correlation_id in versions_calls:
            versions_calls.discard(correlation_id)
            try:
                return frame[:4] + strip_top_level_tags(frame[4:])
            except IndexError:
                return frame
        return frame

    await asyncio.gather(
        pump(client_reader, broker_writer, from_client),
        pump(broker_reader, client_writer, from_broker),
    )


async def main():
    listen_port, broker_port = int(sys.argv[1]), int(sys.argv[2])
    server = await asyncio.start_server(lambda r, w: handle(r, w, broker_port), "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
