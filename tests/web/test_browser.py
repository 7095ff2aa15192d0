"""The browser client end to end: Debian's Chromium driven by Playwright, against a real
server on loopback, with the desktop client's core as a third person in the room:
chat, private messages, markup shown as text, reconnection, uploads with previews,
accounts, history on scroll and search.

Chromium is launched from its Debian path (no browser download happens, or can). Every
wait is bounded by a multiple of TIMEOUT.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from chinwag.client import events as ev
from chinwag.client.connection import Client
from chinwag.server.webconfig import WebConfig
from chinwag.transport.runner import ServerRunner
from tests.client.conftest import Watched
from tests.support import TIMEOUT, LineClient, wait_until
from tests.web.conftest import LOOPBACK, base_url

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = int(2 * TIMEOUT * 1000)

pytestmark = pytest.mark.timeout(20 * TIMEOUT)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Pages in contexts of their own (separate storage: separate people)."""
    contexts = []

    def make(width: int = 1280, height: int = 800, **options: Any) -> Page:
        ctx = browser.new_context(viewport={"width": width, "height": height}, **options)
        ctx.set_default_timeout(WAIT_MS)
        contexts.append(ctx)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.errors = errors  # type: ignore[attr-defined]
        return page

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def desktop() -> Iterator[Callable[..., Watched]]:
    made: list[Client] = []

    def make(port: int, nick: str) -> Watched:
        client = Client("127.0.0.1", port, nick, backoff_initial=0.2)
        client.start()
        made.append(client)
        return Watched(client)

    yield make
    for client in made:
        client.close(TIMEOUT)


def log_in(page: Page, url: str, nick: str, **options: Any) -> Page:
    page.goto(url)
    page.fill("#login-nick", nick)
    if options.get("password"):
        page.fill("#login-password", options["password"])
    if options.get("register"):
        page.check("#login-register")
    page.click("#login-submit")
    expect(page.locator("#chat")).to_be_visible()
    expect(page.locator("#buffer-name")).to_have_text("#lobby")
    return page


def say(page: Page, text: str) -> None:
    page.fill("#input", text)
    page.press("#input", "Enter")


def line_texts(page: Page) -> list[str]:
    return page.locator("#lines .line .text").all_text_contents()


def member(page: Page, nick: str) -> Any:
    return page.locator(f'#member-list li[data-nick="{nick}"]')


def test_two_browsers_and_a_desktop_client_share_the_lobby_and_a_pm_reaches_only_its_target(
    web_server: ServerRunner, new_page: Callable[..., Page], desktop: Callable[..., Watched]
) -> None:
    url = base_url(web_server)
    alice = log_in(new_page(), url, "alice")
    bob = log_in(new_page(), url, "bob")
    carol = desktop(web_server.port, "carol")
    carol.wait(ev.Registered)
    for page in (alice, bob):
        for nick in ("alice", "bob", "carol"):
            expect(member(page, nick)).to_be_visible()

    say(alice, "hello from a browser")
    expect(bob.locator("#lines .line").last).to_contain_text("hello from a browser")
    got = carol.wait(ev.ChatMessage, lambda e: e.text == "hello from a browser")
    assert (got.conversation, got.sender) == ("#lobby", "alice")

    carol.client.say("#lobby", "hello from the desktop")
    for page in (alice, bob):
        expect(page.locator("#lines .line").last).to_contain_text("hello from the desktop")

    # A private message, opened by double-clicking a name in the member list.
    member(alice, "bob").dblclick()
    expect(alice.locator("#buffer-name")).to_have_text("bob")
    say(alice, "just for bob")
    expect(alice.locator("#lines .line").last).to_contain_text("just for bob")
    entry = bob.locator('#buffers li[data-key="alice"]')
    expect(entry.locator(".badge")).to_have_text("1")
    assert "just for bob" not in " ".join(line_texts(bob))  # not in the lobby view
    entry.click()
    expect(bob.locator("#buffer-name")).to_have_text("alice")
    expect(bob.locator("#lines .line").last).to_contain_text("just for bob")
    # Bob answers; carol, in the same room as both, saw neither.
    say(bob, "got it")
    expect(alice.locator("#lines .line").last).to_contain_text("got it")
    carol.client.say("#lobby", "marker")
    expect(bob.locator('#buffers li[data-key="#lobby"] .badge')).to_have_text("1")
    carol.wait(ev.ChatMessage, lambda e: e.text == "marker")
    private = ("just for bob", "got it")
    assert not [e for e in carol.seen if isinstance(e, ev.ChatMessage) and e.text in private]
    assert alice.errors == [] and bob.errors == []  # type: ignore[attr-defined]


