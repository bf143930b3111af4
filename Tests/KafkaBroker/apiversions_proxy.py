#!/usr/bin/env python3
"""Loopback proxy between Kafka clients and the test broker (tansu).

Debian's librdkafka 2.0.2 mis-skips the top-level tagged fields (FinalizedFeaturesEpoch and
friends) of tansu's ApiVersions v3+ response ("Protocol read buffer underflow for
ApiVersion v3"). This proxy rewrites that one response with an empty tagged-field section
and passes every other byte through unchanged (see DESIGN.md section 9).

A client asks for ApiVersions first on a connection: once it has sent any other request
and every ApiVersions answer has gone back, the connection's bytes are copied in chunks,
no longer frame by frame. Each direction of a connection is a thread doing blocking reads
and writes (an asyncio loop took a third of a core for the benchmarks' idle polling alone).

Usage: apiversions_proxy.py LISTEN_PORT BROKER_PORT
"""
import socket
import struct
import sys
import threading

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


def read_exactly(sock, size):
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return bytes(data)


def pump(source, target, on_frame, inspecting):
    """Copies frames through on_frame while inspecting() holds, then bytes as they come."""
    try:
        while inspecting():
            (length,) = struct.unpack(">i", read_exactly(source, 4))
            frame = on_frame(read_exactly(source, length))
            target.sendall(struct.pack(">i", len(frame)) + frame)
        buffer = bytearray(1 << 18)
        view = memoryview(buffer)
        while True:
            count = source.recv_into(buffer)
            if count == 0:
                break
            target.sendall(view[:count])
    except OSError:
        pass
    finally:
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def handle(client, broker_port):
    try:
        broker = socket.create_connection(("127.0.0.1", broker_port))
    except OSError:
        client.close()
        return
    for sock in (client, broker):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    versions_calls = set()
    # Set once the client sent a request other than ApiVersions: it asks for no more.
    past_versions = []

    def from_client(frame):
        api_key, api_version, correlation_id = struct.unpack(">hhi", frame[:8])
        if api_key == API_VERSIONS and api_version >= 3:
            versions_calls.add(correlation_id)
        elif api_key != API_VERSIONS:
            past_versions.append(True)
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

    upstream = threading.Thread(target=pump, args=(client, broker, from_client, lambda: not past_versions), daemon=True)
    upstream.start()
    pump(broker, client, from_broker, lambda: not past_versions or versions_calls)
    upstream.join()
    client.close()
    broker.close()


def main():
    listen_port, broker_port = int(sys.argv[1]), int(sys.argv[2])
    server = socket.create_server(("127.0.0.1", listen_port), backlog=128)
    while True:
        client, _ = server.accept()
        threading.Thread(target=handle, args=(client, broker_port), daemon=True).start()


if __name__ == "__main__":
    main()
