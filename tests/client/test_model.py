"""The display model: what the window would show for a stream of events (no display)."""

from __future__ import annotations

from chinwag.client import events as ev
from chinwag.client.lines import Line, Notification, nick_colour, split_links
from chinwag.client.model import SERVER, ChatModel


def model_in_lobby() -> ChatModel:
    m = ChatModel()
    m.apply(ev.Registered("alice", "home", "srv", "rfc1459", frozenset(), time=1.0))
    m.apply(ev.Joined("#lobby", "alice", True, time=1.0))
    return m


def test_own_join_creates_and_selects_the_channel() -> None:
    m = model_in_lobby()
    assert m.current == "#lobby"
    assert m.sidebar() == [(SERVER, "home"), ("#lobby", "#lobby")]
    assert m.conversation().lines[-1].text == "You joined #lobby"


def test_messages_elsewhere_count_as_unread_and_pms_open_a_conversation() -> None:
    m = model_in_lobby()
    u = m.apply(ev.ChatMessage("bob", "bob", "psst", private=True, time=2.0))
    assert "bob" in m.conversations and m.conversations["bob"].unread == 1
    assert u.notify == Notification("bob", "bob", "psst") and u.sidebar
    assert ("bob", "bob  (1)") in m.sidebar()
    assert m.title().startswith("(1) alice")
    m.select("bob")
    assert m.conversations["bob"].unread == 0
    own = m.apply(ev.ChatMessage("bob", "alice", "yes?", own=True, private=True))
    assert own.notify is None and m.conversations["bob"].lines[-1].own


def test_mentions_notify_and_plain_messages_do_not() -> None:
    m = model_in_lobby()
    assert m.apply(ev.ChatMessage("#lobby", "bob", "hi all")).notify is None
    u = m.apply(ev.ChatMessage("#lobby", "bob", "alice: hi", mention=True))
    assert u.notify == Notification("#lobby", "bob in #lobby", "alice: hi")
    assert m.conversation().lines[-1].mention
    assert m.conversation().unread == 0  # it is the conversation on screen


def test_quiet_events_and_private_rename() -> None:
    m = model_in_lobby()
    m.apply(ev.Joined("#lobby", "bob", False))
    m.open_private("bob")
    m.apply(ev.NickChanged("bob", "rob", False, ("#lobby",)))
    assert "rob" in m.conversations and "bob" not in m.conversations
    assert m.current == "rob"
    m.apply(ev.Quit("rob", "bye", ("#lobby",)))
    texts = [line.text for line in m.conversations["#lobby"].lines]
    assert texts[1:] == ["→ bob joined", "bob is now rob", "← rob quit (bye)"]
    assert all(line.kind == "event" for line in m.conversations["#lobby"].lines)


def test_members_sorted_by_rank_with_away_marks() -> None:
    m = model_in_lobby()
    members = (ev.Member("zed", "@"), ev.Member("amy", ""), ev.Member("bob", "+", away=True),
               ev.Member("al", "@+"))  # fmt: skip
    m.apply(ev.MembersChanged("#lobby", members))
    assert [r.label for r in m.member_rows()] == ["@al", "@zed", "+bob  (away)", "amy"]


def test_logged_in_members_are_marked_and_login_is_said() -> None:
    m = model_in_lobby()
    m.apply(ev.MembersChanged("#lobby", (ev.Member("amy", account="amy"), ev.Member("bob"))))
    assert [r.label for r in m.member_rows()] == ["amy ✓", "bob"]
    m.apply(ev.LoggedIn("alice", created=True))
    assert m.account == "alice"
    assert "Account created" in m.conversations[SERVER].lines[-1].text


def test_topic_initial_is_quiet_and_changes_are_shown() -> None:
    m = model_in_lobby()
    m.apply(ev.TopicChanged("#lobby", "Hello", initial=True))
    assert m.conversation().topic == "Hello"
    assert m.conversation().lines[-1].text == "You joined #lobby"
    m.apply(ev.TopicChanged("#lobby", "New", by="bob"))
    assert m.conversation().lines[-1].text == "bob set the topic: New"


def test_disconnect_and_reconnect_are_told() -> None:
    m = model_in_lobby()
    m.apply(ev.Disconnected("The server closed the connection.", retry_in=2.0))
    assert not m.connected
    assert "reconnecting in 2 s (attempt 1)" in m.conversation().lines[-1].text
    assert "Reconnecting in 2 s" in m.status and "closed the connection" in m.status
    # the next failed try rewrites the same line, in every conversation
    u = m.apply(ev.Disconnected("Connection refused", retry_in=4.0))
    assert not u.lines and u.restate["#lobby"][0].text.endswith("in 4 s (attempt 2)…")
    assert [x.text for x in m.conversation().lines].count(u.restate["#lobby"][0].text) == 1
    m.apply(ev.Registered("alice", "home", "srv", "rfc1459", frozenset(), reconnected=True))
    assert m.connected and m.conversation().lines[-1].text == "Reconnected."
    assert m.conversation().lines[-2].text == "Disconnected (2 attempts to reconnect)."


