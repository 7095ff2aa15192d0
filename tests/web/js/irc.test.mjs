// The browser client's IRC parser against the shared vectors (../shared/irc-parser-tests),
// the same ones the Python parser passes. tests/web/test_js.py converts the YAML to JSON
// in CHINWAG_VECTORS_JSON and runs this file with `node --test`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import {
  formatMessage,
  linkify,
  mentions,
  parseMessage,
  parsePrefix,
  splitText,
  stripFormatting,
} from "../../../src/chinwag/web/static/irc.js";

const dir = process.env.CHINWAG_VECTORS_JSON;
assert.ok(dir, "CHINWAG_VECTORS_JSON must name the converted vectors (run through pytest)");
const load = (name) => JSON.parse(readFileSync(join(dir, name + ".json"), "utf8")).tests;

test("msg-split vectors", () => {
  const cases = load("msg-split");
  assert.ok(cases.length > 20);
  for (const c of cases) {
    const m = parseMessage(c.input);
    const a = c.atoms;
    assert.deepEqual(m.tags, a.tags || {}, c.input);
    assert.equal(m.source, a.source ?? null, c.input);
    assert.equal(m.command, a.verb, c.input);
    assert.deepEqual(m.params, a.params || [], c.input);
    // With a line ending, as it comes off a socket.
    assert.deepEqual(parseMessage(c.input + "\r\n"), m, c.input);
  }
});

test("msg-join vectors", () => {
  const cases = load("msg-join");
  assert.ok(cases.length > 10);
  for (const c of cases) {
    const a = c.atoms;
    const msg = { tags: a.tags || {}, source: a.source, command: a.verb, params: a.params || [] };
    const line = formatMessage(msg);
    assert.ok(c.matches.includes(line), `${c.desc}: ${line}`);
    const back = parseMessage(line);
    assert.deepEqual(back.params, msg.params, c.desc);
    assert.deepEqual(back.tags, msg.tags, c.desc);
  }
});

test("userhost-split vectors", () => {
  const cases = load("userhost-split");
  assert.ok(cases.length > 3);
  for (const c of cases) {
    const p = parsePrefix(c.source);
    assert.equal(p.nick, c.atoms.nick || "", c.source);
    assert.equal(p.user, c.atoms.user || "", c.source);
    assert.equal(p.host, c.atoms.host || "", c.source);
  }
});

test("a line without a command, or with a CR inside, is refused", () => {
  for (const bad of ["", "   ", "@a=b", ":src", "@a=b :src", "PRIVMSG #a :x\rQUIT"]) {
    assert.throws(() => parseMessage(bad), bad);
  }
});

test("trailing form on request keeps a one-word text a text", () => {
  const line = formatMessage({ command: "PRIVMSG", params: ["#a", "hi"] }, { trailing: true });
  assert.equal(line, "PRIVMSG #a :hi");
});

test("links: text and urls apart, closing punctuation left out", () => {
  assert.deepEqual(linkify("see https://a.example/x?y=1. ok"), [
    { text: "see " },
    { url: "https://a.example/x?y=1" },
    { text: ". ok" },
  ]);
  assert.deepEqual(linkify("<script>alert(1)</script>"), [{ text: "<script>alert(1)</script>" }]);
  assert.deepEqual(linkify("javascript:alert(1)"), [{ text: "javascript:alert(1)" }]);
});

test("mentions match whole nicks only", () => {
  assert.ok(mentions("hi alice!", "Alice"));
  assert.ok(!mentions("malice aforethought", "alice"));
  assert.ok(mentions("[x]: hey", "[x]"));
});

test("formatting codes are dropped", () => {
  assert.equal(stripFormatting("\x02bold\x02 \x0304,12red\x03 plain\x0f"), "bold red plain");
});

test("long text splits within the byte budget, not inside a character", () => {
  const text = "é".repeat(300) + " " + "word ".repeat(100);
  const parts = splitText(text, 200);
  assert.equal(parts.join(""), text);
  for (const p of parts) assert.ok(new TextEncoder().encode(p).length <= 200);
});
