// The IRC protocol for the browser client: parse and serialize lines, split sources,
// fold names, read ISUPPORT, CTCP ACTION and formatting codes, find links in text.
//
// No DOM, no network: every function here is pure, so Node's test runner checks it
// against the same vectors as the Python parser (tests/web/js/).

const TAG_UNESCAPE = { ":": ";", s: " ", "\\": "\\", r: "\r", n: "\n" };
const TAG_ESCAPE = { ";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n" };

export function unescapeTag(value) {
  if (!value.includes("\\")) return value;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === "\\") {
      i++;
      if (i < value.length) out += TAG_UNESCAPE[value[i]] ?? value[i];
    } else {
      out += ch;
    }
  }
  return out;
}

export function escapeTag(value) {
  return value.replace(/[; \\\r\n]/g, (ch) => TAG_ESCAPE[ch]);
}

export function parseTags(raw) {
  const tags = {};
  for (const item of raw.split(";")) {
    if (!item) continue;
    const eq = item.indexOf("=");
    const key = eq < 0 ? item : item.slice(0, eq);
    if (!key) throw new Error("empty tag key");
    tags[key] = eq < 0 ? "" : unescapeTag(item.slice(eq + 1));
  }
  return tags;
}

export function formatTags(tags) {
  return Object.entries(tags)
    .map(([k, v]) => (v ? `${k}=${escapeTag(String(v))}` : k))
    .join(";");
}

// One line (CR/LF optional) -> {tags, source, command, params}. Throws on a line with
// no command; several spaces between atoms count as one, as RFC 1459 allows.
export function parseMessage(line) {
  let text = line.replace(/[\r\n]+$/, "");
  if (/[\r\n]/.test(text)) throw new Error("CR or LF inside a line");
  text = text.replace(/^ +/, "");
  let tags = {};
  if (text.startsWith("@")) {
    const sp = text.indexOf(" ");
    if (sp < 0) throw new Error("tags with no command");
    tags = parseTags(text.slice(1, sp));
    text = text.slice(sp + 1).replace(/^ +/, "");
  }
  let source = null;
  if (text.startsWith(":")) {
    const sp = text.indexOf(" ");
    if (sp < 0) throw new Error("source with no command");
    source = text.slice(1, sp) || null;
    text = text.slice(sp + 1).replace(/^ +/, "");
  }
  const colon = text.indexOf(" :");
  const middle = colon < 0 ? text : text.slice(0, colon);
  const words = middle.split(" ").filter((w) => w);
  if (!words.length) throw new Error("no command");
  const params = words.slice(1);
  if (colon >= 0) params.push(text.slice(colon + 2));
  return { tags, source, command: words[0], params };
}

// The inverse: the last parameter goes in trailing form when it must (empty, has a
// space, starts with ':'), or always when `trailing` is set (text-carrying commands).
export function formatMessage(msg, { trailing = false } = {}) {
  const out = [];
  if (msg.tags && Object.keys(msg.tags).length) out.push("@" + formatTags(msg.tags));
  if (msg.source) out.push(":" + msg.source);
  out.push(msg.command);
  const params = msg.params || [];
  params.forEach((p, i) => {
    const last = i === params.length - 1;
    if (last && (trailing || p === "" || p.includes(" ") || p.startsWith(":"))) {
      out.push(":" + p);
    } else {
      out.push(p);
    }
  });
  return out.join(" ");
}

// "nick!user@host" -> {nick, user, host}; absent parts are "".
export function parsePrefix(source) {
  if (!source) return { nick: "", user: "", host: "" };
  let nick = source;
  let user = "";
  let host = "";
  const at = nick.indexOf("@");
  if (at >= 0) {
    host = nick.slice(at + 1);
    nick = nick.slice(0, at);
  }
  const bang = nick.indexOf("!");
  if (bang >= 0) {
    user = nick.slice(bang + 1);
    nick = nick.slice(0, bang);
  }
  return { nick, user, host };
}

// Case folding as the server announces in ISUPPORT CASEMAPPING.
export function folder(casemapping) {
  if (casemapping === "ascii") return (s) => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  const upper = casemapping === "strict-rfc1459" ? /[A-Z[\]\\]/g : /[A-Z[\]\\~]/g;
  const map = { "[": "{", "]": "}", "\\": "|", "~": "^" };
  return (s) => s.replace(upper, (c) => map[c] ?? c.toLowerCase());
}