def test_a_lost_connection_forgets_the_lock_and_the_members() -> None:
    m = model_in_lobby()
    m.apply(ev.Encryption("srv", 6697, True, "AB:CD:EF:01:23:45:67:89", "pin"))
    m.apply(ev.MembersChanged("#lobby", (ev.Member("alice"), ev.Member("bob"))))
    assert m.security()[0].startswith("Encrypted") and m.member_rows()
    u = m.apply(ev.Disconnected("The server closed the connection.", retry_in=2.0))
    assert m.security() == ("", False)  # no claim about a connection that is not there
    assert m.member_rows() == [] and "#lobby" in u.members and u.status
    m.apply(ev.Encryption("srv", 6667, False))
    assert m.security()[1]  # the next connection says its own, plain text here


def test_own_part_closes_the_conversation() -> None:
    m = model_in_lobby()
    m.apply(ev.Parted("#lobby", "alice", True))
    assert "#lobby" not in m.conversations and m.current == SERVER


def test_clear_only_empties_the_view() -> None:
    m = model_in_lobby()
    m.apply(ev.ChatMessage("#lobby", "bob", "hi"))
    m.clear()
    assert m.conversation().lines == [] and m.current == "#lobby"


def test_server_errors_show_where_the_user_is() -> None:
    m = model_in_lobby()
    m.apply(ev.ServerText("#x: No such channel", error=True))
    assert m.conversation().lines[-1].kind == "error"
    m.apply(ev.ServerText("MOTD line"))
    assert m.conversations[SERVER].lines[-1].text == "MOTD line"


def test_split_links() -> None:
    assert split_links("see https://a.example/x?y=1. ok") == [
        ("see ", None), ("https://a.example/x?y=1", "https://a.example/x?y=1"), (". ok", None),
    ]  # fmt: skip
    assert split_links("www.example.org") == [("www.example.org", "http://www.example.org")]
    assert split_links("no links") == [("no links", None)]


def test_nick_colours_are_stable_and_differ_by_theme() -> None:
    assert nick_colour("bob") == nick_colour("Bob")
    assert nick_colour("bob") != nick_colour("bob", dark=True)
    assert len({nick_colour(n) for n in ("alice", "bob", "carol", "dave", "erin")}) == 5


def test_replayed_history_neither_rings_nor_repeats() -> None:
    m = model_in_lobby()
    m.apply(ev.ChatMessage("#lobby", "bob", "hello", time=50.0))
    m.select("")
    u = m.apply(ev.ChatMessage("#lobby", "bob", "alice: hi", mention=True, history=True, time=60.0))
    assert u.notify is None and m.conversations["#lobby"].unread == 0
    m.apply(ev.ChatMessage("#lobby", "bob", "hello", history=True, time=50.2))
    texts = [line.text for line in m.conversations["#lobby"].lines]
    assert texts.count("hello") == 1 and "alice: hi" in texts


