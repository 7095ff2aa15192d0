// The page: the login form, then the chat. Wires the connection (client.js) to the state
// (state.js) and the views (views.js); carries out commands, uploads, history on
// scroll, search, read markers, notifications and the theme.

import { Client } from "./client.js";
import { parseCommand } from "./commands.js";
import { parsePrefix, splitText } from "./irc.js";
import { uploadFile } from "./upload.js";
import { SERVER_BUFFER, State } from "./state.js";
import * as view from "./views.js";

const { $ } = view;
const LOBBY = "#lobby";
const HISTORY_PAGE = 50;
const NEAR_TOP = 60; // px from the top of the list that loads older lines

let client = null;
let state = new State();
let rejoin = new Set(); // rooms to join again after a reconnection
let upload = null;

const hooks = {
  onNick: (nick) => openQuery(nick),
  fileHost: () => (client ? client.fileHost() : null),
  onImageLoad: () => stickToBottom(),
  markerAt: null,
};

// -- start -----------------------------------------------------------------------------

function init() {
  view.applyTheme(localStorage.getItem("chinwag.theme") || "auto");
  $("login-nick").value = localStorage.getItem("chinwag.nick") || "";
  $("login-form").addEventListener("submit", onLogin);
  $("composer").addEventListener("submit", onSend);
  $("messages").addEventListener("scroll", onScroll, { passive: true });
  $("menu-button").addEventListener("click", () => togglePanel("show-sidebar"));
  $("members-button").addEventListener("click", toggleMembers);
  $("scrim").addEventListener("click", closePanels);
  $("theme-button").addEventListener("click", toggleTheme);
  $("logout-button").addEventListener("click", logout);
  $("join-button").addEventListener("click", () => {
    $("input").value = "/join #";
    $("input").focus();
    closePanels();
  });
  $("search-button").addEventListener("click", openSearch);
  $("search-close").addEventListener("click", closeSearch);
  $("search-form").addEventListener("submit", onSearch);
  $("file-input").addEventListener("change", onFilePicked);
  $("upload-cancel").addEventListener("click", () => upload && upload.cancel());
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) markCurrentRead();
  });
  window.addEventListener("focus", markCurrentRead);
}

