"""Must show 3: under Xvfb, one client attaches a picture and another shows its
thumbnail inline (click: the viewer); other files show name, size and Save; the upload
bar has progress and Cancel; a private chat's own window attaches and takes /upload
too; a server that takes no files is explained."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from chinwag.gui import files_view
from chinwag.gui.app import App
from chinwag.transport.runner import ServerRunner
from tests.gui.conftest import connected, pump
from tests.support import TIMEOUT, LineClient
from tests.web.conftest import request


def picture(path: Path) -> Path:
    img = Image.new("RGB", (480, 320), "white")
    for x in range(480):
        for y in range(0, 320, 4):
            img.putpixel((x, y), (x % 256, 80, 200))
    img.save(path, "PNG")
    return path


def test_an_attached_picture_shows_inline_for_the_other_client(
    make_app: Callable[..., App],
    web_server: ServerRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alice, bob = make_app(), make_app()
    connected(alice, web_server.port, "alice")
    connected(bob, web_server.port, "bob")
    assert alice.chat is not None and bob.chat is not None
    path = picture(tmp_path / "sunset.png")
    # The attach button asks for a file (the dialog is replaced) and sends it.
    monkeypatch.setattr(files_view, "ask_open_path", lambda parent: str(path))
    assert alice.chat.attach_button is not None
    alice.chat.attach_button.invoke()
    assert alice.chat.upload_bar.winfo_manager() == "pack"

    def both_pump() -> None:
        alice.root.update()

    pump(
        bob.root,
        lambda: (both_pump(), bool(bob.chat and bob.chat.text.image_names()))[1],
        4 * TIMEOUT,
    )
    assert "/files/" in bob.chat.message_text() and "sunset.png" in bob.chat.message_text()
    assert alice.chat.upload_bar.winfo_manager() == ""  # gone once done
    pump(alice.root, lambda: bool(alice.chat and alice.chat.text.image_names()), 2 * TIMEOUT)

    # A click on the thumbnail opens the picture in a window of its own.
    text = bob.chat.text
    (image,) = text.image_names()
    text.see(image)
    bob.root.update()
    x, y, w, h = text.bbox(image)
    text.event_generate("<Motion>", x=x + w // 2, y=y + h // 2)  # Tk's "current" follows
    text.event_generate("<Button-1>", x=x + w // 2, y=y + h // 2)
    pump(bob.root, lambda: bool(bob.files.inline.viewers) and bob.files.inline.viewers[0].shown)
    assert bob.files.inline.viewers[0].title() == "sunset.png"


def test_other_files_show_name_size_and_save(
    make_app: Callable[..., App], web_server: ServerRunner, tmp_path: Path
) -> None:
    alice, bob = make_app(), make_app()
    connected(alice, web_server.port, "alice")
    connected(bob, web_server.port, "bob")
    assert alice.chat is not None and bob.chat is not None
    doc = tmp_path / "agenda.txt"
    doc.write_text("1. files\n2. pictures\n")
    assert alice.send(f"/upload {doc}")  # as typed into the entry

    def saw_it() -> bool:
        alice.root.update()
        return bob.chat is not None and "▪ agenda.txt · 21 bytes  Save" in bob.chat.message_text()

    pump(bob.root, saw_it, 4 * TIMEOUT)
    # The sender's own line (drawn again once the server confirmed it) has it too, once.
    pump(alice.root, lambda: alice.chat is not None and "▪ agenda.txt" in alice.chat.message_text())
    own = alice.chat.message_text()
    assert own.count("▪ agenda") == 1 and own.index("/files/") < own.index("▪ agenda")
    ((url, info),) = [(u, i) for u, (i, _) in bob.files.inline.cache.items() if i]
    target = tmp_path / "saved.txt"
    thread = bob.files.inline.save(url, info, str(target))
    assert thread is not None
    thread.join(TIMEOUT)
    assert target.read_text() == doc.read_text()


def test_uploads_explained_when_they_cannot_happen(
    make_app: Callable[..., App], server: ServerRunner, tmp_path: Path
) -> None:
    app = make_app()
    connected(app, server.port, "alice")  # a server without a web service
    assert app.chat is not None
    app.chat.entry.insert(0, f"/upload {tmp_path / 'nothing.png'}")
    app.chat.entry.event_generate("<Return>")
    pump(app.root, lambda: "This server does not take files." in app.chat.message_text())


def test_upload_bar_progress_and_cancel(
    make_app: Callable[..., App], web_server: ServerRunner, tmp_path: Path
) -> None:
    app = make_app()
    connected(app, web_server.port, "alice")
    assert app.chat is not None
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(24 * 1024 * 1024))
    assert app.files.start(str(big))
    pump(app.root, lambda: app.files.upload is not None)
    app.chat.upload_bar.cancel_button.invoke()
    pump(app.root, lambda: "was cancelled" in app.chat.message_text(), 2 * TIMEOUT)
    assert app.chat.upload_bar.winfo_manager() == ""


def test_a_private_window_attaches_and_takes_upload(
    make_app: Callable[..., App],
    web_server: ServerRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    carol = LineClient("127.0.0.1", web_server.port)
    try:
        carol.register("carol")
        app = make_app()
        connected(app, web_server.port, "alice")
        chat = app.chat
        assert chat is not None
        chat.windows_check.invoke()  # private chats in windows of their own
        app.open_private("carol")
        pump(app.root, lambda: "carol" in app.windows)
        window = app.windows["carol"]
        links: list[str] = []

        def carol_got_a_link() -> bool:
            for m in carol.collect(0.01):
                if m.command == "PRIVMSG" and m.param(0) == "carol" and "/files/" in m.param(1):
                    links.append(m.param(1))
            return bool(links)

        # The window's Attach: the file dialog comes up over the window, the upload bar
        # shows in the window (not the main one), and carol gets the link.
        notes = tmp_path / "notes.txt"
        notes.write_text("for carol only\n")
        asked: list[object] = []
        monkeypatch.setattr(
            files_view, "ask_open_path", lambda parent: (asked.append(parent), str(notes))[1]
        )
        assert window.attach_button is not None
        window.attach_button.invoke()
        assert asked == [window]
        assert window.upload_bar.winfo_manager() == "pack"
        assert chat.upload_bar.winfo_manager() == ""
        pump(app.root, carol_got_a_link, 4 * TIMEOUT)
        assert request(links.pop())[2] == notes.read_bytes()
        pump(app.root, lambda: window.upload_bar.winfo_manager() == "")
        pump(app.root, lambda: "/files/" in window.message_text())
        assert "/files/" not in chat.message_text()

        # /upload PATH typed into the window sends to carol too.
        pic = picture(tmp_path / "for-carol.png")
        window.entry.insert(0, f"/upload {pic}")
        window.entry.event_generate("<Return>")
        pump(app.root, carol_got_a_link, 4 * TIMEOUT)
        assert links[0].endswith("/for-carol.png") and window.entry.get() == ""
    finally:
        carol.close()