// ISUPPORT (005) parameters -> {TOKEN: value}; "-TOKEN" deletes, a bare TOKEN is "".
export function parseISupport(params, into = {}) {
  for (const item of params.slice(1, -1)) {
    if (item.startsWith("-")) {
      delete into[item.slice(1).toUpperCase()];
      continue;
    }
    const eq = item.indexOf("=");
    const key = (eq < 0 ? item : item.slice(0, eq)).toUpperCase();
    into[key] = eq < 0 ? "" : item.slice(eq + 1).replace(/\\x([0-9a-fA-F]{2})/g, (_, h) =>
      String.fromCharCode(parseInt(h, 16)),
    );
  }
  return into;
}

// "CAP * LS :a b=c" tokens -> Map(name -> value).
export function parseCaps(text) {
  const caps = new Map();
  for (const token of text.split(" ")) {
    if (!token) continue;
    const eq = token.indexOf("=");
    caps.set(eq < 0 ? token : token.slice(0, eq), eq < 0 ? "" : token.slice(eq + 1));
  }
  return caps;
}

export function isChannel(name, chantypes = "#&") {
  return name.length > 0 && chantypes.includes(name[0]);
}

// "\x01ACTION waves\x01" -> {action: true, text: "waves"}.
export function parseCtcpAction(text) {
  if (text.startsWith("\x01ACTION ") || text === "\x01ACTION\x01") {
    return { action: true, text: text.slice(8).replace(/\x01$/, "") };
  }
  return { action: false, text };
}

// Bold, colour, italics and the other mIRC codes are dropped: text stays text.
export function stripFormatting(text) {
  return text.replace(/\x03(\d{1,2}(,\d{1,2})?)?|\x04[0-9a-fA-F]{6}(,[0-9a-fA-F]{6})?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g, "");
}

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;

// Text -> [{text}] and [{url}] pieces, with trailing punctuation left out of links.
export function linkify(text) {
  const pieces = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    let url = m[0];
    while (/[.,;:!?)\]}]$/.test(url) && !(url.endsWith(")") && url.includes("("))) {
      url = url.slice(0, -1);
    }
    if (m.index > last) pieces.push({ text: text.slice(last, m.index) });
    pieces.push({ url });
    last = m.index + url.length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last) });
  return pieces;
}

// Does `text` mention `nick` as a word (case-insensitively)?
export function mentions(text, nick) {
  if (!nick) return false;
  const esc = nick.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\w\\-\\[\\]\\\\\`^{}|])${esc}($|[^\\w\\-\\[\\]\\\\\`^{}|])`, "i").test(text);
}

// The prefix characters a member holds, from a NAMES entry such as "@+alice".
export function splitNamesEntry(entry, prefixChars = "@+") {
  let i = 0;
  while (i < entry.length && prefixChars.includes(entry[i])) i++;
  return { prefix: entry.slice(0, i), ...parsePrefix(entry.slice(i)) };
}

// A PREFIX=(ov)@+ token -> {modes: "ov", chars: "@+"}.
export function parsePrefixToken(token) {
  const m = /^\(([^)]*)\)(.*)$/.exec(token || "");
  return m ? { modes: m[1], chars: m[2] } : { modes: "ov", chars: "@+" };
}

// Base64 of a UTF-8 string (SASL PLAIN), without btoa's Latin-1 limit.
export function base64Utf8(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

// Split a long text into pieces that fit in one line of `room` bytes, at spaces where
// possible and never inside a UTF-8 sequence.
export function splitText(text, room) {
  const enc = new TextEncoder();
  const pieces = [];
  let rest = text;
  while (enc.encode(rest).length > room) {
    let cut = 0;
    let bytes = 0;
    for (const ch of rest) {
      const n = enc.encode(ch).length;
      if (bytes + n > room) break;
      bytes += n;
      cut += ch.length;
    }
    const space = rest.lastIndexOf(" ", cut - 1);
    if (space > cut / 2) cut = space + 1;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  pieces.push(rest);
  return pieces;
}