function onLogin(ev) {
  ev.preventDefault();
  const nick = $("login-nick").value.trim();
  const password = $("login-password").value;
  const register = $("login-register").checked;
  if (!/^[^\s#&:,*?!@.][^\s,*?!@]*$/.test(nick)) {
    loginError("A name has no spaces and does not start with # or a digit-like symbol.");
    return;
  }
  if (register && !password) {
    loginError("Choose a password to create an account.");
    return;
  }
  loginError("");
  localStorage.setItem("chinwag.nick", nick);
  if ("Notification" in window && Notification.permission === "default") {
    Notification.requestPermission().catch(() => {});
  }
  $("login-submit").disabled = true;
  $("login-submit").textContent = "Connecting…";
  start({ nick, password, register });
}

function loginError(text) {
  $("login-error").textContent = text;
  $("login-error").hidden = !text;
}

function socketUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

function start(options) {
  state = new State();
  rejoin = new Set([LOBBY]);
  client = new Client({ url: socketUrl(), ...options });
  client.addEventListener("status", onStatus);
  client.addEventListener("registered", onRegistered);
  client.addEventListener("isupport", (ev) => state.configure(ev.detail.isupport));
  client.addEventListener("message", (ev) => onMessage(ev.detail.msg, ev.detail.batch));
  client.addEventListener("error", (ev) => onClientError(ev.detail));
  client.addEventListener("closed", onClosed);
  client.addEventListener("reconnecting", (ev) => {
    if (!$("chat").hidden) view.setStatus(`Connection lost. Reconnecting in ${Math.ceil(ev.detail.delay / 1000)} s…`);
  });
  client.connect();
  state.current = state.buffer(SERVER_BUFFER);
}

function logout() {
  if (client) client.quit("Logged out");
  client = null;
  $("chat").hidden = true;
  $("login").hidden = false;
  $("login-submit").disabled = false;
  $("login-submit").textContent = "Join the chat";
  document.title = "chinwag";
}

// -- connection events -------------------------------------------------------------------

function onStatus(ev) {
  const { status } = ev.detail;
  if (status === "connecting" && !$("chat").hidden) view.setStatus("Connecting…");
}

function onRegistered(ev) {
  state.nick = ev.detail.nick;
  state.account = client.account;
  state.configure(client.isupport);
  view.setStatus("");
  $("login").hidden = true;
  $("chat").hidden = false;
  for (const room of rejoin) {
    if (room !== LOBBY || !state.find(LOBBY) || !state.find(LOBBY).joined) client.send("JOIN", room);
  }
  renderAll();
  if (!window.matchMedia("(pointer: coarse)").matches) $("input").focus();
}

function onClosed(ev) {
  for (const buf of state.buffers.values()) {
    if (buf.kind === "channel" && buf.joined) rejoin.add(buf.name);
    buf.joined = false;
  }
  if (ev.detail.wasRegistered && client && !client.stopped) view.setStatus("Connection lost.");
  if ($("chat").hidden) {
    $("login-submit").disabled = false;
    $("login-submit").textContent = "Join the chat";
  }
}

function onClientError(err) {
  const messages = {
    sasl: `Could not log in: ${err.text}`,
    register: `Could not create the account: ${err.text}`,
  };
  const text = messages[err.kind] || err.text;
  if ($("chat").hidden) {
    loginError(text);
    if (err.kind === "sasl" || err.kind === "register") {
      $("login-submit").disabled = false;
      $("login-submit").textContent = "Join the chat";
    }
  } else {
    serverLine(text, "error");
  }
}

function onMessage(msg, batch) {
  // A labeled reply to something we sent that failed: mark the line "not sent".
  if (msg.tags.label && (/^4\d\d$/.test(msg.command) || msg.command === "FAIL")) {
    for (const buf of state.buffers.values()) {
      if (buf.fail(msg.tags.label, msg.params[msg.params.length - 1])) {
        if (buf === state.current) renderLines();
        return;
      }
    }
  }
  const result = state.apply(msg, { history: batch === "chathistory" });
  if (!result) {
    if (/^[45]\d\d$/.test(msg.command) || msg.command === "FAIL") {
      serverLine(msg.params.slice(1).join(" "), "error", state.current);
    } else if (/^(00[1-5]|2[5-6]\d|37[256]|42[2-3])$/.test(msg.command)) {
      serverLine(msg.params.slice(1).join(" "), "info");
    }
    return;
  }
  const buf = result.buffer;
  if (result.joinedSelf) {
    rejoin.add(buf.name);
    if (!state.current || state.current.kind === "server" || buf.name === pendingOpen) select(buf);
    loadLatest(buf);
  }
  if (result.partedSelf) {
    rejoin.delete(buf.name);
    state.remove(buf.name);
    if (state.current === buf) select(state.find(LOBBY) || state.buffer(SERVER_BUFFER));
  }
  if (result.line && buf === state.current) {
    if (result.replaced) renderLines();
    else {
      const atBottom = isAtBottom();
      view.appendLine(state, result.line, hooks);
      if (atBottom || result.line.self) scrollToBottom();
    }
    if (!document.hidden && !result.line.self) markCurrentRead();
  }
  if (result.notify && (document.hidden || buf !== state.current)) notify(buf, result.line);
  if (msg.command === "NICK" || msg.command === "001") view.renderHeader(state);
  if (result.members || result.line || result.joinedSelf || result.partedSelf || result.unread) {
    if (buf === state.current || !buf) {
      view.renderMembers(state, openQuery);
      view.renderHeader(state);
    }
    renderSidebar();
  }
}

let pendingOpen = null;

function serverLine(text, kind = "info", into = null) {
  const buf = into || state.buffer(SERVER_BUFFER);
  const line = { time: new Date(), nick: "", kind, text };
  buf.push(line);
  if (buf === state.current) {
    view.appendLine(state, line, hooks);
    scrollToBottom();
  }
}

// -- history -----------------------------------------------------------------------------

function linesOf(messages) {
  return messages
    .filter((m) => m.command === "PRIVMSG" || m.command === "NOTICE")
    .filter((m) => !(m.params[1] || "").startsWith("\x01") || (m.params[1] || "").startsWith("\x01ACTION"))
    .map((m) => state.line(m, { history: true }));
}

async function loadLatest(buf) {
  if (!client.caps.has("draft/chathistory")) {
    buf.historyDone = true;
    return;
  }
  buf.loadingHistory = true;
  try {
    const lines = linesOf(await client.fetchHistory(buf.name, null, HISTORY_PAGE));
    const known = buf.lines.length;
    buf.prepend(lines.filter((l) => !buf.lines.length || !buf.lines[0].stamp || l.stamp <= buf.lines[0].stamp));
    if (lines.length < HISTORY_PAGE) buf.historyDone = true;
    buf.recount();
    if (buf === state.current) {
      buf.unread = 0;
      hooks.markerAt = buf.readMarker;
      renderLines();
      scrollToBottom();
      if (known === 0) markCurrentRead();
    }
    renderSidebar();
  } catch {
    /* no answer: the lines we have stay */
  } finally {
    buf.loadingHistory = false;
  }
}

// One page of older lines for `buf` (the current conversation by default).
async function loadOlder(buf = state.current) {
  if (!buf || buf.kind === "server" || buf.historyDone || buf.loadingHistory) return;
  if (!client.caps.has("draft/chathistory")) return;
  const before = buf.oldestSelector();
  if (!before) return;
  buf.loadingHistory = true;
  if (buf === state.current) $("history-note").textContent = "Loading older messages…";
  const box = $("messages");
  const fromBottom = box.scrollHeight - box.scrollTop;
  try {
    const lines = linesOf(await client.fetchHistory(buf.name, before, HISTORY_PAGE));
    const added = buf.prepend(lines);
    if (lines.length < HISTORY_PAGE || added === 0) buf.historyDone = true;
  } catch {
    buf.historyDone = true;
  } finally {
    buf.loadingHistory = false;
  }
  if (buf === state.current) {
    renderLines();
    box.scrollTop = box.scrollHeight - fromBottom;
    $("history-note").textContent = buf.historyDone ? "This is the beginning of the conversation." : "";
  }
}

function onScroll() {
  if ($("messages").scrollTop < NEAR_TOP) loadOlder();
  if (isAtBottom()) markCurrentRead();
}

// -- read markers, unread counts, notifications ------------------------------------------

let titleUnread = 0;

function markCurrentRead() {
  const buf = state.current;
  if (!buf || document.hidden || !client) return;
  const had = buf.unread;
  const before = buf.readMarker;
  const ts = buf.markAllRead();
  if (buf.kind !== "server" && ts && ts !== before) client.markRead(buf.name, ts);
  if (had) renderSidebar();
}

function renderSidebar() {
  view.renderBuffers(state, (buf) => {
    select(buf);
    closePanels();
  });
  const others = [...state.buffers.values()].filter((b) => b !== state.current);
  $("menu-button").classList.toggle("unread", others.some((b) => b.unread > 0));
  titleUnread = [...state.buffers.values()].reduce((n, b) => n + (b.highlight ? b.unread : 0), 0);
  document.title = titleUnread ? `(${titleUnread}) chinwag` : "chinwag";
}

function notify(buf, line) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  if (!document.hidden) return;
  const title = buf.kind === "query" ? `${line.nick} (private)` : `${line.nick} in ${buf.name}`;
  try {
    const n = new Notification(title, { body: line.text.slice(0, 200), tag: buf.key });
    n.addEventListener("click", () => {
      window.focus();
      select(buf);
      n.close();
    });
  } catch {
    /* some browsers only allow notifications from a service worker */
  }
}

