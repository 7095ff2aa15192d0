"""The client's history: what the session asks for (LATEST on join, TARGETS after
connecting, BEFORE, AROUND, SEARCH, MARKREAD, REDACT), how answers become events, and
how the model shows them (older lines on top, a hit in context, deleted lines, unread
counts from read markers)."""

from __future__ import annotations

from chinwag.client import events as ev
from chinwag.client.history import stamp
from chinwag.client.model import ChatModel
from chinwag.client.session import Session
from tests.client.test_session import feed, registered

CAPS = (
    "batch server-time message-tags draft/chathistory soju.im/search draft/read-marker "
    "draft/message-redaction"
)
T = "2026-01-02T03:04:05.678Z"


def line(i: int, target: str = "#r", nick: str = "bob", batch: str = "b1") -> str:
    tags = f"@batch={batch};msgid=m{i};time=2026-01-02T03:04:{i:02d}.000Z"
    return f"{tags} :{nick}!u@h PRIVMSG {target} :text {i}"


def joined(s: Session) -> None:
    feed(s, ":alice!u@h JOIN #r")
    s.take_lines()


class TestAsking:
    def test_latest_on_join_and_targets_after_connecting(self) -> None:
        s = Session("alice", clock=lambda: 1000.0)
        s.start()
        feed(s, f":srv CAP * LS :{CAPS}", f":srv CAP * ACK :{CAPS}")
        feed(s, ":srv 001 alice :hi", ":srv 376 alice :end")
        assert any(x.startswith("CHATHISTORY TARGETS timestamp=") for x in s.take_lines())
        feed(s, ":alice!u@h JOIN #r")
        assert "CHATHISTORY LATEST #r * 50" in s.take_lines()
        feed(s, ":srv CHATHISTORY TARGETS bob " + T, ":srv CHATHISTORY TARGETS #r " + T)
        assert s.take_lines() == ["MARKREAD bob", "CHATHISTORY LATEST bob * 50"]

    def test_nothing_without_the_capabilities(self) -> None:
        s = registered("alice", "batch server-time")
        joined(s)
        assert not s.load_older("#r", "m1")
        assert not s.search("x")
        assert not s.redact("#r", "m1")
        s.mark_read("#r", 1.0)
        assert s.take_lines() == []

    def test_requests(self) -> None:
        s = registered("alice", CAPS)
        assert s.load_older("#r", "m5")
        assert s.load_around("#r", "m3")
        assert s.search("hello world;", "#r")
        s.mark_read("#r", 1767323045.678)
        assert s.redact("#r", "m1")
        assert s.take_lines() == [
            "CHATHISTORY BEFORE #r msgid=m5 50",
            "CHATHISTORY AROUND #r msgid=m3 50",
            "SEARCH text=hello\\sworld\\:;in=#r",
            "MARKREAD #r timestamp=" + T,
            "REDACT #r m1",
        ]
        assert stamp(1767323045.678) == T


class TestAnswers:
    def test_an_older_page_is_reported_whole(self) -> None:
        s = registered("alice", CAPS)
        joined(s)
        s.load_older("#r", "m5")
        events = feed(s, ":srv BATCH +b1 chathistory #r", line(3), line(4), ":srv BATCH -b1")
        (page,) = events
        assert isinstance(page, ev.HistoryPage) and page.older
        assert [m.msgid for m in page.messages] == ["m3", "m4"]

    def test_unasked_batches_flow_as_history(self) -> None:
        s = registered("alice", CAPS)
        joined(s)
        events = feed(s, ":srv BATCH +b1 chathistory #r", line(1), ":srv BATCH -b1")
        (msg,) = events
        assert isinstance(msg, ev.ChatMessage) and msg.history and msg.msgid == "m1"

    def test_search_and_a_failed_request(self) -> None:
        s = registered("alice", CAPS)
        s.load_older("#gone", "m1")
        s.search("text")
        feed(s, ":srv FAIL CHATHISTORY INVALID_TARGET BEFORE #gone :no")
        events = feed(s, ":srv BATCH +s soju.im/search", line(7, batch="s"), ":srv BATCH -s")
        (results,) = events
        assert isinstance(results, ev.SearchResults) and results.query == "text"
        assert [h.msgid for h in results.hits] == ["m7"]

    def test_markread_and_redact(self) -> None:
        s = registered("alice", CAPS)
        (marker,) = feed(s, ":srv MARKREAD #r timestamp=" + T)
        assert isinstance(marker, ev.ReadMarker) and marker.at == 1767323045.678
        (none,) = feed(s, ":srv MARKREAD bob *")
        assert isinstance(none, ev.ReadMarker) and none.at is None
        (gone,) = feed(s, "@msgid=x :bob!u@h REDACT alice m9")
        assert gone == ev.MessageDeleted("bob", "m9", by="bob", time=gone.time)


class TestModel:
    def model(self) -> ChatModel:
        m = ChatModel()
        m.apply(ev.Registered("alice", "net", "srv", "rfc1459", frozenset()))
        m.apply(ev.Joined("#r", "alice", True))
        return m

    def msg(self, i: int, **kw: object) -> ev.ChatMessage:
        return ev.ChatMessage("#r", "bob", f"text {i}", msgid=f"m{i}", time=1000.0 + i, **kw)  # type: ignore[arg-type]

    def test_older_lines_go_on_top_and_paging_stops_at_the_start(self) -> None:
        m = self.model()
        m.apply(self.msg(5, history=True))
        assert m.oldest("#r") == ("m5", 1005.0)
        m.asked_older("#r")
        assert m.oldest("#r") is None  # one page at a time
        u = m.apply(ev.HistoryPage("#r", (self.msg(3), self.msg(4), self.msg(5))))
        assert "#r" in u.redraw
        assert [x.msgid for x in m.conversation("#r").lines if x.msgid] == ["m3", "m4", "m5"]
        m.apply(ev.HistoryPage("#r", ()))
        assert m.oldest("#r") is None and m.conversation("#r").complete

    def test_a_hit_in_context(self) -> None:
        m = self.model()
        u = m.apply(ev.HistoryPage("#r", (self.msg(1), self.msg(2)), older=False, anchor="m2"))
        assert u.jump == "m2" and u.current and m.current == "#r"
        assert [x.text for x in m.conversation("#r").lines] == ["text 1", "text 2"]

    def test_deleted_lines(self) -> None:
        m = self.model()
        m.apply(self.msg(1))
        u = m.apply(ev.MessageDeleted("#r", "m1"))
        (gone,) = [x for x in m.conversation("#r").lines if x.msgid]
        assert gone.deleted and gone.text == "" and "#r" in u.redraw

    def test_unread_from_the_read_marker_after_a_restart(self) -> None:
        m = self.model()
        m.apply(ev.Joined("#other", "alice", True))  # the person looks at #other
        m.select("#other")
        m.apply(ev.ReadMarker("#r", 1002.0))
        for i in range(1, 6):
            m.apply(self.msg(i, history=True))
        assert m.conversation("#r").unread == 3
        assert m.new_from("#r") == next(
            i for i, x in enumerate(m.conversation("#r").lines) if x.msgid == "m3"
        )
        m.apply(ev.ReadMarker("#r", 1004.0))  # read elsewhere
        assert m.conversation("#r").unread == 1
        assert m.last_read_candidate("#r") == 1005.0
