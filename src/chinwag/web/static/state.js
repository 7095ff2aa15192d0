// What the page shows, as plain data: conversations (the server buffer, rooms, private
// chats), their lines, members and unread counts. `State.apply(msg)` folds one IRC
// message into it and says which conversation changed; the views read it. No DOM here.

import * as irc from "./irc.js";

export const SERVER_BUFFER = "*server*";
const MAX_LINES = 2000; // lines kept per conversation; older ones are dropped

export class State {
  constructor() {
    this.nick = "";
    this.account = null;
    this.fold = irc.folder("rfc1459");
    this.chantypes = "#&";
    this.prefix = irc.parsePrefixToken("(ov)@+");
    this.buffers = new Map(); // folded name -> Buffer
    this.current = null;
    this.buffer(SERVER_BUFFER, "server");
  }

  configure(isupport) {
    if (isupport.CASEMAPPING) this.fold = irc.folder(isupport.CASEMAPPING);
    if (isupport.CHANTYPES) this.chantypes = isupport.CHANTYPES;
    if (isupport.PREFIX) this.prefix = irc.parsePrefixToken(isupport.PREFIX);
  }

  isChannel(name) {
    return irc.isChannel(name, this.chantypes);
  }

  isMe(nick) {
    return this.fold(nick) === this.fold(this.nick);
  }

  buffer(name, kind = null) {
    const key = name === SERVER_BUFFER ? name : this.fold(name);
    let buf = this.buffers.get(key);
    if (!buf && kind !== null) {
      buf = new Buffer(name, key, kind);
      this.buffers.set(key, buf);
    }
    return buf || null;
  }

  find(name) {
    return this.buffer(name, null);
  }

  remove(name) {
    this.buffers.delete(this.fold(name));
  }

  // Sidebar order: the server, then rooms, then private chats, each by name.
  list() {
    const order = { server: 0, channel: 1, query: 2 };
    return [...this.buffers.values()].sort(
      (a, b) => order[a.kind] - order[b.kind] || a.key.localeCompare(b.key),
    );
  }

  // The conversation a PRIVMSG/NOTICE belongs to: the room, or the other person.
  targetOf(msg) {
    const target = msg.params[0] || "";
    const from = irc.parsePrefix(msg.source).nick;
    if (this.isChannel(target.replace(/^[~&@%+]+/, ""))) return target.replace(/^[~&@%+]+/, "");
    if (this.isMe(from)) return target; // our own, echoed
    return from;
  }

  // A chat line as the views show it.
  line(msg, { history = false } = {}) {
    const from = irc.parsePrefix(msg.source).nick;
    const raw = msg.params[1] || "";
    const { action, text } = irc.parseCtcpAction(raw);
    const time = msg.tags.time ? new Date(msg.tags.time) : new Date();
    return {
      id: msg.tags.msgid || null,
      label: msg.tags.label || null,
      time,
      stamp: msg.tags.time || time.toISOString(),
      nick: from || "*",
      kind: msg.command === "NOTICE" ? "notice" : action ? "action" : "privmsg",
      text: irc.stripFormatting(text),
      self: this.isMe(from),
      highlight: !this.isMe(from) && irc.mentions(text, this.nick),
      history,
    };
  }

