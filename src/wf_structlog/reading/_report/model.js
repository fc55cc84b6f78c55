// wf-log report, model: every scope and every logged entry of every run (sub-workflows
// included, under the interaction that opened them) as one node, indexed by id, in
// document order. Views and search work on these nodes, never on the DOM.

var nodes = {}; // id -> node
var order = []; // ids in document order
var errorIds = []; // entries logged as errors
var facets = { agent: {}, status: {}, level: {}, event: {} };
var CHILD_LISTS = ["iterations", "interactions", "actions", "events", "errors", "workflows"];

function addNode(node) {
  nodes[node.id] = node;
  order.push(node.id);
  return node;
}

function scopeNode(kind, scope, parent, agent) {
  facets.status[scope.status] = true;
  if (agent !== null) facets.agent[agent] = true;
  return addNode({
    id: scope.id, kind: kind, scope: scope, parent: parent, agent: agent,
    start: time(scope.start_time), end: time(scope.end_time),
    children: [], entries: [], text: null, dom: null,
  });
}

// A call: it logged tokens or a cost, or said it reported no usage (unpriced all the same).
function isCall(entry) {
  return entry.input_tokens !== undefined || entry.output_tokens !== undefined ||
    entry.cost !== undefined || entry.usage_missing === true;
}

function byTime(a, b) {
  var x = String(a.entry.timestamp || ""), y = String(b.entry.timestamp || "");
  return x < y ? -1 : x > y ? 1 : 0;
}

// The entries of a scope (its actions or events, and its errors), in time order; each list
// is in time order already, so only a scope with errors needs sorting.
function entriesOf(node, list, errors) {
  var all = list.map(function (e) { return { entry: e, failed: false }; });
  if (errors.length) {
    all = all.concat(errors.map(function (e) { return { entry: e, failed: true }; }));
    all.sort(byTime);
  }
  all.forEach(function (item, i) {
    var e = item.entry;
    var n = addNode({
      id: node.id + "/" + i, kind: "entry", scope: e, parent: node.id, agent: node.agent,
      failed: item.failed, children: [], entries: [], text: null, dom: null,
    });
    node.entries.push(n.id);
    facets.event[e.event] = true;
    if (e.level) facets.level[e.level] = true;
    if (item.failed) errorIds.push(n.id);
  });
}

function indexWorkflow(doc, parent) {
  var wf = scopeNode("workflow", doc, parent, null);
  entriesOf(wf, doc.events, doc.errors);
  doc.iterations.forEach(function (it) {
    var itNode = scopeNode("iteration", it, wf.id, null);
    wf.children.push(it.id);
    entriesOf(itNode, it.events, it.errors);
    var made = it.interactions.map(function (ia) {
      return scopeNode("interaction", ia, itNode.id, String(ia.agent));
    });
    // A second pass: an interaction may name as its parent one that comes after it.
    made.forEach(function (n) {
      var ia = n.scope, outer = nodes[ia.parent_interaction_id];
      if (outer && outer.kind === "interaction" && outer !== n) n.parent = outer.id;
      nodes[n.parent].children.push(n.id);
      entriesOf(n, ia.actions, ia.errors);
      (ia.workflows || []).forEach(function (sub) { n.children.push(indexWorkflow(sub, n.id).id); });
    });
  });
  return wf;
}

function ancestors(id) {
  var path = [];
  for (var at = nodes[id].parent; at; at = nodes[at].parent) path.unshift(at);
  return path;
}

function nameOf(node) {
  var s = node.scope;
  if (node.kind === "workflow") return String(s.name) + " " + String(s.id).slice(0, 8);
  if (node.kind === "iteration") return "#" + s.number;
  if (node.kind === "interaction") return String(s.agent);
  return String(s.event);
}

// The run a node belongs to and its place in it: "research › #2 › critic".
function pathOf(id) {
  return ancestors(id).concat([id]).map(function (p) { return nameOf(nodes[p]); }).join(" › ");
}