def test_markup_and_script_are_shown_as_text_and_never_run(
    web_server: ServerRunner, new_page: Callable[..., Page]
) -> None:
    url = base_url(web_server)
    alice = log_in(new_page(), url, "alice")
    bob = log_in(new_page(), url, "bob")
    payloads = [
        '<img src=x onerror="window.__xss=1">',
        "<script>window.__xss=2</script>",
        '<a href="javascript:window.__xss=3">click</a> javascript:window.__xss=4',
        "<b>bold?</b> &amp; &lt;",
    ]
    for text in payloads:
        say(alice, text)
    expect(bob.locator("#lines .line.privmsg")).to_have_count(len(payloads))
    assert bob.locator("#lines .line.privmsg .text").all_text_contents() == payloads
    for page in (alice, bob):
        assert page.locator("#lines script, #lines img, #lines b").count() == 0
        hrefs = page.locator("#lines a").evaluate_all("(as) => as.map((a) => a.href)")
        assert hrefs == []  # nothing there is a link, javascript: least of all
        assert page.evaluate("window.__xss") is None
    # A real link opens in a new tab with no way back to this page.
    say(alice, "see https://example.org/page")
    link = bob.locator("#lines a").last
    expect(link).to_have_attribute("href", "https://example.org/page")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_attribute("target", "_blank")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_page_reconnects_after_a_server_restart(
    make_web_server: Callable[..., ServerRunner], new_page: Callable[..., Page]
) -> None:
    web = WebConfig(http=(("127.0.0.1", free_port()),), https=LOOPBACK)
    server = make_web_server(web=web)
    url = base_url(server)
    alice = log_in(new_page(), url, "alice")
    bob = log_in(new_page(), url, "bob")
    say(bob, "/join #side")
    expect(bob.locator("#buffer-name")).to_have_text("#side")
    server.stop()
    expect(alice.locator("#status")).to_contain_text("Reconnecting")
    make_web_server(web=web)  # the same HTTP port again
    expect(alice.locator("#status")).to_be_hidden(timeout=3 * WAIT_MS)
    expect(bob.locator("#status")).to_be_hidden(timeout=3 * WAIT_MS)
    # Both are back in the lobby, bob in his other room too, and talk goes on.
    expect(member(alice, "bob")).to_be_visible()
    expect(bob.locator('#buffers li[data-key="#side"]')).to_be_visible()
    bob.locator('#buffers li[data-key="#lobby"] button').click()
    expect(member(bob, "alice")).to_be_visible()
    say(alice, "still here")
    expect(bob.locator("#lines .line").last).to_contain_text("still here")


