// wf-log report, diff: given a baseline (wf-log report FILE --baseline BASE), what moved from
// the baseline's runs to these ones, from the data of wf-log diff: totals, per agent and per
// model, the scopes whose status changed, and the first step where the runs diverge.

var DIFF_METRICS = ["cost", "tokens", "calls", "errors", "duration_ms"];

function amount(metric, value) {
  if (metric === "cost") return money(value);
  if (metric === "duration_ms") return duration(value);
  return count(value);
}

// "+$0.261 (+57.4%)": the change, signed, with its share of the baseline where it had one.
function change(metric, c) {
  if (!c.delta) return "";
  var text = (c.delta > 0 ? "+" : "−") + amount(metric, Math.abs(c.delta));
  if (c.pct !== null) text += " (" + (c.pct > 0 ? "+" : "") + c.pct.toFixed(1) + "%)";
  return text;
}

// A side's cost, with the calls that had no price: never $0 for them.
function side(metric, value, unpriced) {
  if (metric !== "cost" || !unpriced) return amount(metric, value);
  return money(value || undefined, unpriced);
}

function deltaCell(metric, c, unpriced) {
  var td = el("td", c.delta > 0 ? "grew" : c.delta < 0 ? "shrank" : "same");
  td.dataset.metric = metric;
  td.appendChild(el("div", "ab", side(metric, c.a, unpriced.a) + " → " + side(metric, c.b, unpriced.b)));
  if (c.delta) td.appendChild(el("div", "delta", change(metric, c)));
  return td;
}

function diffTable(caption, key, rows) {
  var t = el("table", "diff");
  t.appendChild(el("caption", "", caption));
  var head = el("tr");
  head.appendChild(el("th", "", key || ""));
  DIFF_METRICS.forEach(function (m) {
    head.appendChild(el("th", "", m === "duration_ms" ? (key ? "p50" : "duration") : m));
  });
  t.appendChild(head);
  rows.forEach(function (r) {
    var tr = el("tr");
    if (key) tr.dataset[key] = r[key] === null ? "" : String(r[key]);
    tr.appendChild(el("td", "", key ? (r[key] === null ? "(none)" : r[key]) : "all runs"));
    DIFF_METRICS.forEach(function (m) { tr.appendChild(deltaCell(m, r[m], r.unpriced_calls)); });
    t.appendChild(tr);
  });
  return t;
}

// A line about a scope of this run: a button that opens it in the tree, when it is there.
function aboutScope(tag, cls, text, id) {
  if (id === null || id === undefined || !nodes[id]) return el(tag, cls, text);
  var line = el(tag, cls), button = el("button", "jump", text);
  button.type = "button";
  button.title = "open it in the tree";
  button.addEventListener("click", function () { reveal(id); });
  line.appendChild(button);
  return line;
}

function divergence(where) {
  if (where === null) return el("p", "same-steps", "The runs take the same steps.");
  return aboutScope("p", "diverged", "First divergence at " + where.path + ": " +
    (where.a || "(nothing)") + " → " + (where.b || "(nothing)"), where.b_id);
}

// The section's one-line summary, shown even when it is folded.
function diffHeadline(d) {
  var parts = ["cost", "tokens", "errors"].map(function (m) {
    return m + " " + (change(m, d.total[m]) || "unchanged");
  });
  if (d.status.length) parts.push(d.status.length + " status change" + (d.status.length === 1 ? "" : "s"));
  parts.push(d.diverged === null ? "same steps" : "diverged");
  return "Compared with the baseline: " + parts.join(" · ");
}

function diffSection(d) {
  var section = document.getElementById("diff-section");
  if (d === null || d === undefined) return;
  section.hidden = false;
  section.querySelector("summary").textContent = visible(diffHeadline(d));
  var box = document.getElementById("diff");
  box.appendChild(diffTable("total", null, [d.total]));
  box.appendChild(diffTable("per agent", "agent", d.agents));
  box.appendChild(diffTable("per model", "model", d.models));
  if (d.status.length) {
    var list = el("ul", "status-changes");
    d.status.forEach(function (s) {
      list.appendChild(aboutScope("li", "", "status " + s.path + ": " + s.a + " → " + s.b, s.b_id));
    });
    box.appendChild(list);
  }
  box.appendChild(divergence(d.diverged));
}
