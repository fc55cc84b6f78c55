// wf-log report, tree and detail pane: a collapsible tree whose children are built the first
// time a node opens (search works on the model, so it finds what is not built yet), and a
// pane that shows everything about the selected node.

var selected = null;

function usageCells(r, node) {
  var s = node.scope;
  r.appendChild(el("span", "status " + statusClass(s.status), s.status));
  r.appendChild(el("span", "dur", duration(s.duration_ms)));
  if (s.usage.calls) r.appendChild(el("span", "tok", tokens(s.usage)));
  var cost = money(s.usage.cost, s.usage.unpriced_calls);
  if (cost) r.appendChild(el("span", "cost" + (s.usage.unpriced_calls ? " unpriced" : ""), cost));
  if (s.error_count) r.appendChild(el("span", "errs", "✖ " + s.error_count));
  if (!s.complete && s.status !== "incomplete") r.appendChild(el("span", "errs", "⚠ events missing"));
}

function entrySummary(e) {
  var summary = [];
  ["model", "tool", "input_tokens", "output_tokens", "duration_ms"].forEach(function (k) {
    if (e[k] !== undefined) summary.push(k + "=" + show(e[k]));
  });
  if (e.cost !== undefined) summary.push("cost=" + money(e.cost));
  else if (isCall(e)) summary.push("unpriced");
  if (e.exception) summary.push(e.exception.type + ": " + e.exception.message);
  return summary.join(" ");
}

function rowOf(node) {
  var r = el("div", "row");
  r.dataset.id = node.id;
  r.appendChild(el("span", "toggle", "▸"));
  var kind = node.kind === "entry" ? (node.failed ? "error" : node.scope.level || "event") : node.kind;
  r.appendChild(el("span", "kind", kind));
  r.appendChild(el("span", "name", nameOf(node)));
  if (node.kind === "entry") r.appendChild(el("span", "summary", entrySummary(node.scope)));
  else usageCells(r, node);
  return r;
}

function fill(kids, node) {
  var inline = conversationOf(node);
  if (inline) kids.appendChild(inline);
  if (node.kind === "entry") {
    kids.appendChild(labelled("event", withoutKeys(node.scope, ["exception"])));
    if (node.scope.exception) kids.appendChild(labelled("traceback", node.scope.exception.traceback, "error"));
    return;
  }
  node.entries.concat(node.children).forEach(function (id) { kids.appendChild(treeNode(id)); });
}

// A node of the tree; its children are built the first time it opens.
function treeNode(id) {
  var node = nodes[id];
  var cls = node.kind === "entry" ? "entry" + (node.failed ? " failed" : "") : "scope " + node.kind;
  var n = el("div", "node " + cls);
  n.setAttribute("role", "treeitem");
  n.setAttribute("aria-expanded", "false");
  n.dataset.id = id;
  var head = rowOf(node), kids = el("div", "children"), built = false;
  kids.hidden = true;
  n.appendChild(head);
  n.appendChild(kids);
  n.open = function (wanted) {
    var opening = wanted === undefined ? kids.hidden : wanted;
    if (opening && !built) { built = true; fill(kids, node); }
    kids.hidden = !opening;
    n.setAttribute("aria-expanded", String(opening));
    head.firstChild.textContent = opening ? "▾" : "▸";
  };
  head.addEventListener("click", function () { n.open(); select(id); });
  node.dom = n;
  return n;
}

// Open the tree down to *id*, select it and bring it into view.
function reveal(id) {
  ancestors(id).forEach(function (p) { nodes[p].dom.open(true); });
  var target = nodes[id].dom;
  target.scrollIntoView({ block: "center" });
  target.classList.remove("flash");
  void target.offsetWidth; // restart the animation
  target.classList.add("flash");
  select(id);
}

function withoutKeys(value, keys) {
  var rest = {};
  Object.keys(value).forEach(function (k) { if (keys.indexOf(k) < 0) rest[k] = value[k]; });
  return rest;
}

// Where a call's cost came from: "table (2025-10-20)", "user prices", "provider".
function costSource(s) {
  if (typeof s.cost_source !== "string") return undefined;
  if (s.cost_source === "table" && typeof s.cost_table_date === "string") return "table (" + s.cost_table_date + ")";
  return s.cost_source === "user" ? "user prices" : s.cost_source;
}

function facts(node) {
  var s = node.scope, rows = [];
  if (node.kind === "entry") {
    rows.push(["level", s.level], ["time", s.timestamp], ["model", s.model], ["tool", s.tool]);
    rows.push(["tokens", isCall(s) ? count(s.input_tokens || 0) + " in → " + count(s.output_tokens || 0) + " out" : undefined]);
    rows.push(["cost", isCall(s) ? money(s.cost, typeof s.cost === "number" ? 0 : 1) : undefined]);
    rows.push(["cost source", costSource(s)]);
    rows.push(["duration", duration(s.duration_ms)]);
  } else {
    rows.push(["status", s.status], ["duration", duration(s.duration_ms)], ["start", s.start_time], ["end", s.end_time]);
    rows.push(["calls", count(s.usage.calls)], ["tokens", count(s.usage.input_tokens) + " in → " + count(s.usage.output_tokens) + " out"]);
    rows.push(["cost", money(s.usage.cost, s.usage.unpriced_calls) || "none logged"], ["errors", s.error_count]);
    var all = s.usage.total;
    if (all) rows.push(["with sub-workflows", plural(all.calls, "call") + ", " + count(all.input_tokens) + " in → " + count(all.output_tokens) + " out" + (all.cost !== undefined ? ", " + money(all.cost) : "")]);
    if (!s.complete) rows.push(["complete", "no: events are missing"]);
    rows.push(["id", s.id]);
  }
  var dl = el("dl", "facts");
  rows.forEach(function (pair) {
    if (pair[1] === undefined || pair[1] === null || pair[1] === "") return;
    dl.appendChild(el("dt", "", pair[0]));
    dl.appendChild(el("dd", "", pair[1]));
  });
  return dl;
}

var SHOWN_APART = CHILD_LISTS.concat(["input", "output", "metadata", "resources"]);

function detailOf(node) {
  var box = el("div", "pane-body"), s = node.scope;
  var crumbs = el("div", "crumbs");
  ancestors(node.id).forEach(function (p) {
    var a = el("button", "crumb", nameOf(nodes[p]));
    a.type = "button";
    a.addEventListener("click", function () { reveal(p); });
    crumbs.appendChild(a);
  });
  box.appendChild(crumbs);
  box.appendChild(el("h3", "", (node.kind === "entry" ? "" : node.kind + " ") + nameOf(node)));
  box.appendChild(facts(node));
  var talk = conversationOf(node);
  if (talk) box.appendChild(talk);
  if (node.kind === "entry") {
    if (s.exception) box.appendChild(labelled(s.exception.type + ": " + s.exception.message, s.exception.traceback, "error"));
    box.appendChild(labelled("fields", withoutKeys(s, ["exception"])));
    return box;
  }
  if (Object.keys(s.metadata).length) box.appendChild(labelled("metadata", s.metadata));
  if (s.resources.length) box.appendChild(labelled("resources", s.resources));
  box.appendChild(labelled("scope", withoutKeys(s, SHOWN_APART)));
  return box;
}

function select(id) {
  if (selected && nodes[selected].dom) nodes[selected].dom.classList.remove("selected");
  selected = id;
  var node = nodes[id];
  if (node.dom) node.dom.classList.add("selected");
  var pane = document.getElementById("detail");
  pane.replaceChildren(detailOf(node));
  pane.scrollTop = 0;
  pane.dataset.id = id;
}