def png(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    from PIL import Image

    Image.new("RGB", size, (200, 80, 40)).save(path, "PNG")
    return path


def test_an_image_upload_shows_as_a_preview(
    web_server: ServerRunner, new_page: Callable[..., Page], tmp_path: Path
) -> None:
    url = base_url(web_server)
    alice = log_in(new_page(), url, "alice")
    bob = log_in(new_page(), url, "bob")
    alice.set_input_files("#file-input", str(png(tmp_path / "sunset.png")))
    # The link arrives for both, with the picture's thumbnail under it.
    for page in (alice, bob):
        link = page.locator("#lines .line.privmsg a").first
        expect(link).to_contain_text("/files/")
        expect(link).to_contain_text("sunset.png")
        img = page.locator("#lines .line.privmsg .preview img")
        expect(img).to_be_visible()
        assert "/thumbs/" in (img.get_attribute("src") or "")
        wait = int(2 * TIMEOUT * 1000)
        page.wait_for_function(
            "(i) => i.complete && i.naturalWidth > 0", arg=img.element_handle(), timeout=wait
        )
    expect(alice.locator("#upload")).to_be_hidden()
    # A file that is not a picture is a link with no preview.
    (tmp_path / "notes.txt").write_text("just text\n")
    alice.set_input_files("#file-input", str(tmp_path / "notes.txt"))
    expect(bob.locator("#lines .line.privmsg").last).to_contain_text("notes.txt")
    bob.wait_for_timeout(300)
    assert bob.locator("#lines .line.privmsg").last.locator(".preview").count() == 0


def test_create_an_account_then_log_in_with_it(
    web_server: ServerRunner, new_page: Callable[..., Page]
) -> None:
    url = base_url(web_server)
    page = log_in(new_page(), url, "dora", password="correct horse battery", register=True)
    expect(page.locator("#me")).to_contain_text("account dora")
    page.click("#logout-button")
    expect(page.locator("#login")).to_be_visible()
    log_in(page, url, "dora", password="correct horse battery")
    expect(page.locator("#me")).to_contain_text("account dora")
    # Someone else cannot take the name with a wrong password, and is told why.
    other = new_page()
    other.goto(url)
    other.fill("#login-nick", "dora")
    other.fill("#login-password", "not the password")
    other.click("#login-submit")
    expect(other.locator("#login-error")).to_contain_text("Could not log in")
    expect(other.locator("#chat")).to_be_hidden()


OLD = 130  # more than two pages of 50


def fill_lobby(server: ServerRunner, count: int) -> None:
    """``count`` numbered lines in #lobby from a TCP client, stored before we go on."""
    old = LineClient("127.0.0.1", server.port)
    old.register("oldtimer")
    for i in range(count):
        old.send(f"PRIVMSG #lobby :old message {i:03d}")
    old.send("PING :stored")
    old.expect("PONG")
    old.close()
    # History is written by a background thread (a commit every 200 ms).
    time.sleep(0.6)


def test_older_messages_load_on_scroll(
    web_server: ServerRunner, new_page: Callable[..., Page]
) -> None:
    fill_lobby(web_server, OLD)
    page = log_in(new_page(), base_url(web_server), "alice")
    lines = page.locator("#lines .line.privmsg .text")
    expect(lines.last).to_have_text(f"old message {OLD - 1:03d}")
    first_page = lines.count()
    assert 0 < first_page < OLD  # not everything at once
    # Scroll to the top until the very first message is there.
    deadline = time.monotonic() + 4 * TIMEOUT
    while time.monotonic() < deadline:
        page.locator("#messages").evaluate("(box) => { box.scrollTop = 0; }")
        page.wait_for_timeout(200)
        if lines.first.text_content() == "old message 000":
            break
    expect(lines.first).to_have_text("old message 000")
    texts = lines.all_text_contents()
    assert texts == [f"old message {i:03d}" for i in range(OLD)]  # in order, none twice
    expect(page.locator("#history-note")).to_contain_text("beginning")


def test_search_finds_a_message_and_jumps_to_it(
    web_server: ServerRunner, new_page: Callable[..., Page]
) -> None:
    fill_lobby(web_server, 80)
    page = log_in(new_page(), base_url(web_server), "alice")
    say(page, "the pizza arrives at noon")
    expect(page.locator("#lines .line.privmsg").last).to_contain_text("pizza")
    page.click("#search-button")
    page.fill("#search-input", "message 007")
    page.press("#search-input", "Enter")
    hit = page.locator("#search-results li").first
    expect(hit).to_contain_text("old message 007", timeout=WAIT_MS)
    hit.click()
    target = page.locator("#lines .line.privmsg .text", has_text="old message 007")
    expect(target).to_be_visible()
    wait_until(lambda: page.locator("#search-results").is_hidden())


NOTIFICATION_SPY = """
window.__hidden = false;
Object.defineProperty(Document.prototype, "hidden", { get: () => window.__hidden });
window.__notes = [];
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__notes.push([title, options.body]); }
  addEventListener() {}
  close() {}
};
"""


def test_a_private_message_or_a_mention_notifies_while_the_tab_is_hidden(
    web_server: ServerRunner, new_page: Callable[..., Page]
) -> None:
    url = base_url(web_server)
    page = new_page()
    page.add_init_script(NOTIFICATION_SPY)
    alice = log_in(page, url, "alice")
    bob = log_in(new_page(), url, "bob")
    notes = lambda: alice.evaluate("window.__notes")  # noqa: E731
    say(bob, "visible tab: alice, no need to ring")
    expect(alice.locator("#lines .line.privmsg").last).to_contain_text("visible tab")
    assert notes() == []
    alice.evaluate("window.__hidden = true")
    say(bob, "just chatter")
    say(bob, "alice: lunch?")
    say(bob, "/msg alice psst")
    wait_until(lambda: len(notes()) == 2)
    assert notes() == [["bob in #lobby", "alice: lunch?"], ["bob (private)", "psst"]]


def test_a_360_pixel_phone_fits_and_reaches_every_panel(
    web_server: ServerRunner, new_page: Callable[..., Page]
) -> None:
    url = base_url(web_server)
    phone = log_in(new_page(360, 640, has_touch=True, is_mobile=True), url, "alice")
    log_in(new_page(), url, "bob")
    wide = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert phone.evaluate(wide) == 0  # nothing wider than the screen
    expect(phone.locator("#sidebar")).not_to_be_in_viewport()
    phone.tap("#menu-button")
    expect(phone.locator("#sidebar")).to_be_in_viewport()
    phone.tap("#scrim", position={"x": 340, "y": 300})  # beside the drawer: it closes
    expect(phone.locator("#sidebar")).not_to_be_in_viewport()
    phone.tap("#menu-button")
    phone.tap('#buffers li[data-key="#lobby"] button')
    expect(phone.locator("#sidebar")).not_to_be_in_viewport()
    phone.tap("#members-button")
    expect(phone.locator("#members")).to_be_in_viewport()
    expect(phone.locator("#members-hint")).to_have_text("Tap a name to talk privately.")
    member(phone, "bob").tap()  # on a touch screen one tap opens the private chat
    expect(phone.locator("#buffer-name")).to_have_text("bob")
    expect(phone.locator("#members")).not_to_be_in_viewport()
    say(phone, "a long line " * 30)
    expect(phone.locator("#lines .line.privmsg")).to_have_count(1)
    assert phone.evaluate(wide) == 0
