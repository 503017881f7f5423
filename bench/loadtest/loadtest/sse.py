"""Reading Server-Sent Events from a raw HTTP/1.1 response, for the tools that need more than
beacon-bench reports: each event's arrival, a first event's delay, streams that reconnect."""

import asyncio
from collections import namedtuple

from .repo import HOST

Event = namedtuple("Event", "name data id")


def parse_head(head):
    """Status code and headers (names lower-cased) of a response head ending in a blank line."""
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return status, headers


def request(path):
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept: text/event-stream\r\n\r\n".encode()


class EventStream:
    """Turns the bytes of a response body, as they arrive, into events: the chunked transfer coding
    is undone when `chunked`, then lines (ending in LF, CRLF or CR) are read as SSE fields, and a
    blank line dispatches an event that has data. Comments and `retry:` are skipped."""

    def __init__(self, chunked):
        self.chunked = chunked
        self.raw = b""        # bytes not yet taken out of the chunk framing
        self.chunk_left = 0   # bytes of the current chunk still to come, then its CRLF
        self.text = b""       # body bytes not yet split into lines
        self.fields = {}
        self.ended = False    # the last chunk arrived

    def feed(self, data):
        """The events completed by `data`."""
        self.text += self._unchunk(data) if self.chunked else data
        events = []
        while True:
            end = min((i for i in (self.text.find(b"\n"), self.text.find(b"\r")) if i >= 0), default=-1)
            if end < 0 or (self.text[end:end + 1] == b"\r" and end + 1 == len(self.text)):
                return events  # no whole line yet (a CR at the end may be the start of CRLF)
            line = self.text[:end]
            self.text = self.text[end + (2 if self.text[end:end + 2] == b"\r\n" else 1):]
            event = self._line(line.decode(errors="replace"))
            if event:
                events.append(event)

    def _line(self, line):
        if not line:
            fields, self.fields = self.fields, {}
            if "data" in fields:
                return Event(fields.get("event", "message"), fields["data"], fields.get("id"))
            return None
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data" and "data" in self.fields:
            self.fields["data"] += "\n" + value
        elif name in ("event", "data", "id"):
            self.fields[name] = value
        return None

    def _unchunk(self, data):
        self.raw += data
        body = b""
        while self.raw and not self.ended:
            if self.chunk_left > 0:
                taken = self.raw[:self.chunk_left]
                body += taken
                self.raw = self.raw[len(taken):]
                self.chunk_left -= len(taken)
                if self.chunk_left > 0:
                    break
                self.chunk_left = -2  # the CRLF after the chunk's data
            if self.chunk_left == -2:
                if len(self.raw) < 2:
                    break
                self.raw, self.chunk_left = self.raw[2:], 0
                continue
            end = self.raw.find(b"\r\n")
            if end < 0:
                break
            size = int(self.raw[:end].split(b";")[0], 16)
            self.raw = self.raw[end + 2:]
            self.chunk_left = size
            self.ended = size == 0
        return body


class Subscription:
    """One SSE request on its own connection (asyncio): the response head, then events as they come."""

    def __init__(self, reader, writer, status, headers, stream):
        self.reader, self.writer = reader, writer
        self.status, self.headers = status, headers
        self.stream = stream  # None unless the answer is an event stream
        self.pending = []

    @classmethod
    async def open(cls, port, path, timeout=10.0):
        """Connects, sends GET `path` and reads the response head within `timeout` seconds."""
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
        try:
            writer.write(request(path))
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        except BaseException:
            writer.close()
            raise
        status, headers = parse_head(head)
        stream = None
        if headers.get("content-type", "").startswith("text/event-stream"):
            stream = EventStream("chunked" in headers.get("transfer-encoding", ""))
        return cls(reader, writer, status, headers, stream)

    async def events(self):
        """The next events, waiting for at least one; an empty list when the server ended the stream."""
        while not self.pending:
            chunk = await self.reader.read(65536)
            if not chunk:
                return []
            self.pending = self.stream.feed(chunk)
        events, self.pending = self.pending, []
        return events

    async def drain(self):
        """Reads and drops everything until the server ends the stream."""
        try:
            while await self.reader.read(65536):
                pass
        except OSError:
            pass

    def close(self):
        self.writer.close()
