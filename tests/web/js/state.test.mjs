// The browser client's model and command parser, without a browser: state.js folds IRC
// messages into conversations, members and unread counts; commands.js reads what
// people type.
import assert from "node:assert/strict";
import { test } from "node:test";

import { parseCommand } from "../../../src/chinwag/web/static/commands.js";
import { parseMessage } from "../../../src/chinwag/web/static/irc.js";
import { SERVER_BUFFER, State } from "../../../src/chinwag/web/static/state.js";

function fed(nick, ...lines) {
  const s = new State();
  s.nick = nick;
  for (const line of lines) s.apply(parseMessage(line));
  return s;
}

test("joining fills the room and its members, with prefixes", () => {
  const s = fed(
    "alice",
    ":alice!a@h JOIN #lobby",
    ":srv 353 alice = #lobby :@bob +carol alice",
    ":srv 366 alice #lobby :End",
  );
  const room = s.find("#LOBBY");
  assert.ok(room.joined);
  assert.deepEqual(
    room.sortedMembers("@+").map((m) => m.prefix + m.nick),
    ["@bob", "+carol", "alice"],
  );
});

test("a private message opens a conversation with the sender, and counts as unread", () => {
  const s = fed("alice", ":alice!a@h JOIN #lobby");
  const r = s.apply(parseMessage("@time=2026-01-01T10:00:00.000Z :bob!b@h PRIVMSG alice :psst"));
  assert.equal(r.buffer.kind, "query");
  assert.equal(r.buffer.name, "bob");
  assert.equal(r.buffer.unread, 1);
  assert.ok(r.notify);
  assert.equal(s.find("#lobby").lines.length, 0);
});

test("our own echoed message lands in the conversation with its target", () => {
  const s = fed("alice");
  const r = s.apply(parseMessage(":alice!a@h PRIVMSG bob :hi"));
  assert.equal(r.buffer.name, "bob");
  assert.ok(r.line.self);
  assert.equal(r.buffer.unread, 0);
});

test("a mention highlights, and a read marker settles the unread count", () => {
  const s = fed("alice", ":alice!a@h JOIN #lobby");
  s.apply(parseMessage("@time=2026-01-01T10:00:00.000Z :bob!b@h PRIVMSG #lobby :hello"));
  const r = s.apply(parseMessage("@time=2026-01-01T10:01:00.000Z :bob!b@h PRIVMSG #lobby :alice: there?"));
  assert.ok(r.line.highlight && r.notify);
  assert.equal(s.find("#lobby").unread, 2);
  s.apply(parseMessage("MARKREAD #lobby timestamp=2026-01-01T10:00:00.000Z"));
  assert.equal(s.find("#lobby").unread, 1);
});

test("replayed history neither notifies nor counts as unread", () => {
  const s = fed("alice", ":alice!a@h JOIN #lobby");
  const r = s.apply(parseMessage("@time=2026-01-01T09:00:00.000Z :bob!b@h PRIVMSG #lobby :old news"), {
    history: true,
  });
  assert.ok(!r.notify);
  assert.equal(s.find("#lobby").unread, 0);
});

test("the same msgid is shown once", () => {
  const s = fed("alice", ":alice!a@h JOIN #lobby");
  const line = "@msgid=abc :bob!b@h PRIVMSG #lobby :once";
  assert.ok(s.apply(parseMessage(line)));
  assert.equal(s.apply(parseMessage(line)), null);
  assert.equal(s.find("#lobby").lines.length, 1);
});

test("nick changes, away and quits reach the member lists", () => {
  const s = fed(
    "alice",
    ":alice!a@h JOIN #lobby",
    ":srv 353 alice = #lobby :bob alice",
    ":bob!b@h AWAY :lunch",
  );
  assert.ok(s.find("#lobby").members.get("bob").away);
  s.apply(parseMessage(":bob!b@h NICK robert"));
  assert.ok(s.find("#lobby").members.has("robert"));
  s.apply(parseMessage(":robert!b@h QUIT :bye"));
  assert.ok(!s.find("#lobby").members.has("robert"));
});

test("server notices go to the server conversation", () => {
  const s = fed("alice");
  const r = s.apply(parseMessage(":irc.example NOTICE alice :maintenance at noon"));
  assert.equal(r.buffer.name, SERVER_BUFFER);
});

test("commands", () => {
  const ctx = { target: "#lobby", isChannel: (n) => n.startsWith("#") };
  assert.deepEqual(parseCommand("hello", ctx), { say: { target: "#lobby", text: "hello" } });
  assert.deepEqual(parseCommand("/join games", ctx), { send: [["JOIN", "#games"]], open: "#games" });
  assert.deepEqual(parseCommand("/msg bob hi there", ctx), {
    open: "bob",
    say: { target: "bob", text: "hi there" },
  });
  assert.deepEqual(parseCommand("/me waves", ctx), {
    say: { target: "#lobby", text: "\x01ACTION waves\x01" },
  });
  assert.deepEqual(parseCommand("/nick bobby", ctx), { send: [["NICK", "bobby"]] });
  assert.deepEqual(parseCommand("/topic snacks", ctx), { send: [["TOPIC", "#lobby", "snacks"]] });
  assert.deepEqual(parseCommand("/away lunch", ctx).send, [["AWAY", "lunch"]]);
  assert.deepEqual(parseCommand("/away", ctx).send, [["AWAY"]]);
  assert.deepEqual(parseCommand("/quit bye", ctx), { quit: "bye" });
  assert.deepEqual(parseCommand("//not a command", ctx), {
    say: { target: "#lobby", text: "/not a command" },
  });
  assert.ok(parseCommand("/frobnicate", ctx).error);
  assert.ok(parseCommand("/msg bob", ctx).error);
  assert.ok(parseCommand("hello", { ...ctx, target: null }).error);
});
