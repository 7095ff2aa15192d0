// One IRC connection over a WebSocket (the IRCv3 WebSocket spec, text.ircv3.net):
// capability negotiation, SASL PLAIN or account registration, batches, labels,
// CHATHISTORY and SEARCH requests, keep-alive and reconnection with back-off.
//
// It knows nothing of the page: it emits events ("status", "message", "batch",
// "registered", "error", "isupport") and the app turns them into state and views.

import * as irc from "./irc.js";

// Capabilities the client uses when the server offers them.
const WANTED_CAPS = [
  "message-tags",
  "server-time",
  "echo-message",
  "batch",
  "labeled-response",
  "cap-notify",
  "multi-prefix",
  "userhost-in-names",
  "extended-join",
  "away-notify",
  "account-notify",
  "account-tag",
  "invite-notify",
  "setname",
  "chghost",
  "sasl",
  "draft/account-registration",
  "draft/chathistory",
  "draft/read-marker",
  "draft/message-redaction",
  "soju.im/search",
];

const BACKOFF_MIN = 1000; // ms before the first reconnection attempt
const BACKOFF_MAX = 30000; // ms between attempts at most
const REQUEST_TIMEOUT = 15000; // ms to wait for a CHATHISTORY or SEARCH answer
const SASL_CHUNK = 400; // AUTHENTICATE payload bytes per line (the SASL spec)

const SASL_FAILURES = new Set(["902", "904", "905", "906", "908"]);

export class Client extends EventTarget {
  // options: {url, nick, password, register, realname}
  constructor(options) {
    super();
    this.options = { realname: "chinwag web", ...options };
    this.nick = options.nick;
    this.ws = null;
    this.status = "disconnected"; // connecting | registering | registered | disconnected
    this.available = new Map(); // CAP LS
    this.caps = new Set(); // acknowledged
    this.isupport = {};
    this.fold = irc.folder("rfc1459");
    this.account = null;
    this.batches = new Map(); // id -> {type, params, tags, messages}
    this.waiting = new Map(); // label -> {resolve, reject, timer}
    this.nextLabel = 1;
    this.attempt = 0;
    this.reconnectTimer = null;
    this.stopped = false;
    this.capsPending = 0;
    this.capLsBuffer = "";
    this.saslStarted = false;
    this.registerPending = false;
    this.token = null;
    this.tokenExpires = 0;
  }

  // -- life cycle ------------------------------------------------------------------

  connect() {
    this.stopped = false;
    clearTimeout(this.reconnectTimer);
    this.setStatus("connecting");
    let ws;
    try {
      ws = new WebSocket(this.options.url, ["text.ircv3.net"]);
    } catch (err) {
      this.emit("error", { kind: "connect", text: String(err.message || err) });
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => this.onOpen());
    ws.addEventListener("message", (ev) => this.onData(ev.data));
    ws.addEventListener("close", (ev) => this.onClose(ws, ev));
  }

  // Quit on purpose: no reconnection afterwards.
  quit(reason = "Leaving") {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.send("QUIT", reason);
    if (this.ws) this.ws.close(1000);
    this.setStatus("disconnected");
  }

  setStatus(status) {
    this.status = status;
    this.emit("status", { status });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  onOpen() {
    this.available = new Map();
    this.caps = new Set();
    this.batches.clear();
    this.capLsBuffer = "";
    this.saslStarted = false;
    this.account = null;
    this.setStatus("registering");
    this.send("CAP", "LS", "302");
    this.send("NICK", this.nick);
    this.send("USER", this.options.nick, "0", "*", this.options.realname);
  }

  onClose(ws, ev) {
    if (ws !== this.ws) return;
    this.ws = null;
    for (const [, w] of this.waiting) {
      clearTimeout(w.timer);
      w.reject(new Error("disconnected"));
    }
    this.waiting.clear();
    const wasRegistered = this.status === "registered";
    this.setStatus("disconnected");
    this.emit("closed", { code: ev.code, reason: ev.reason, wasRegistered });
    if (!this.stopped) this.scheduleReconnect();
  }

  scheduleReconnect() {
    const base = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** this.attempt);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt = Math.min(this.attempt + 1, 10);
    this.emit("reconnecting", { delay });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  // -- sending ---------------------------------------------------------------------

  sendRaw(line) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(line);
    return true;
  }

  send(command, ...params) {
    return this.sendMessage({ command, params });
  }

  sendMessage(msg, options) {
    return this.sendRaw(irc.formatMessage(msg, options));
  }

  newLabel() {
    return "w" + this.nextLabel++;
  }

