// wf-log report, the page: header, waterfall, tree, stats and the hover card, built from the
// JSON in #wf-data. The other parts (base, model, conversation, tree, waterfall, search) come
// before this one in the same script.

var data = JSON.parse(document.getElementById("wf-data").textContent);

function header() {
  document.title = visible(data.title);
  document.getElementById("title").textContent = visible(data.title);
  var t = data.stats.total;
  var all = data.index.runs, inside = data.stats.runs - all;
  var parts = [
    plural(all, "run") + (inside ? " (+" + plural(inside, "sub-workflow") + ")" : "") +
      (data.documents.length < all ? ", " + count(data.documents.length) + " shown in full" : "") + ": " +
      grouped(data.documents.map(function (d) { return d.name + " " + d.status; })).join(", "),
    plural(t.interactions, "interaction"), plural(t.calls, "call"), plural(t.errors, "error"),
    count(t.input_tokens) + " → " + count(t.output_tokens) + " tokens",
  ];
  var cost = money(t.cost === null ? undefined : t.cost, t.unpriced_calls);
  if (cost) parts.push(cost);
  document.getElementById("summary").textContent = visible(parts.join(" · "));
}

// "research ok ×20, research error": each text once, in first-seen order, with its count.
function grouped(texts) {
  var counts = new Map();
  texts.forEach(function (t) { counts.set(t, (counts.get(t) || 0) + 1); });
  return Array.from(counts, function (pair) { return pair[1] > 1 ? pair[0] + " ×" + count(pair[1]) : pair[0]; });
}

function table(caption, first, rows, extra) {
  var t = el("table");
  t.appendChild(el("caption", "", caption));
  var columns = [first].concat(extra, ["calls", "errors", "tokens in", "tokens out", "cost", "p50", "p95", "max"]);
  var head = el("tr");
  columns.forEach(function (c) { head.appendChild(el("th", "", c)); });
  t.appendChild(head);
  rows.forEach(function (r) {
    var tr = el("tr", r.errors ? "has-errors" : "");
    var lat = r.latency_ms, name = r[first] === null ? "(none)" : r[first];
    var cells = [name].concat(
      extra.map(function (k) { return r[k]; }),
      [r.calls, r.errors, r.input_tokens, r.output_tokens].map(count),
      [money(r.cost === null ? undefined : r.cost, r.unpriced_calls)],
      ["p50", "p95", "max"].map(function (p) { return lat[p] === null ? "" : duration(lat[p]); }));
    cells.forEach(function (c) { tr.appendChild(el("td", "", c)); });
    t.appendChild(tr);
  });
  return t;
}

function tipText(node) {
  var s = node.scope, lines = [node.kind + " " + nameOf(node), s.status + " · " + duration(s.duration_ms)];
  if (s.start_time) lines.push("start " + s.start_time);
  if (s.usage.calls) lines.push(plural(s.usage.calls, "call") + " · " + count(s.usage.input_tokens) + " in → " + count(s.usage.output_tokens) + " out tokens");
  var cost = money(s.usage.cost, s.usage.unpriced_calls);
  if (cost) lines.push("cost " + cost);
  if (s.error_count) lines.push("✖ " + plural(s.error_count, "error"));
  return lines.join("\n");
}

// One hover card for every bar, filled when the pointer enters a bar.
function hoverCard(area) {
  var tip = document.getElementById("tip");
  area.addEventListener("mouseover", function (event) {
    var bar = event.target.closest(".bar");
    if (!bar) { tip.hidden = true; return; }
    tip.textContent = visible(tipText(nodes[bar.dataset.id]));
    tip.hidden = false;
  });
  area.addEventListener("mousemove", function (event) {
    if (tip.hidden) return;
    var x = Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    tip.style.left = x + "px";
    tip.style.top = (event.clientY + 16) + "px";
  });
  area.addEventListener("mouseleave", function () { tip.hidden = true; });
  area.addEventListener("click", function (event) {
    var bar = event.target.closest(".bar");
    if (bar) reveal(bar.dataset.id);
  });
}

data.documents.forEach(function (doc) { indexWorkflow(doc, null); });
header();
var tree = document.getElementById("tree");
data.documents.forEach(function (doc) {
  var n = treeNode(doc.id);
  tree.appendChild(n);
  n.open(true);
});
var timeline = document.getElementById("timeline");
var runs = data.documents.map(function (doc) { return timeline.appendChild(waterfall(doc)); });
runs.forEach(function (run) { if (run.zoomTo) run.zoomTo(1); });
window.addEventListener("resize", function () {
  runs.forEach(function (run) { if (run.zoomTo) run.zoomTo(Number(run.dataset.zoom)); });
});
hoverCard(timeline);
var statsBox = document.getElementById("stats");
statsBox.appendChild(table("per agent", "agent", data.stats.agents, ["interactions"]));
statsBox.appendChild(table("per model", "model", data.stats.models, []));
searchBox();
diffSection(data.diff);
runsSection(data.index);
if (data.documents.length) select(data.documents[0].id);
document.body.dataset.ready = "true";
// For benchmarks/report.py: when the page was built, and when it was first drawn.
performance.mark("wf-ready");
requestAnimationFrame(function () { setTimeout(function () { performance.mark("wf-drawn"); }); });