// -- conversations ------------------------------------------------------------------------

function select(buf) {
  state.current = buf;
  hooks.markerAt = buf.unread ? buf.readMarker : null;
  renderAll();
  scrollToBottom();
  markCurrentRead();
  if (buf.kind === "query" && !buf.lines.length && !buf.historyDone && !buf.loadingHistory) loadLatest(buf);
}

function openQuery(nick) {
  if (state.isMe(nick)) return;
  select(state.buffer(nick, "query"));
  closePanels();
  $("input").focus();
}

function renderAll() {
  renderSidebar();
  view.renderHeader(state);
  view.renderMembers(state, openQuery);
  renderLines();
}

function renderLines() {
  view.renderLines(state, hooks);
}

function isAtBottom() {
  const box = $("messages");
  return box.scrollHeight - box.scrollTop - box.clientHeight < 40;
}

function scrollToBottom() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
}

function stickToBottom() {
  if (isAtBottom() || $("messages").scrollHeight - $("messages").scrollTop - $("messages").clientHeight < 400) {
    scrollToBottom();
  }
}

// -- sending ------------------------------------------------------------------------------

function onSend(ev) {
  ev.preventDefault();
  const input = $("input");
  const text = input.value;
  if (!text.trim() || !client) return;
  const target = state.current && state.current.kind !== "server" ? state.current.name : null;
  const action = parseCommand(text, { target, isChannel: (n) => state.isChannel(n) });
  if (action.error) {
    serverLine(action.error, "error", state.current);
    return;
  }
  input.value = "";
  if (action.open) {
    pendingOpen = action.open;
    if (!state.isChannel(action.open)) openQuery(action.open);
    else if (state.find(action.open)) select(state.find(action.open));
  }
  for (const params of action.send || []) client.send(...params);
  if (action.part) rejoin.delete(action.part);
  if (action.say) say(action.say.target, action.say.text);
  if (action.local) serverLine(action.local, "info", state.current);
  if (action.quit) {
    client.quit(action.quit);
    logout();
  }
}

