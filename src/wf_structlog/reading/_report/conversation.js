// wf-log report, conversation: a prompt and its reply as messages (system, user, assistant,
// tool), whatever shape the SDK logged: a plain string, OpenAI's `messages` list (with
// `tool_calls` and `tool` replies), Anthropic's `system` + `messages` with content blocks,
// or a whole response object (`choices`, or a `content` list).

function isMessage(value) {
  return value !== null && typeof value === "object" && typeof value.role === "string";
}

// *value* as a list of {role, content, name?, tool_calls?}; *role* for a bare value.
function messagesOf(value, role) {
  if (value === undefined || value === null || value === "") return [];
  if (typeof value === "string") return [{ role: role, content: value }];
  if (Array.isArray(value)) {
    if (value.length && value.every(isMessage)) return value;
    return [{ role: role, content: value }];
  }
  if (typeof value === "object") {
    if (Array.isArray(value.messages)) return messagesOf(value.system, "system").concat(value.messages);
    if (Array.isArray(value.choices) && value.choices.length && value.choices[0].message) {
      return value.choices.map(function (choice) { return choice.message; });
    }
    if (isMessage(value)) return [value];
    if (Array.isArray(value.content)) return [{ role: role, content: value.content }];
  }
  return [{ role: role, content: value }];
}

// One content block as {kind, title, text}.
function block(part) {
  if (typeof part === "string") return { kind: "text", title: "", text: part };
  if (part === null || typeof part !== "object") return { kind: "json", title: "", text: show(part) };
  var type = part.type;
  if (typeof part.text === "string") return { kind: "text", title: "", text: part.text };
  if (type === "tool_use") return { kind: "call", title: "→ " + part.name, text: show(part.input) };
  if (type === "tool_result") return { kind: "result", title: "← tool result", text: flatText(part.content) };
  if (/image/.test(String(type))) return { kind: "media", title: "[" + type + "]", text: "" };
  return { kind: "json", title: String(type || ""), text: show(part) };
}

function flatText(content) {
  if (Array.isArray(content)) return content.map(function (p) { return block(p).text; }).join("\n");
  return show(content === undefined ? "" : content);
}

function blocksOf(message) {
  var content = message.content;
  var parts = Array.isArray(content) ? content.map(block)
    : content === undefined || content === null ? [] : [block(content)];
  (message.tool_calls || []).forEach(function (call) {
    var fn = call.function || {};
    var args = fn.arguments;
    try { args = typeof args === "string" ? JSON.stringify(JSON.parse(args), null, 2) : show(args); } catch (e) { /* shown as logged */ }
    parts.push({ kind: "call", title: "→ " + fn.name, text: String(args) });
  });
  return parts;
}

function messageBox(message) {
  var role = String(message.role);
  var box = el("div", "msg role-" + (/^(system|user|assistant|tool|developer)$/.test(role) ? role : "other"));
  var who = role + (message.name ? " · " + message.name : "") + (message.tool_call_id ? " · " + message.tool_call_id : "");
  box.appendChild(el("div", "who", who));
  blocksOf(message).forEach(function (part) {
    if (part.title) box.appendChild(el("div", "part-title " + part.kind, part.title));
    if (part.text) box.appendChild(folded(part.text, part.kind));
  });
  return box;
}

// The conversation of *input* (the prompt, with an optional *system*) and *output* (the
// reply), or null when there is nothing to show.
function conversation(system, input, output) {
  var messages = messagesOf(system, "system").concat(messagesOf(input, "user"), messagesOf(output, "assistant"));
  if (!messages.length) return null;
  var box = el("div", "detail conversation");
  messages.forEach(function (m) { box.appendChild(messageBox(m)); });
  return box;
}

function conversationOf(node) {
  var s = node.scope;
  if (node.kind === "interaction") return conversation(undefined, s.input, s.output);
  if (node.kind !== "entry") return null;
  var input = s.messages !== undefined ? s.messages : s.prompt !== undefined ? s.prompt : s.input;
  var output = s.response !== undefined ? s.response : s.completion !== undefined ? s.completion : s.output;
  return conversation(s.system, input, output);
}