class TestPrivateWindows:
    """With ``private_windows`` the model keeps private chats in windows of their own."""

    def model(self) -> ChatModel:
        m = ChatModel(private_windows=True)
        m.apply(ev.Registered("alice", "home", "srv", "rfc1459", frozenset(), time=1.0))
        m.apply(ev.Joined("#lobby", "alice", True, time=1.0))
        return m

    def test_opening_a_private_chat_opens_a_window_not_the_main_view(self) -> None:
        m = self.model()
        u = m.open_private("Bob")
        assert u.focus_window == "bob" and m.windows == {"bob"}
        assert m.current == "#lobby" and ("bob", "Bob") in m.sidebar()
        assert m.window_title("bob") == "alice — Bob (private) — chinwag"
        u = m.select("bob")  # from the sidebar: raise the window
        assert u.focus_window == "bob" and m.current == "#lobby"

    def test_incoming_messages_open_the_window_and_are_not_unread_there(self) -> None:
        m = self.model()
        u = m.apply(ev.ChatMessage("bob", "bob", "psst", private=True, time=2.0))
        assert m.windows == {"bob"} and u.lines["bob"][0].text == "psst"
        assert u.notify == Notification("bob", "bob", "psst")
        assert u.focus_window == ""  # no focus stealing
        assert m.conversations["bob"].unread == 1  # not looked at yet
        assert m.window_title("bob") == "(1) alice — bob (private) — chinwag"
        assert m.window_focus("bob").sidebar and m.conversations["bob"].unread == 0
        m.apply(ev.ChatMessage("bob", "bob", "you there?", private=True, time=2.5))
        assert m.conversations["bob"].unread == 0  # the window has the focus
        m.window_focus("")
        m.apply(ev.ChatMessage("bob", "bob", "hello?", private=True, time=2.6))
        assert ("bob", "bob  (1)") in m.sidebar() and m.title().startswith("(1)")
        m.window_focus("bob")
        m.close_window("bob")
        assert m.windows == set() and "bob" in m.conversations
        m.apply(ev.ChatMessage("bob", "bob", "still there?", private=True, time=3.0))
        assert m.windows == {"bob"}
        texts = [line.text for line in m.conversations["bob"].lines]
        assert texts == ["psst", "you there?", "hello?", "still there?"]
        assert m.focused_window == ""  # closing the window took the focus with it

    def test_notices_and_own_echoes_do_not_open_windows(self) -> None:
        m = self.model()
        m.open_private("bob")
        m.close_window("bob")
        m.apply(ev.ChatMessage("bob", "alice", "sent from elsewhere", own=True, private=True))
        m.apply(ev.ChatMessage("bob", "bob", "a notice", kind="notice", private=True))
        assert m.windows == set()

    def test_clear_redraws_the_window_and_nick_changes_follow_it(self) -> None:
        m = self.model()
        m.apply(ev.ChatMessage("bob", "bob", "psst", private=True))
        u = m.clear("bob")
        assert u.redraw == {"bob"} and not u.current and m.conversations["bob"].lines == []
        m.apply(ev.NickChanged("bob", "rob", False, ()))
        assert m.windows == {"rob"} and m.conversations["rob"].name == "rob"

    def test_turning_it_off_closes_windows_and_part_closes_the_chat(self) -> None:
        m = self.model()
        m.open_private("bob")
        m.open_private("carol")
        m.close("carol")
        assert m.windows == {"bob"}
        m.set_private_windows(False)
        assert m.windows == set() and "bob" in m.conversations
        u = m.open_private("bob")
        assert u.current and m.current == "bob" and m.windows == set()


def test_pending_own_lines_are_settled_in_place() -> None:
    m = model_in_lobby()
    sent = ev.ChatMessage("#lobby", "alice", "hi", own=True, label="cw1", pending=True, time=5.0)
    u = m.apply(sent)
    assert u.lines["#lobby"][0].state == "pending"
    m.apply(ev.ChatMessage("#lobby", "bob", "meanwhile", time=5.5))
    u = m.apply(ev.ChatMessage("#lobby", "alice", "hi", own=True, label="cw1", time=6.0))
    settled = Line(6.0, "message", "hi", nick="alice", own=True, label="cw1")
    assert u.restate == {"#lobby": [settled]} and not u.lines
    assert [line.text for line in m.conversation().lines][-2:] == ["hi", "meanwhile"]
    assert m.conversation().lines[-2] == settled


def test_refused_and_unanswered_lines_say_why() -> None:
    m = model_in_lobby()
    m.open_private("nobody")
    m.apply(ev.ChatMessage("nobody", "alice", "x", own=True, private=True, label="cw2",
                           pending=True))  # fmt: skip
    u = m.apply(ev.SendFailed("nobody", "cw2", "No such nick/channel"))
    (line,) = u.restate["nobody"]
    assert (line.state, line.note) == ("failed", "No such nick/channel")
    m.select("#lobby")
    m.apply(ev.ChatMessage("#lobby", "alice", "y", own=True, label="cw3", pending=True))
    u = m.apply(ev.Disconnected("gone", retry_in=1.0))
    (line,) = u.restate["#lobby"]
    assert line.state == "failed" and "connection was lost" in line.note
    # an answer for a line that is no longer shown (cleared) says so where the person is
    u = m.apply(ev.SendFailed("#lobby", "cw9", "Cannot send to channel"))
    assert m.conversation().lines[-1].text == "Not sent: Cannot send to channel"


def test_muted_conversations_count_unread_but_never_notify() -> None:
    m = ChatModel(muted=["Bob"])
    m.apply(ev.Registered("alice", "home", "srv", "rfc1459", frozenset()))
    m.apply(ev.Joined("#lobby", "alice", True))
    u = m.apply(ev.ChatMessage("bob", "bob", "psst", private=True))
    assert u.notify is None and m.conversations["bob"].unread == 1
    assert ("bob", "bob (muted)  (1)") in m.sidebar()
    m.set_muted("bob", False)
    assert m.apply(ev.ChatMessage("bob", "bob", "again", private=True)).notify is not None
    m.set_muted("#lobby", True)
    assert m.apply(ev.ChatMessage("#lobby", "bob", "alice: hi", mention=True)).notify is None
    action = m.apply(ev.ChatMessage("bob", "bob", "waves", kind="action", private=True))
    assert action.notify == Notification("bob", "bob", "* bob waves")