  // Fold one message in. Returns {buffer, line, notify} or null when nothing to show.
  // `history`: the message is a replay (a chathistory batch), not news.
  apply(msg, { history = false } = {}) {
    const from = irc.parsePrefix(msg.source).nick;
    const info = (buf, text, kind = "info") => {
      const line = { time: msgTime(msg), stamp: msg.tags.time, nick: "", kind, text };
      buf.push(line);
      return { buffer: buf, line };
    };
    switch (msg.command) {
      case "PRIVMSG":
      case "NOTICE": {
        const raw = msg.params[1] || "";
        if (raw.startsWith("\x01") && !raw.startsWith("\x01ACTION")) return null; // CTCP
        const target = this.targetOf(msg);
        const serverNotice = msg.command === "NOTICE" && (!from || from.includes("."));
        const buf = serverNotice && !this.isChannel(target)
          ? this.buffer(SERVER_BUFFER)
          : this.buffer(target, this.isChannel(target) ? "channel" : "query");
        const line = this.line(msg, { history });
        if (line.label && buf.settle(line)) return { buffer: buf, line, replaced: true };
        if (line.id && buf.has(line.id)) return null;
        buf.push(line);
        if (!line.self && (!history || buf.readMarker)) buf.noteUnread(line);
        const notify = !line.self && !history && (buf.kind === "query" || line.highlight);
        return { buffer: buf, line, notify };
      }
      case "JOIN": {
        const name = msg.params[0];
        const buf = this.buffer(name, "channel");
        if (this.isMe(from)) {
          buf.joined = true;
          buf.members.clear();
          return { buffer: buf, joinedSelf: true };
        }
        buf.addMember(from, "", this.fold, msg.params[1]);
        return info(buf, `${from} joined`, "join");
      }
      case "PART": {
        const buf = this.find(msg.params[0]);
        if (!buf) return null;
        if (this.isMe(from)) {
          buf.joined = false;
          return { buffer: buf, partedSelf: true };
        }
        buf.members.delete(this.fold(from));
        return info(buf, `${from} left${msg.params[1] ? ` (${msg.params[1]})` : ""}`, "part");
      }
      case "KICK": {
        const buf = this.find(msg.params[0]);
        if (!buf) return null;
        const who = msg.params[1];
        buf.members.delete(this.fold(who));
        if (this.isMe(who)) buf.joined = false;
        return info(buf, `${who} was removed by ${from}: ${msg.params[2] || ""}`, "part");
      }
      case "QUIT": {
        const key = this.fold(from);
        let last = null;
        for (const buf of this.buffers.values()) {
          if (buf.members.delete(key)) last = info(buf, `${from} quit (${msg.params[0] || ""})`, "part");
        }
        return last;
      }
      case "NICK": {
        const to = msg.params[0];
        const oldKey = this.fold(from);
        if (this.isMe(from)) this.nick = to;
        let last = null;
        for (const buf of this.buffers.values()) {
          const m = buf.members.get(oldKey);
          if (m) {
            buf.members.delete(oldKey);
            buf.members.set(this.fold(to), { ...m, nick: to });
            last = info(buf, `${from} is now ${to}`, "nick");
          }
        }
        const query = this.buffers.get(oldKey);
        if (query && query.kind === "query" && !this.buffers.has(this.fold(to))) {
          this.buffers.delete(oldKey);
          query.name = to;
          query.key = this.fold(to);
          this.buffers.set(query.key, query);
        }
        return last || info(this.buffer(SERVER_BUFFER), `${from} is now ${to}`, "nick");
      }
      case "TOPIC": {
        const buf = this.buffer(msg.params[0], "channel");
        buf.topic = msg.params[1] || "";
        return info(buf, `${from} set the topic: ${buf.topic}`, "topic");
      }
      case "332": {
        const buf = this.buffer(msg.params[1], "channel");
        buf.topic = msg.params[2] || "";
        return { buffer: buf };
      }
      case "353": {
        const buf = this.buffer(msg.params[2], "channel");
        if (!buf.namesOpen) {
          buf.members.clear();
          buf.namesOpen = true;
        }
        for (const entry of (msg.params[3] || "").split(" ")) {
          if (!entry) continue;
          const n = irc.splitNamesEntry(entry, this.prefix.chars);
          buf.addMember(n.nick, n.prefix, this.fold);
        }
        return { buffer: buf, members: true };
      }
      case "366": {
        const buf = this.find(msg.params[1]);
        if (buf) buf.namesOpen = false;
        return buf ? { buffer: buf, members: true } : null;
      }
      case "ACCOUNT": {
        const key = this.fold(from);
        for (const buf of this.buffers.values()) {
          const m = buf.members.get(key);
          if (m) m.account = msg.params[0] === "*" ? null : msg.params[0];
        }
        return { buffer: null, members: true };
      }
      case "AWAY": {
        const key = this.fold(from);
        for (const buf of this.buffers.values()) {
          const m = buf.members.get(key);
          if (m) m.away = Boolean(msg.params[0]);
        }
        return { buffer: null, members: true };
      }
      case "MODE": {
        const target = msg.params[0];
        if (!this.isChannel(target)) return null;
        const buf = this.find(target);
        if (!buf) return null;
        this.applyMemberModes(buf, msg.params.slice(1));
        return info(buf, `${from} set mode ${msg.params.slice(1).join(" ")}`, "mode");
      }
      case "MARKREAD": {
        const buf = this.find(msg.params[0]);
        const ts = (msg.params[1] || "").replace(/^timestamp=/, "");
        if (!buf || !ts || ts === "*") return null;
        buf.setReadMarker(ts);
        return { buffer: buf, unread: true };
      }
      default:
        return null;
    }
  }

