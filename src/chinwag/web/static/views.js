// The DOM side: builds the sidebar, the header, the member list and message lines from
// the state. Everything people wrote goes in with textContent (never innerHTML), and
// links are real <a> elements that open in a new tab without a way back to this page.

import { linkify } from "./irc.js";

export const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const IMAGE_EXT = /\.(png|jpe?g|gif|webp|avif|bmp)(\?[^#]*)?(#.*)?$/i;

// The picture to show under a link, or null. A file on this chat server's file host
// (/files/<id>/<name>) shows its thumbnail (/thumbs/<id>; none for what is not a
// picture, and the preview goes away); another picture on this server shows itself.
// Pictures from elsewhere are links only: the page fetches nothing from other hosts.
export function previewOf(url, fileHost) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return null;
  const hosts = [location.host];
  if (fileHost) {
    try {
      hosts.push(new URL(fileHost).host);
    } catch {
      /* not a URL: ignore */
    }
  }
  if (!hosts.includes(u.host)) return null;
  const file = /^\/files\/([A-Za-z0-9_-]+)\//.exec(u.pathname);
  if (file) return `${u.origin}/thumbs/${file[1]}`;
  return IMAGE_EXT.test(u.pathname) ? u.href : null;
}

function textWithLinks(text, fileHost, onImageLoad) {
  const span = el("span", "text");
  for (const piece of linkify(text)) {
    if (piece.text !== undefined) {
      span.append(document.createTextNode(piece.text));
      continue;
    }
    const a = el("a", "", piece.url);
    a.href = piece.url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    span.append(a);
    const preview = previewOf(piece.url, fileHost);
    if (preview) {
      const wrap = el("a", "preview");
      wrap.href = piece.url;
      wrap.target = "_blank";
      wrap.rel = "noopener noreferrer";
      const img = el("img");
      img.alt = "";
      img.loading = "lazy";
      img.decoding = "async";
      img.referrerPolicy = "no-referrer";
      img.addEventListener("load", onImageLoad);
      img.addEventListener("error", () => wrap.remove());
      img.src = preview;
      wrap.append(img);
      span.append(wrap);
    }
  }
  return span;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long" });

export function dayLabel(date) {
  return dayFmt.format(date);
}

// One message line. `hooks.onNick(nick)` opens a private chat (double-click or tap).
export function lineElement(line, hooks) {
  const li = el("li", `line ${line.kind}`);
  if (line.self) li.classList.add("self");
  if (line.highlight) li.classList.add("highlight");
  if (line.pending) li.classList.add("pending");
  if (line.failed) li.classList.add("failed");
  if (line.id) li.dataset.msgid = line.id;
  if (line.stamp) li.dataset.time = line.stamp;
  const time = el("time", "time", line.time ? timeFmt.format(line.time) : "");
  if (line.time) time.dateTime = line.time.toISOString();
  li.append(time);
  if (line.kind === "privmsg" || line.kind === "notice" || line.kind === "action") {
    const nick = el("span", "nick", line.kind === "action" ? `* ${line.nick}` : line.nick);
    nick.dataset.nick = line.nick;
    nick.title = `Double-click to talk privately with ${line.nick}`;
    nick.addEventListener("dblclick", () => hooks.onNick(line.nick));
    li.append(nick);
  }
  const text = textWithLinks(line.text, hooks.fileHost(), hooks.onImageLoad);
  if (line.pending) text.append(el("span", "state", "sending…"));
  if (line.failed) text.append(el("span", "state", `not sent: ${line.failed}`));
  li.append(text);
  return li;
}

export function renderBuffers(state, onSelect) {
  const ul = $("buffers");
  ul.replaceChildren();
  for (const buf of state.list()) {
    const li = el("li");
    li.dataset.key = buf.key;
    if (buf === state.current) li.classList.add("active");
    if (buf.unread) li.classList.add("unread");
    const button = el("button");
    button.type = "button";
    const kind = buf.kind === "channel" ? "#" : buf.kind === "query" ? "@" : "⚙";
    button.append(el("span", "kind", kind));
    const label = buf.kind === "server" ? "Server" : buf.kind === "channel" ? buf.name.replace(/^#/, "") : buf.name;
    button.append(el("span", "name", label));
    if (buf.unread && buf !== state.current) {
      const badge = el("span", buf.highlight ? "badge hl" : "badge", String(buf.unread));
      badge.setAttribute("aria-label", `${buf.unread} unread`);
      button.append(badge);
    }
    button.addEventListener("click", () => onSelect(buf));
    li.append(button);
    ul.append(li);
  }
}

export function renderHeader(state) {
  const buf = state.current;
  $("buffer-name").textContent = !buf ? "" : buf.kind === "server" ? "Server messages" : buf.name;
  $("buffer-topic").textContent = buf && buf.kind === "channel" ? buf.topic : buf && buf.kind === "query" ? "Private conversation" : "";
  $("buffer-topic").title = $("buffer-topic").textContent;
  const who = state.account ? `${state.nick} (account ${state.account})` : state.nick;
  $("me").textContent = state.nick ? `signed in as ${who}` : "";
}

export function renderMembers(state, onOpen) {
  const buf = state.current;
  const ul = $("member-list");
  ul.replaceChildren();
  const chat = $("chat");
  if (!buf || buf.kind !== "channel") {
    $("members-title").textContent = "Members";
    chat.classList.add("no-members");
    return;
  }
  if (!chat.classList.contains("members-hidden")) chat.classList.remove("no-members");
  const members = buf.sortedMembers(state.prefix.chars);
  $("members-title").textContent = `Members — ${members.length}`;
  const coarse = window.matchMedia("(pointer: coarse)").matches;
  $("members-hint").textContent = `${coarse ? "Tap" : "Double-click"} a name to talk privately.`;
  for (const m of members) {
    const li = el("li");
    li.dataset.nick = m.nick;
    if (m.away) li.classList.add("away");
    li.title = m.away ? `${m.nick} is away` : `Double-click to talk privately with ${m.nick}`;
    li.append(el("span", "dot"), el("span", "prefix", m.prefix), el("span", "name", m.nick));
    if (m.account) {
      const mark = el("span", "account", "✓");
      mark.title = `logged in as ${m.account}`;
      li.append(mark);
    }
    li.addEventListener("dblclick", () => onOpen(m.nick));
    if (coarse) li.addEventListener("click", () => onOpen(m.nick));
    ul.append(li);
  }
}

// Rebuild the message list of the current conversation.
export function renderLines(state, hooks) {
  const ol = $("lines");
  ol.replaceChildren();
  const buf = state.current;
  if (!buf) return;
  let lastDay = null;
  let markerShown = false;
  for (const line of buf.lines) {
    if (line.time) {
      const day = line.time.toDateString();
      if (day !== lastDay) {
        if (lastDay !== null || buf.lines.length > 1) ol.append(el("li", "day", dayLabel(line.time)));
        lastDay = day;
      }
    }
    if (!markerShown && hooks.markerAt && line.stamp && line.stamp > hooks.markerAt && !line.self &&
        line.kind !== "info") {
      ol.append(el("li", "new-marker", "new messages"));
      markerShown = true;
    }
    ol.append(lineElement(line, hooks));
  }
  $("history-note").textContent = buf.historyDone ? "" : buf.loadingHistory ? "Loading older messages…" : "";
}

export function appendLine(state, line, hooks) {
  const ol = $("lines");
  const last = state.current.lines[state.current.lines.length - 2];
  if (line.time && (!last || !last.time || last.time.toDateString() !== line.time.toDateString())) {
    ol.append(el("li", "day", dayLabel(line.time)));
  }
  ol.append(lineElement(line, hooks));
}

export function setStatus(text) {
  const s = $("status");
  s.textContent = text || "";
  s.hidden = !text;
}

export function renderSearchResults(results, onPick) {
  const ol = $("search-results");
  ol.replaceChildren();
  ol.hidden = false;
  if (!results.length) {
    ol.append(el("li", "muted", "Nothing found."));
    return;
  }
  for (const r of results) {
    const li = el("li");
    const head = el("div", "muted", `${r.target} · ${r.nick} · ${r.time.toLocaleString()}`);
    li.append(head, el("div", "", r.text));
    li.addEventListener("click", () => onPick(r));
    ol.append(li);
  }
}

export function applyTheme(theme) {
  const dark = theme === "dark" || (theme !== "light" && window.matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
}
