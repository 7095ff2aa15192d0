"""File responses with the kernel's ``sendfile`` under uvloop.

aiohttp's :class:`~aiohttp.web.FileResponse` hands the body to ``loop.sendfile``; uvloop
does not implement it, so aiohttp falls back to reading the file in chunks on a thread
and writing each through the transport: two copies of every byte. :class:`SendfileResponse`
does what asyncio's own loop does instead (``sock_sendfile``): once the headers are out
and the transport holds nothing, the file goes from the page cache to the socket with
``os.sendfile``, on a worker thread (the socket is non-blocking: the thread waits for it
to take more with ``select``), while the event loop goes on with everything else.

Encrypted connections (HTTPS) and compressed responses keep aiohttp's own path: there
the bytes must pass through Python anyway.

What this module does not do: decide what is served (:mod:`chinwag.web.files`).
"""

from __future__ import annotations

import asyncio
import os
import select
import threading
from typing import IO, TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from aiohttp.abc import AbstractStreamWriter
    from aiohttp.web_request import BaseRequest

STALL_SECONDS = 60.0  # a reader that takes nothing for this long is given up on
STOP_CHECK = 0.5  # seconds between looks at ``stop`` while the reader takes nothing
FLUSH_WAIT = 0.001  # seconds between looks at a transport still sending the headers
FLUSH_TRIES = 5000  # looks before giving up on such a transport (5 s in all)


def send_all(
    sock_fd: int, file_fd: int, offset: int, count: int, stop: threading.Event | None = None
) -> None:
    """Send ``count`` bytes of ``file_fd`` from ``offset`` to the non-blocking socket
    ``sock_fd`` (on a worker thread); give up when ``stop`` is set."""
    idle = 0.0
    while count > 0:
        if stop is not None and stop.is_set():
            raise ConnectionResetError("the response was abandoned")
        try:
            sent = os.sendfile(sock_fd, file_fd, offset, count)
        except BlockingIOError:
            _, writable, _ = select.select([], [sock_fd], [], STOP_CHECK)
            idle = 0.0 if writable else idle + STOP_CHECK
            if idle >= STALL_SECONDS:
                raise ConnectionResetError("the reader took nothing for too long") from None
            continue
        if sent == 0:
            raise ConnectionResetError("connection closed during sendfile")
        offset += sent
        count -= sent


def send_owned(sock_fd: int, file_fd: int, offset: int, count: int, stop: threading.Event) -> None:
    """:func:`send_all` on descriptors of its own, which it closes when done.

    The worker must not use the connection's and the file's own descriptor numbers:
    when the reader goes away the event loop closes the socket, aiohttp closes the file,
    and the next connection or file opened may get the same number; a thread still
    sending to it would send this file's bytes to somebody else. Duplicates keep the
    socket and the file open (and their numbers taken) until this thread is done."""
    try:
        send_all(sock_fd, file_fd, offset, count, stop)
    finally:
        os.close(sock_fd)
        os.close(file_fd)


class SendfileResponse(web.FileResponse):
    """A :class:`~aiohttp.web.FileResponse` that uses ``sendfile`` under uvloop too."""

    async def _sendfile(
        self, request: BaseRequest, fobj: IO[Any], offset: int, count: int
    ) -> AbstractStreamWriter:
        transport = request.transport
        sock = transport.get_extra_info("socket") if transport is not None else None
        plain = transport is not None and transport.get_extra_info("ssl_object") is None
        if sock is None or not plain or self.compression or count <= 0:
            return await super()._sendfile(request, fobj, offset, count)
        assert transport is not None
        writer = await web.StreamResponse.prepare(self, request)
        assert writer is not None
        for _ in range(FLUSH_TRIES):  # the headers must be on the wire before the body
            if transport.get_write_buffer_size() == 0 or transport.is_closing():
                break
            await asyncio.sleep(FLUSH_WAIT)
        else:
            raise ConnectionResetError("the headers could not be sent")
        if transport.is_closing():
            raise ConnectionResetError("Connection lost")
        loop = asyncio.get_running_loop()
        stop = threading.Event()
        fds: list[int] = []  # the thread's own descriptors: it closes them once started
        try:
            fds.append(os.dup(sock.fileno()))
            fds.append(os.dup(fobj.fileno()))
            sock_fd, file_fd = fds
            job = loop.run_in_executor(None, send_owned, sock_fd, file_fd, offset, count, stop)
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        try:
            await job
        finally:
            stop.set()  # cancelled (the reader left, the server stops): the thread ends too
        await web.StreamResponse.write_eof(self)
        return writer
