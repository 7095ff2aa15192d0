// Slash commands typed in the message box, turned into what to do. Pure: the app
// carries out the result ({send, say, open, part, quit, local, error}).

export const HELP =
  "Commands: /join #room, /part [reason], /msg nick text, /me action, /nick name, " +
  "/topic [text], /away [message], /back, /query nick, /quit [message], /help";

// ctx: {target: the current conversation's name or null, isChannel(name) -> bool}
export function parseCommand(input, ctx) {
  if (!input.startsWith("/") || input.startsWith("//")) {
    const text = input.startsWith("//") ? input.slice(1) : input;
    if (!ctx.target) return { error: "Pick a room or a person first." };
    return { say: { target: ctx.target, text } };
  }
  const space = input.indexOf(" ");
  const name = (space < 0 ? input.slice(1) : input.slice(1, space)).toLowerCase();
  const rest = space < 0 ? "" : input.slice(space + 1).trim();
  const words = rest.split(/\s+/).filter(Boolean);
  switch (name) {
    case "join":
    case "j": {
      if (!words.length) return { error: "Usage: /join #room" };
      let room = words[0];
      if (!ctx.isChannel(room)) room = "#" + room;
      return { send: [["JOIN", room, ...words.slice(1, 2)]], open: room };
    }
    case "part":
    case "leave": {
      let room = ctx.target;
      let reason = rest;
      if (words.length && ctx.isChannel(words[0])) {
        room = words[0];
        reason = words.slice(1).join(" ");
      }
      if (!room || !ctx.isChannel(room)) return { error: "Usage: /part [#room] [reason]" };
      return { send: [reason ? ["PART", room, reason] : ["PART", room]], part: room };
    }
    case "msg":
    case "query": {
      if (!words.length) return { error: `Usage: /${name} nick [text]` };
      const target = words[0];
      const text = rest.slice(rest.indexOf(target) + target.length).replace(/^\s/, "");
      const out = { open: target };
      if (text) out.say = { target, text };
      else if (name === "msg") return { error: "Usage: /msg nick text" };
      return out;
    }
    case "me": {
      if (!ctx.target) return { error: "Pick a room or a person first." };
      return { say: { target: ctx.target, text: `\x01ACTION ${rest}\x01` } };
    }
    case "nick":
      if (words.length !== 1) return { error: "Usage: /nick newname" };
      return { send: [["NICK", words[0]]] };
    case "topic":
      if (!ctx.target || !ctx.isChannel(ctx.target)) return { error: "/topic works in a room." };
      return { send: [rest ? ["TOPIC", ctx.target, rest] : ["TOPIC", ctx.target]] };
    case "away":
      return { send: [rest ? ["AWAY", rest] : ["AWAY"]], local: rest ? `You are away: ${rest}` : "You are back." };
    case "back":
      return { send: [["AWAY"]], local: "You are back." };
    case "quit":
      return { quit: rest || "Leaving" };
    case "help":
      return { local: HELP };
    default:
      return { error: `Unknown command /${name}. ${HELP}` };
  }
}