function say(target, text) {
  const buf = state.buffer(target, state.isChannel(target) ? "channel" : "query");
  const action = text.startsWith("\x01ACTION ");
  const body = action ? text.slice(8, -1) : text;
  const room = client.textRoom(target) - (action ? 9 : 0);
  for (const piece of splitText(body, room)) {
    const wire = action ? `\x01ACTION ${piece}\x01` : piece;
    const label = client.say(target, wire);
    if (label === false) {
      serverLine("Not connected: the message was not sent.", "error", buf);
      return;
    }
    if (!client.caps.has("echo-message") || label) {
      const msg = { tags: label ? { label } : {}, source: `${client.nick}!x@x`, command: "PRIVMSG", params: [target, wire] };
      const line = state.line(msg);
      line.pending = Boolean(label);
      buf.push(line);
      if (buf === state.current) {
        view.appendLine(state, line, hooks);
        scrollToBottom();
      }
    }
  }
}

// -- files --------------------------------------------------------------------------------

function onFilePicked(ev) {
  const file = ev.target.files[0];
  ev.target.value = "";
  if (!file || !client) return;
  const target = state.current && state.current.kind !== "server" ? state.current.name : null;
  if (!target) {
    serverLine("Pick a room or a person to send the file to.", "error");
    return;
  }
  const url = client.fileHost();
  if (!url) {
    serverLine("This server does not take files.", "error", state.current);
    return;
  }
  $("upload").hidden = false;
  $("upload-name").textContent = file.name;
  $("upload-progress").value = 0;
  upload = uploadFile(url, file, {
    token: () => client.uploadToken(),
    onProgress: (fraction) => {
      $("upload-progress").value = Math.round(fraction * 100);
    },
  });
  upload.done
    .then((location) => say(target, location))
    .catch((err) => serverLine(`Upload failed: ${err.message}`, "error", state.buffer(target)))
    .finally(() => {
      $("upload").hidden = true;
      upload = null;
    });
}

// -- search -------------------------------------------------------------------------------

function openSearch() {
  $("search-form").hidden = false;
  $("search-input").focus();
}

function closeSearch() {
  $("search-form").hidden = true;
  $("search-results").hidden = true;
}

async function onSearch(ev) {
  ev.preventDefault();
  const text = $("search-input").value.trim();
  if (!text || !client) return;
  const buf = state.current;
  const attrs = { text, limit: 50 };
  if (buf && buf.kind !== "server") attrs.in = buf.name;
  try {
    const found = await client.search(attrs);
    const results = found
      .filter((m) => m.command === "PRIVMSG" || m.command === "NOTICE")
      .map((m) => ({ ...state.line(m), target: state.targetOf(m) }));
    view.renderSearchResults(results, jumpTo);
  } catch (err) {
    view.renderSearchResults([], () => {});
    serverLine(`Search failed: ${err.message}`, "error", state.current);
  }
}

const JUMP_PAGES = 10; // pages of older history loaded at most to reach a search hit

async function jumpTo(result) {
  const buf = state.buffer(result.target, state.isChannel(result.target) ? "channel" : "query");
  select(buf);
  closeSearch();
  const find = () => result.id && document.querySelector(`[data-msgid="${CSS.escape(result.id)}"]`);
  for (let i = 0; !find() && result.id && i < JUMP_PAGES && !buf.historyDone; i++) {
    await loadOlder(buf);
  }
  const node = find();
  if (node) {
    node.scrollIntoView({ block: "center" });
    node.classList.add("highlight");
  }
}

// -- panels and theme ---------------------------------------------------------------------

function togglePanel(cls) {
  const chat = $("chat");
  const on = !chat.classList.contains(cls);
  chat.classList.remove("show-sidebar", "show-members");
  if (on) chat.classList.add(cls);
}

function toggleMembers() {
  if (window.matchMedia("(max-width: 760px)").matches) {
    togglePanel("show-members");
    return;
  }
  $("chat").classList.toggle("members-hidden");
  $("chat").classList.toggle("no-members", $("chat").classList.contains("members-hidden"));
  view.renderMembers(state, openQuery);
}

function closePanels() {
  $("chat").classList.remove("show-sidebar", "show-members");
}

function toggleTheme() {
  const dark = document.documentElement.dataset.theme === "dark";
  const theme = dark ? "light" : "dark";
  localStorage.setItem("chinwag.theme", theme);
  view.applyTheme(theme);
}

// For tests and the curious: the live objects.
window.chinwag = { get client() { return client; }, get state() { return state; }, parsePrefix };

init();