  // Send a text message; returns the label its echo will carry (or null).
  say(target, text, { notice = false } = {}) {
    const tags = {};
    let label = null;
    if (this.caps.has("labeled-response") && this.caps.has("echo-message")) {
      label = this.newLabel();
      tags.label = label;
    }
    const ok = this.sendMessage(
      { tags, command: notice ? "NOTICE" : "PRIVMSG", params: [target, text] },
      { trailing: true },
    );
    return ok ? label : false;
  }

  // Bytes a PRIVMSG text may take so the relayed line fits in 512 bytes.
  textRoom(target) {
    const source = `:${this.nick}!${this.nick.slice(0, 10)}@${"x".repeat(63)} `;
    return 510 - new TextEncoder().encode(`${source}PRIVMSG ${target} :`).length;
  }

  // A request answered in one batch: with labeled-response the label ties the two,
  // otherwise the next batch of `batchType` for `target` is taken as the answer.
  request(msg, batchType, target) {
    return new Promise((resolve, reject) => {
      const key = this.caps.has("labeled-response")
        ? this.newLabel()
        : `${batchType} ${this.fold(target || "")}`;
      if (this.caps.has("labeled-response")) msg.tags = { ...(msg.tags || {}), label: key };
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error("no answer"));
      }, REQUEST_TIMEOUT);
      this.waiting.set(key, { resolve, reject, timer });
      if (!this.sendMessage(msg)) {
        clearTimeout(timer);
        this.waiting.delete(key);
        reject(new Error("not connected"));
      }
    });
  }

  settle(key, value, failed = false) {
    const w = this.waiting.get(key);
    if (!w) return false;
    this.waiting.delete(key);
    clearTimeout(w.timer);
    if (failed) w.reject(value);
    else w.resolve(value);
    return true;
  }

  historyLimit() {
    const n = parseInt(this.isupport.CHATHISTORY || "100", 10);
    return Math.min(n > 0 ? n : 100, 100);
  }

  // Messages of `target` before `before` ("msgid=..." or "timestamp=..."), or the
  // latest ones. A msgid is exact where several messages share a millisecond.
  async fetchHistory(target, before = null, limit = 50) {
    if (!this.caps.has("draft/chathistory")) return [];
    limit = Math.min(limit, this.historyLimit());
    const params = before
      ? ["BEFORE", target, before, String(limit)]
      : ["LATEST", target, "*", String(limit)];
    const batch = await this.request({ command: "CHATHISTORY", params }, "chathistory", target);
    return batch ? flatten(batch) : [];
  }

  // soju.im/search: attrs like {in: "#lobby", text: "hello"}.
  async search(attrs) {
    if (!this.caps.has("soju.im/search")) throw new Error("this server has no search");
    const value = Object.entries(attrs)
      .filter(([, v]) => v !== undefined && v !== "")
      .map(([k, v]) => `${k}=${irc.escapeTag(String(v))}`)
      .join(";");
    const batch = await this.request({ command: "SEARCH", params: [value] }, "soju.im/search", "");
    return batch ? flatten(batch) : [];
  }

  // A short-lived upload token (FILETOKEN), fetched again when it is about to expire.
  async uploadToken() {
    if (this.token && this.tokenExpires - Date.now() > 30000) return this.token;
    const reply = await this.request({ command: "FILETOKEN", params: [] }, "FILETOKEN", "");
    const msgs = reply ? reply.messages : [];
    const got = msgs.find((m) => m.command === "FILETOKEN");
    if (!got) {
      const fail = msgs.find((m) => m.command === "FAIL");
      throw new Error(fail ? fail.params[fail.params.length - 1] : "no upload token");
    }
    this.token = got.params[0];
    this.tokenExpires = Date.now() + 1000 * parseInt(got.params[1] || "60", 10);
    return this.token;
  }

  markRead(target, timestamp) {
    if (this.caps.has("draft/read-marker") && timestamp) {
      this.send("MARKREAD", target, `timestamp=${timestamp}`);
    }
  }

  // The upload URL from draft/FILEHOST, if the server names one.
  fileHost() {
    const value = this.isupport["DRAFT/FILEHOST"] || this.isupport.FILEHOST || "";
    return value.split(" ").find((u) => /^https?:\/\//i.test(u)) || null;
  }

  isChannel(name) {
    return irc.isChannel(name, this.isupport.CHANTYPES || "#&");
  }

  isMe(nick) {
    return this.fold(nick) === this.fold(this.nick);
  }

  // -- receiving -------------------------------------------------------------------

  onData(data) {
    if (typeof data !== "string") return; // text.ircv3.net: text frames only
    for (const line of data.split(/\r?\n/)) {
      if (!line) continue;
      let msg;
      try {
        msg = irc.parseMessage(line);
      } catch {
        continue;
      }
      this.handle(msg);
    }
  }

  handle(msg) {
    const batchId = msg.tags.batch;
    if (batchId && this.batches.has(batchId) && msg.command !== "BATCH") {
      this.batches.get(batchId).messages.push(msg);
      return;
    }
    switch (msg.command) {
      case "PING":
        this.send("PONG", ...msg.params);
        return;
      case "CAP":
        this.onCap(msg);
        return;
      case "AUTHENTICATE":
        if (msg.params[0] === "+") this.sendSaslPlain();
        return;
      case "REGISTER":
        this.onRegisterReply(msg);
        return;
      case "BATCH":
        this.onBatch(msg);
        return;
      case "001":
        this.nick = msg.params[0];
        this.attempt = 0;
        this.setStatus("registered");
        this.registerAfterConnect();
        this.emit("registered", { nick: this.nick });
        break;
      case "005":
        irc.parseISupport(msg.params, this.isupport);
        if (this.isupport.CASEMAPPING) this.fold = irc.folder(this.isupport.CASEMAPPING);
        this.emit("isupport", { isupport: this.isupport });
        break;
      case "433":
      case "432":
        if (this.status !== "registered") {
          this.nick = this.nextNick(this.nick);
          this.send("NICK", this.nick);
        }
        break;
      case "NICK": {
        const from = irc.parsePrefix(msg.source).nick;
        if (this.isMe(from)) this.nick = msg.params[0];
        break;
      }
      case "900":
        this.account = msg.params[2] || null;
        break;
      case "903":
      case "907": // already logged in (by REGISTER): nothing more to do
        if (this.status === "registering") this.send("CAP", "END");
        break;
      case "FILETOKEN":
        if (!msg.tags.label && this.settle("FILETOKEN ", { type: "", messages: [msg] })) return;
        break;
      case "FAIL":
        if (msg.params[0] === "REGISTER") {
          this.onRegisterReply(msg);
          return;
        }
        if (msg.params[0] === "FILETOKEN" && !msg.tags.label) {
          if (this.settle("FILETOKEN ", new Error(msg.params[msg.params.length - 1]), true)) return;
        }
        break;
      case "ERROR":
        this.emit("error", { kind: "server", text: msg.params[0] || "closed by the server" });
        break;
      default:
        if (SASL_FAILURES.has(msg.command) && this.status === "registering") {
          this.onSaslFailed(msg);
          return;
        }
    }
    this.dispatch(msg);
  }

  // `batch` names the batch type a message came in (e.g. "chathistory": old news).
  dispatch(msg, batch = null) {
    const label = msg.tags.label;
    if (label && this.settle(label, { type: "", messages: [msg] })) {
      if (msg.command === "FAIL" || msg.command === "ACK") return;
    }
    this.emit("message", { msg, batch });
  }

  nextNick(nick) {
    const m = /^(.*?)(\d*)$/.exec(nick);
    const n = m[2] ? parseInt(m[2], 10) + 1 : 1;
    return (m[1] || "guest").slice(0, 25) + n;
  }

  onCap(msg) {
    const sub = (msg.params[1] || "").toUpperCase();
    const args = msg.params.slice(2);
    if (sub === "LS") {
      const more = args[0] === "*";
      this.capLsBuffer += " " + args[args.length - 1];
      if (more) return;
      this.available = irc.parseCaps(this.capLsBuffer);
      this.capLsBuffer = "";
      if (this.status === "registering") this.requestCaps([...this.available.keys()]);
    } else if (sub === "NEW") {
      const fresh = irc.parseCaps(args[args.length - 1]);
      for (const [k, v] of fresh) this.available.set(k, v);
      this.requestCaps([...fresh.keys()]);
    } else if (sub === "DEL") {
      for (const name of args[args.length - 1].split(" ")) {
        this.available.delete(name);
        this.caps.delete(name);
      }
    } else if (sub === "ACK" || sub === "NAK") {
      for (const name of args[args.length - 1].split(" ")) {
        if (!name) continue;
        if (sub === "ACK") {
          if (name.startsWith("-")) this.caps.delete(name.slice(1));
          else this.caps.add(name);
        }
      }
      this.capsPending -= 1;
      if (this.capsPending <= 0 && this.status === "registering") this.afterCaps();
    }
  }

  requestCaps(names) {
    const want = names.filter((n) => WANTED_CAPS.includes(n) && !this.caps.has(n));
    if (!want.length) {
      if (this.status === "registering") this.afterCaps();
      return;
    }
    // One CAP REQ line per chunk, so none exceeds the line length.
    const chunks = [];
    let cur = [];
    for (const name of want) {
      if (cur.join(" ").length + name.length > 400) {
        chunks.push(cur);
        cur = [];
      }
      cur.push(name);
    }
    chunks.push(cur);
    this.capsPending = chunks.length;
    for (const chunk of chunks) this.sendMessage({ command: "CAP", params: ["REQ", chunk.join(" ")] }, { trailing: true });
  }

  // Capabilities settled during registration: register an account, log in, or finish.
  afterCaps() {
    const { password, register } = this.options;
    if (password && register && this.caps.has("draft/account-registration")) {
      this.registerPending = true;
      const reg = this.available.get("draft/account-registration") || "";
      if (reg.includes("before-connect")) {
        this.sendMessage({ command: "REGISTER", params: [this.nick, "*", password] }, { trailing: true });
        return;
      }
      this.send("CAP", "END"); // REGISTER goes once connected (on 001)
      return;
    }
    this.startSaslOrEnd();
  }

  startSaslOrEnd() {
    const { password } = this.options;
    const mechs = (this.available.get("sasl") || "PLAIN").split(",");
    if (password && this.caps.has("sasl") && mechs.includes("PLAIN") && !this.account) {
      this.saslStarted = true;
      this.send("AUTHENTICATE", "PLAIN");
      return;
    }
    if (password && this.options.register && !this.caps.has("draft/account-registration")) {
      this.emit("error", { kind: "register", text: "This server does not offer account registration." });
    }
    this.send("CAP", "END");
  }

  sendSaslPlain() {
    const { password } = this.options;
    const account = this.options.account || this.options.nick;
    const payload = irc.base64Utf8(`${account}\0${account}\0${password}`);
    for (let i = 0; i < payload.length; i += SASL_CHUNK) {
      this.send("AUTHENTICATE", payload.slice(i, i + SASL_CHUNK));
    }
    if (payload.length % SASL_CHUNK === 0) this.send("AUTHENTICATE", "+");
  }

  onSaslFailed(msg) {
    const text = msg.params[msg.params.length - 1] || "login failed";
    this.emit("error", { kind: "sasl", code: msg.command, text });
    // A wrong password does not get better by retrying: stop here, let the person fix it.
    this.stopped = true;
    this.send("QUIT", "login failed");
    if (this.ws) this.ws.close(1000);
  }

  onRegisterReply(msg) {
    if (msg.command === "FAIL") {
      const text = msg.params[msg.params.length - 1];
      this.emit("error", { kind: "register", code: msg.params[1], text });
      this.registerPending = false;
      if (this.status === "registering") {
        this.stopped = true;
        this.send("QUIT", "account registration failed");
        if (this.ws) this.ws.close(1000);
      }
      return;
    }
    // REGISTER SUCCESS <account> <message> (or VERIFICATION_REQUIRED)
    this.registerPending = false;
    const sub = msg.params[0];
    this.emit("registered-account", { status: sub, account: msg.params[1], text: msg.params[2] });
    // A new account is logged in at once (900 follows).
    if (sub === "SUCCESS") this.account = msg.params[1];
    if (this.status === "registering") this.send("CAP", "END");
  }

  // On 001, when the server registers accounts only once connected.
  registerAfterConnect() {
    if (this.registerPending && this.options.password) {
      this.sendMessage({ command: "REGISTER", params: [this.nick, "*", this.options.password] }, { trailing: true });
    }
  }

  onBatch(msg) {
    const ref = msg.params[0] || "";
    const id = ref.slice(1);
    if (ref.startsWith("+")) {
      const parent = msg.tags.batch && this.batches.get(msg.tags.batch);
      const batch = { id, type: msg.params[1], params: msg.params.slice(2), tags: msg.tags, messages: [], parent };
      this.batches.set(id, batch);
      return;
    }
    const batch = this.batches.get(id);
    if (!batch) return;
    this.batches.delete(id);
    if (batch.parent) {
      batch.parent.messages.push({ command: "BATCH", batch, tags: {}, params: [] });
      return;
    }
    this.finishBatch(batch);
  }

  finishBatch(batch) {
    const label = batch.tags.label;
    if (label && this.settle(label, batch)) return; // the answer to a request
    const fallback = `${batch.type} ${this.fold(batch.params[0] || "")}`;
    if (batch.type === "soju.im/search" && this.settle(`${batch.type} `, batch)) return;
    if (this.settle(fallback, batch)) return;
    // Not asked for (a labeled response to a text, or a netjoin): deliver each message.
    for (const m of flatten(batch)) this.dispatch(m, batch.type);
  }
}

// The messages of a batch and its nested batches, in order.
export function flatten(batch) {
  const out = [];
  for (const m of batch.messages) {
    if (m.command === "BATCH" && m.batch) out.push(...flatten(m.batch));
    else out.push(m);
  }
  return out;
}
