"""Trust on first use in the window, under Xvfb: the trust dialog driven like a person
would (Trust, Cancel, the explicit path for a changed certificate), the announced
fingerprint trusted without a dialog, and the lock in the status bar."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from chinwag.client.model import PLAIN_WARNING, SERVER
from chinwag.client.trust import PinStore
from chinwag.discovery import FoundServer
from chinwag.gui.app import App
from chinwag.gui.trust_dialog import CHANGED_TITLE, TrustDialog
from chinwag.transport.runner import ServerRunner
from tests.client.ngircd import free_port
from tests.gui.conftest import pump
from tests.gui.test_app import fill_and_connect
from tests.tlsutil import Cert, TLSPort, make_cert


def dialog_of(app: App) -> TrustDialog:
    pump(app.root, lambda: app.trust_dialog is not None)
    assert app.trust_dialog is not None
    return app.trust_dialog


def shown_fingerprints(dialog: TrustDialog) -> str:
    texts = [w for w in dialog.winfo_children()[0].winfo_children() if w.winfo_class() == "Text"]
    return " ".join(t.get("1.0", "end").replace("\n", ":").strip(":") for t in texts)


def pins_file(config_dir: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads((config_dir / "known_servers.json").read_text())
    return data


def test_trust_saves_the_pin_and_connects(
    make_app: Callable[..., App], listener: TLSPort, cert: Cert, config_dir: Path
) -> None:
    app = make_app(tls=True)
    fill_and_connect(app, listener.port, "alice")
    dialog = dialog_of(app)
    assert app.chat is None and app.client is None  # nothing goes ahead before the answer
    assert "log or admin window" in dialog.texts()
    assert cert.shown in shown_fingerprints(dialog)
    assert dialog.default_button is dialog.trust_button
    dialog.trust_button.invoke()
    pump(app.root, lambda: app.chat is not None and "#lobby" in app.chat.sidebar_labels())
    assert pins_file(config_dir) == {f"127.0.0.1:{listener.port}": cert.fingerprint}
    assert app.chat is not None
    lock = str(app.chat.lock.cget("text"))
    assert lock.startswith("Encrypted (TLS) — fingerprint " + cert.shown[:14])
    assert str(app.chat.lock.cget("style")) != "Error.TLabel"


def test_cancel_does_not_connect(
    make_app: Callable[..., App], listener: TLSPort, config_dir: Path
) -> None:
    app = make_app(tls=True)
    fill_and_connect(app, listener.port, "alice")
    dialog = dialog_of(app)
    dialog.cancel_button.invoke()
    assert app.trust_dialog is None and app.client is None and app.chat is None
    assert "did not trust" in app.connect_view.status_text()
    assert not (config_dir / "known_servers.json").exists()
    assert "disabled" not in app.connect_view.button.state()


def test_a_changed_certificate_warns_and_needs_the_explicit_action(
    make_app: Callable[..., App], listener: TLSPort, cert: Cert, config_dir: Path,
    tmp_path: Path,
) -> None:  # fmt: skip
    PinStore().pin("127.0.0.1", listener.port, cert.fingerprint)
    impostor = make_cert(tmp_path / "certs", "impostor")
    listener.use(impostor)
    app = make_app(tls=True)
    fill_and_connect(app, listener.port, "alice")
    dialog = dialog_of(app)
    assert dialog.title() == CHANGED_TITLE
    assert "pretending" in dialog.texts()
    assert impostor.shown in shown_fingerprints(dialog)
    assert cert.shown in shown_fingerprints(dialog)
    assert dialog.default_button is dialog.cancel_button  # Return must not accept it
    assert str(dialog.trust_button.cget("text")) == "Accept the new certificate"
    dialog.event_generate("<Return>")
    pump(app.root, lambda: app.trust_dialog is None)
    assert app.chat is None and app.client is None
    assert pins_file(config_dir)[f"127.0.0.1:{listener.port}"] == cert.fingerprint

    app.connect_view.button.invoke()
    dialog = dialog_of(app)
    dialog.trust_button.invoke()
    pump(app.root, lambda: app.chat is not None)
    assert pins_file(config_dir)[f"127.0.0.1:{listener.port}"] == impostor.fingerprint


def test_the_announced_fingerprint_needs_no_dialog(
    make_app: Callable[..., App], listener: TLSPort, cert: Cert
) -> None:
    app = make_app()  # TLS chosen because the server announces it on that port
    found = FoundServer(
        "chinwag on test", "test.local.", listener.runner.port, "chinwag", "0.1", ("127.0.0.1",),
        tls_port=listener.port, fingerprint=cert.shown,
    )  # fmt: skip
    app.found.put([found])
    pump(app.root, lambda: app.connect_view.values()["port"] == str(listener.port))
    assert "(encrypted)" in app.connect_view.found_list.get(0)
    app.connect_view.fill(nick="alice")
    app.connect_view.button.invoke()
    pump(app.root, lambda: app.chat is not None or app.trust_dialog is not None)
    assert app.trust_dialog is None and app.chat is not None
    pump(app.root, lambda: "Encrypted (TLS)" in str(app.chat.lock.cget("text")))  # type: ignore[union-attr]


def test_plain_text_is_shown_plainly(make_app: Callable[..., App], server: ServerRunner) -> None:
    app = make_app()
    fill_and_connect(app, server.port, "alice")  # an ordinary port, no TLS
    pump(app.root, lambda: app.chat is not None)
    assert app.chat is not None
    assert str(app.chat.lock.cget("text")) == PLAIN_WARNING
    assert str(app.chat.lock.cget("style")) == "Error.TLabel"
    server_view = app.model.conversations[SERVER].lines
    assert any(PLAIN_WARNING in line.text for line in server_view)  # said there too


def test_refusing_unencrypted_connections_is_remembered(
    make_app: Callable[..., App], server: ServerRunner, config_dir: Path
) -> None:
    app = make_app()
    app.connect_view.refuse_plain_check.invoke()
    assert app.connect_view.refuse_plain()
    fill_and_connect(app, server.port, "alice")
    pump(app.root, lambda: "unencrypted connections are turned off" in
         app.connect_view.status_text())  # fmt: skip
    assert app.chat is None and app.client is None
    assert json.loads((config_dir / "client.json").read_text())["refuse_plain"] is True
    again = make_app()
    assert again.connect_view.refuse_plain()


def test_a_tls_port_that_is_not_listening_is_an_error_with_tls(
    make_app: Callable[..., App],
) -> None:
    app = make_app(tls=True)
    fill_and_connect(app, free_port(), "alice")
    pump(app.root, lambda: "refused" in app.connect_view.status_text())
    assert app.chat is None


def test_a_certificate_changed_while_chatting_brings_back_the_question(
    make_app: Callable[..., App], listener: TLSPort, cert: Cert, tmp_path: Path
) -> None:
    PinStore().pin("127.0.0.1", listener.port, cert.fingerprint)
    app = make_app(tls=True)
    fill_and_connect(app, listener.port, "alice")
    pump(app.root, lambda: app.chat is not None and "#lobby" in app.chat.sidebar_labels())
    listener.use(make_cert(tmp_path / "certs", "other"))
    assert listener.runner.call(lambda core: core.kill("alice", "test drop"))
    dialog = dialog_of(app)  # the silent reconnect met another certificate
    assert dialog.title() == CHANGED_TITLE
    assert app.chat is None and app.client is None
    dialog.cancel_button.invoke()
    assert "did not trust" in app.connect_view.status_text()


def test_a_server_found_as_irc_and_ircs_is_listed_once_with_its_tls_port(
    make_app: Callable[..., App],
) -> None:
    app = make_app()
    fields = ("chinwag on pc", "pc.local.")
    plain = FoundServer(*fields, 6667, "office", "1", ("10.0.0.2",), tls_port=6697)
    secure = FoundServer(*fields, 6697, "office", "1", ("10.0.0.2",), tls=True, tls_port=6697)
    other = FoundServer("old irc", "old.local.", 6667, "", "", ("10.0.0.3",))
    app.connect_view.set_found([plain, secure, other])
    rows = list(app.connect_view.found_list.get(0, "end"))
    assert rows == [
        "chinwag on pc  (office) — 10.0.0.2:6697  (encrypted)",
        "old irc — 10.0.0.3:6667",
    ]
    app.connect_view.pick_found(1)
    assert app.connect_view.values()["port"] == "6667"


def test_a_pin_that_cannot_be_saved_is_explained(
    make_app: Callable[..., App], listener: TLSPort, config_dir: Path
) -> None:
    app = make_app(tls=True)
    fill_and_connect(app, listener.port, "alice")
    dialog = dialog_of(app)
    shutil.rmtree(config_dir, ignore_errors=True)
    config_dir.parent.mkdir(parents=True, exist_ok=True)
    config_dir.write_text("a file where the config directory should be")
    dialog.trust_button.invoke()
    assert "could not be remembered" in app.connect_view.status_text()
    assert app.client is None and app.chat is None