  applyMemberModes(buf, params) {
    const [modes, ...args] = params;
    let adding = true;
    let i = 0;
    for (const ch of modes || "") {
      if (ch === "+" || ch === "-") {
        adding = ch === "+";
        continue;
      }
      const idx = this.prefix.modes.indexOf(ch);
      if (idx < 0) {
        if ("kbelIqv".includes(ch) && (adding || ch !== "l")) i++;
        continue;
      }
      const nick = args[i++];
      const m = nick && buf.members.get(this.fold(nick));
      if (!m) continue;
      const char = this.prefix.chars[idx];
      m.modes = adding ? [...new Set([...m.modes, char])] : m.modes.filter((c) => c !== char);
      m.prefix = this.prefix.chars.split("").find((c) => m.modes.includes(c)) || "";
    }
  }
}

function msgTime(msg) {
  return msg.tags.time ? new Date(msg.tags.time) : new Date();
}

export class Buffer {
  constructor(name, key, kind) {
    this.name = name;
    this.key = key;
    this.kind = kind; // server | channel | query
    this.lines = [];
    this.ids = new Set();
    this.members = new Map(); // folded nick -> {nick, prefix, modes, away, account}
    this.topic = "";
    this.joined = false;
    this.unread = 0;
    this.highlight = false;
    this.readMarker = null; // ISO timestamp of the last line read
    this.historyDone = false;
    this.loadingHistory = false;
    this.namesOpen = false;
  }

  has(id) {
    return this.ids.has(id);
  }

  push(line) {
    if (line.id) this.ids.add(line.id);
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) {
      const dropped = this.lines.shift();
      if (dropped.id) this.ids.delete(dropped.id);
    }
  }

  // Older lines from CHATHISTORY BEFORE, oldest first; those already here are skipped.
  prepend(lines) {
    const fresh = lines.filter((l) => !l.id || !this.ids.has(l.id));
    for (const l of fresh) if (l.id) this.ids.add(l.id);
    this.lines = [...fresh, ...this.lines];
    return fresh.length;
  }

  // The echo of a line we sent (same label): it replaces the "sending…" line.
  settle(line) {
    const i = this.lines.findIndex((l) => l.pending && l.label === line.label);
    if (i < 0) return false;
    this.lines[i] = line;
    if (line.id) this.ids.add(line.id);
    return true;
  }

  fail(label, reason) {
    const l = this.lines.find((x) => x.pending && x.label === label);
    if (l) {
      l.pending = false;
      l.failed = reason;
    }
    return l || null;
  }

  // The CHATHISTORY selector of the oldest line shown: its msgid, else its time.
  oldestSelector() {
    const chat = new Set(["privmsg", "notice", "action"]);
    const first = this.lines.find((l) => chat.has(l.kind) && (l.id || l.stamp));
    if (!first) return null;
    return first.id ? `msgid=${first.id}` : `timestamp=${first.stamp}`;
  }

  newestStamp() {
    for (let i = this.lines.length - 1; i >= 0; i--) if (this.lines[i].stamp) return this.lines[i].stamp;
    return null;
  }

  noteUnread(line) {
    if (this.readMarker && line.stamp && line.stamp <= this.readMarker) return;
    this.unread += 1;
    if (line.highlight || this.kind === "query") this.highlight = true;
  }

  setReadMarker(ts) {
    if (this.readMarker && ts <= this.readMarker) return;
    this.readMarker = ts;
    this.recount();
  }

  recount() {
    const marker = this.readMarker;
    const unread = this.lines.filter(
      (l) => (l.kind === "privmsg" || l.kind === "action" || l.kind === "notice") &&
        !l.self && (!marker || (l.stamp && l.stamp > marker)),
    );
    this.unread = unread.length;
    this.highlight = unread.some((l) => l.highlight) || (this.kind === "query" && unread.length > 0);
  }

  markAllRead() {
    this.unread = 0;
    this.highlight = false;
    const ts = this.newestStamp();
    if (ts && (!this.readMarker || ts > this.readMarker)) this.readMarker = ts;
    return ts;
  }

  addMember(nick, prefix, fold, account) {
    this.members.set(fold(nick), {
      nick,
      prefix: prefix.slice(0, 1),
      modes: prefix.split(""),
      away: false,
      account: account && account !== "*" ? account : null,
    });
  }

  // Members by rank (operators, voiced, everyone) then name.
  sortedMembers(prefixChars) {
    const rank = (m) => (m.prefix ? prefixChars.indexOf(m.prefix) : prefixChars.length);
    return [...this.members.values()].sort(
      (a, b) => rank(a) - rank(b) || a.nick.toLowerCase().localeCompare(b.nick.toLowerCase()),
    );
  }
}
