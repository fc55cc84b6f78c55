// wf-log report, search: the text of every node (collapsed or not built yet) is searched in
// the data, and filters on agent, status, level and event narrow it; a hit is shown by
// opening the tree down to it. Each node's text is gathered once, at the first search.

var hits = [], hitAt = -1, SHOWN_HITS = 300;

function gather(value, out, depth) {
  if (value === null || value === undefined) return;
  if (typeof value !== "object") { out.push(String(value)); return; }
  if (depth > 20) return;
  if (Array.isArray(value)) { value.forEach(function (v) { gather(v, out, depth + 1); }); return; }
  Object.keys(value).forEach(function (k) { out.push(k); gather(value[k], out, depth + 1); });
}

// A node's own text: its fields, not its children's (they are nodes of their own).
function ownText(node) {
  var out = [];
  gather(node.kind === "entry" ? node.scope : withoutKeys(node.scope, CHILD_LISTS), out, 0);
  return out.join("\n");
}

function textOf(node) {
  if (node.text === null) node.text = ownText(node).toLowerCase();
  return node.text;
}

function filterValue(name) {
  return document.getElementById("f-" + name).value;
}

function matches(node, query, wanted) {
  var s = node.scope;
  if (wanted.agent && node.agent !== wanted.agent) return false;
  if (wanted.status && (node.kind === "entry" || s.status !== wanted.status)) return false;
  if (wanted.level && (node.kind !== "entry" || s.level !== wanted.level)) return false;
  if (wanted.event && (node.kind !== "entry" || s.event !== wanted.event)) return false;
  return !query || textOf(node).indexOf(query) >= 0;
}

function snippet(node, query) {
  if (!query) return node.kind === "entry" ? entrySummary(node.scope) : "";
  var text = ownText(node), at = text.toLowerCase().indexOf(query);
  if (at < 0) return "";
  return (at > 40 ? "…" : "") + text.slice(Math.max(0, at - 40), at + query.length + 60).replace(/\s+/g, " ");
}

function runSearch() {
  var query = document.getElementById("search").value.trim().toLowerCase();
  var wanted = { agent: filterValue("agent"), status: filterValue("status"), level: filterValue("level"), event: filterValue("event") };
  var any = query || wanted.agent || wanted.status || wanted.level || wanted.event;
  hits = any ? order.filter(function (id) { return matches(nodes[id], query, wanted); }) : [];
  hitAt = -1;
  var list = document.getElementById("results");
  list.replaceChildren();
  list.hidden = !any;
  document.getElementById("search-count").textContent = any ? hits.length + " found" : "";
  hits.slice(0, SHOWN_HITS).forEach(function (id, i) {
    list.appendChild(listItem(id, snippet(nodes[id], query), function () { goToHit(i); }));
  });
  if (hits.length > SHOWN_HITS) list.appendChild(el("div", "more-hits", (hits.length - SHOWN_HITS) + " more: narrow the search"));
  document.body.dataset.searched = String(hits.length);
}

function listItem(id, extra, onClick) {
  var node = nodes[id];
  var item = el("button", "hit" + (node.failed || node.scope.status === "error" ? " failed" : ""));
  item.type = "button";
  item.dataset.id = id;
  item.appendChild(el("span", "kind", node.kind === "entry" ? node.scope.level || "event" : node.kind));
  item.appendChild(el("span", "where", pathOf(id)));
  if (extra) item.appendChild(el("span", "snippet", extra));
  item.addEventListener("click", onClick);
  return item;
}

function goToHit(i) {
  if (!hits.length) return;
  hitAt = (i + hits.length) % hits.length;
  document.getElementById("search-count").textContent = (hitAt + 1) + " of " + hits.length;
  reveal(hits[hitAt]);
}

function errorList() {
  var list = document.getElementById("errors");
  errorIds.forEach(function (id) {
    var e = nodes[id].scope;
    var what = e.exception ? e.exception.type + ": " + e.exception.message : e.event;
    list.appendChild(listItem(id, what, function () { reveal(id); }));
  });
  var toggle = document.getElementById("errors-toggle");
  toggle.textContent = "✖ " + errorIds.length + " error" + (errorIds.length === 1 ? "" : "s");
  toggle.disabled = !errorIds.length;
  toggle.addEventListener("click", function () { list.hidden = !list.hidden; });
}

function fillFilter(name) {
  var select = document.getElementById("f-" + name);
  Object.keys(facets[name]).sort().forEach(function (value) {
    var option = el("option", "", value);
    option.value = value;
    select.appendChild(option);
  });
  select.addEventListener("change", runSearch);
}

function searchBox() {
  ["agent", "status", "level", "event"].forEach(fillFilter);
  var box = document.getElementById("search"), timer = null;
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { timer = null; runSearch(); }, 120);
  });
  box.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    if (timer !== null) { clearTimeout(timer); timer = null; runSearch(); }
    goToHit(event.shiftKey ? hitAt - 1 : hitAt + 1);
  });
  document.getElementById("hit-next").addEventListener("click", function () { goToHit(hitAt + 1); });
  document.getElementById("hit-prev").addEventListener("click", function () { goToHit(hitAt - 1); });
  errorList();
}
