// wf-log report: builds the page from the JSON in #wf-data. Text from the log is untrusted:
// it only ever reaches the page through textContent, title or JSON.stringify into a <pre>.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("wf-data").textContent);
  var STATUSES = ["ok", "error", "incomplete", "abandoned", "cancelled", "interrupted"];
  var nodes = {}; // scope id -> {kind, scope, parent, dom}

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function time(stamp) {
    var m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?/.exec(typeof stamp === "string" ? stamp : "");
    if (!m) return null;
    var ms = Date.parse(m[1] + "Z");
    return isNaN(ms) ? null : ms + (m[2] ? Number("0." + m[2]) * 1000 : 0);
  }

  function duration(ms) {
    if (ms === null || ms === undefined) return "";
    return ms < 1000 ? ms.toFixed(1) + " ms" : (ms / 1000).toFixed(2) + " s";
  }

  function statusClass(status) {
    return STATUSES.indexOf(status) >= 0 ? status : "other";
  }

  function show(value) {
    return typeof value === "string" ? value : JSON.stringify(value, null, 2);
  }

  // -- the model: every scope indexed by id, interactions nested under their parent --------

  function index(doc) {
    nodes[doc.id] = { kind: "workflow", scope: doc, parent: null, children: [] };
    doc.iterations.forEach(function (it) {
      var itNode = { kind: "iteration", scope: it, parent: doc.id, children: [] };
      nodes[it.id] = itNode;
      it.interactions.forEach(function (ia) {
        nodes[ia.id] = { kind: "interaction", scope: ia, parent: it.id, children: [] };
      });
      it.interactions.forEach(function (ia) {
        var outer = ia.parent_interaction_id;
        if (outer && nodes[outer] && nodes[outer].kind === "interaction") {
          nodes[ia.id].parent = outer;
          nodes[outer].children.push(ia.id);
        } else {
          itNode.children.push(ia.id);
        }
      });
      nodes[doc.id].children.push(it.id);
    });
  }

  // -- header ---------------------------------------------------------------------------

  function header() {
    document.getElementById("title").textContent = data.title;
    var t = data.stats.total;
    var statuses = data.documents.map(function (d) { return d.name + " " + d.status; });
    var parts = [
      data.stats.runs + " run(s): " + statuses.join(", "),
      t.interactions + " interactions",
      t.calls + " calls",
      t.errors + " errors",
      t.input_tokens + " → " + t.output_tokens + " tokens",
    ];
    if (t.cost !== null) parts.push("$" + t.cost.toFixed(4));
    document.getElementById("summary").textContent = parts.join(" · ");
  }

  // -- timeline -------------------------------------------------------------------------

  function extent(doc) {
    var lo = Infinity, hi = -Infinity;
    function see(stamp) {
      var v = time(stamp);
      if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
    see(doc.start_time); see(doc.end_time);
    doc.iterations.forEach(function (it) {
      see(it.start_time); see(it.end_time);
      it.interactions.forEach(function (ia) {
        see(ia.start_time); see(ia.end_time);
        ia.actions.forEach(function (a) { see(a.timestamp); });
        ia.errors.forEach(function (a) { see(a.timestamp); });
      });
    });
    if (lo === Infinity) return null;
    return { lo: lo, span: Math.max(hi - lo, 0.001) };
  }

  function lane(label, rows) {
    var row = el("div", "lane");
    var name = el("div", "lane-label", label);
    name.title = label;
    row.appendChild(name);
    var track = el("div", "lane-track");
    track.style.height = "calc(var(--row) * " + Math.max(rows, 1) + ")";
    row.appendChild(track);
    return { row: row, track: track };
  }

  function place(box, range, start, end, row) {
    box.style.left = ((start - range.lo) / range.span * 100) + "%";
    box.style.width = (Math.max(end - start, 0) / range.span * 100) + "%";
    box.style.top = "calc(var(--row) * " + row + ")";
  }

  function bar(node, range, row, runEnd, label) {
    var s = node.scope;
    var start = time(s.start_time), end = time(s.end_time);
    if (start === null) return null;
    var b = el("div", "bar " + node.kind + " status-" + statusClass(s.status), label);
    place(b, range, start, end === null ? runEnd : end, row);
    b.title = [label, s.status, duration(s.duration_ms), s.start_time].join(" · ");
    b.dataset.id = s.id;
    b.addEventListener("click", function () { reveal(s.id); });
    return b;
  }

  function axis(range) {
    var a = lane("", 1);
    a.row.classList.add("axis");
    for (var i = 0; i < 5; i++) {
      var tick = el("div", "tick", "+" + duration(range.span * i / 5));
      tick.style.left = (i * 20) + "%";
      a.track.appendChild(tick);
    }
    return a.row;
  }

  function timelineOf(doc) {
    var box = el("div", "run");
    box.appendChild(el("div", "run-head", "workflow " + doc.name + " · " + doc.status + " · " + duration(doc.duration_ms)));
    var range = extent(doc);
    if (range === null) return box;
    var runEnd = range.lo + range.span;
    box.appendChild(axis(range));
    var wf = lane("workflow", 1);
    var wfBar = bar(nodes[doc.id], range, 0, runEnd, doc.name);
    if (wfBar) wf.track.appendChild(wfBar);
    box.appendChild(wf.row);
    var its = lane("iterations", 1);
    doc.iterations.forEach(function (it) {
      var b = bar(nodes[it.id], range, 0, runEnd, "#" + it.number);
      if (b) its.track.appendChild(b);
    });
    box.appendChild(its.row);

    // One lane per agent; overlapping interactions of an agent go on separate rows.
    var agents = {}, order = [];
    doc.iterations.forEach(function (it) {
      it.interactions.forEach(function (ia) {
        var key = String(ia.agent);
        if (!agents[key]) { agents[key] = []; order.push(key); }
        agents[key].push(ia);
      });
    });
    order.forEach(function (agent) {
      var rowsEnd = [], placed = [];
      agents[agent].slice().sort(function (a, b) { return (time(a.start_time) || 0) - (time(b.start_time) || 0); })
        .forEach(function (ia) {
          var start = time(ia.start_time), end = time(ia.end_time);
          if (start === null) return;
          end = end === null ? runEnd : end;
          var r = 0;
          while (r < rowsEnd.length && rowsEnd[r] > start) r++;
          rowsEnd[r] = end;
          placed.push([ia, r]);
        });
      var l = lane(agent, rowsEnd.length);
      l.row.dataset.agent = agent;
      var frag = document.createDocumentFragment();
      placed.forEach(function (pair) {
        var ia = pair[0], r = pair[1];
        var b = bar(nodes[ia.id], range, r, runEnd, agent);
        frag.appendChild(b);
        ia.actions.concat(ia.errors).forEach(function (a) {
          var at = time(a.timestamp);
          if (at === null) return;
          var tick = el("div", "act" + (ia.errors.indexOf(a) >= 0 ? " failed" : ""));
          var d = typeof a.duration_ms === "number" ? a.duration_ms : 0;
          place(tick, range, Math.max(at - d, time(ia.start_time)), at, r);
          frag.appendChild(tick);
        });
      });
      l.track.appendChild(frag);
      box.appendChild(l.row);
    });
    return box;
  }

  // -- tree -----------------------------------------------------------------------------

  function row(kind, name, scope) {
    var r = el("div", "row");
    r.appendChild(el("span", "toggle", "▸"));
    r.appendChild(el("span", "kind", kind));
    r.appendChild(el("span", "name", name));
    if (scope) {
      r.appendChild(el("span", "status " + statusClass(scope.status), scope.status));
      r.appendChild(el("span", "dur", duration(scope.duration_ms)));
      var u = scope.usage;
      if (u.calls) r.appendChild(el("span", "tok", u.input_tokens + " → " + u.output_tokens + " tok"));
      if (u.cost !== undefined) r.appendChild(el("span", "cost", "$" + u.cost.toFixed(4)));
      if (scope.error_count) r.appendChild(el("span", "errs", "✖ " + scope.error_count));
      if (!scope.complete && scope.status !== "incomplete") r.appendChild(el("span", "errs", "⚠ events missing"));
    }
    return r;
  }

  // A collapsible node; build() fills its children the first time it is opened.
  function treeNode(cls, head, build) {
    var n = el("div", "node " + cls);
    n.setAttribute("role", "treeitem");
    n.setAttribute("aria-expanded", "false");
    var kids = el("div", "children");
    kids.hidden = true;
    n.appendChild(head);
    n.appendChild(kids);
    var built = false;
    n.open = function (wanted) {
      var opening = wanted === undefined ? kids.hidden : wanted;
      if (opening && !built) { built = true; build(kids); }
      kids.hidden = !opening;
      n.setAttribute("aria-expanded", String(opening));
      head.firstChild.textContent = opening ? "▾" : "▸";
    };
    head.addEventListener("click", function () { n.open(); });
    return n;
  }

  function detail(label, value, cls) {
    var d = el("div", "detail");
    d.appendChild(el("div", "label", label));
    d.appendChild(el("pre", cls || "", show(value)));
    return d;
  }

  function entryNode(entry, failed) {
    var summary = [];
    ["model", "tool", "input_tokens", "output_tokens", "cost", "duration_ms"].forEach(function (k) {
      if (entry[k] !== undefined) summary.push(k + "=" + show(entry[k]));
    });
    if (entry.exception) summary.push(entry.exception.type + ": " + entry.exception.message);
    var head = row(failed ? "error" : (entry.level || "event"), entry.event, null);
    head.appendChild(el("span", "summary", summary.join(" ")));
    var n = treeNode("entry" + (failed ? " failed" : ""), head, function (kids) {
      var rest = {};
      Object.keys(entry).forEach(function (k) { if (k !== "exception") rest[k] = entry[k]; });
      kids.appendChild(detail("event", rest));
      if (entry.exception) kids.appendChild(detail("traceback", entry.exception.traceback, "error"));
    });
    return n;
  }

  function entries(kids, list, errors) {
    var all = list.map(function (e) { return [e, false]; })
      .concat(errors.map(function (e) { return [e, true]; }));
    all.sort(function (a, b) {
      var x = String(a[0].timestamp || ""), y = String(b[0].timestamp || "");
      return x < y ? -1 : x > y ? 1 : 0;
    });
    all.forEach(function (pair) { kids.appendChild(entryNode(pair[0], pair[1])); });
  }

  function scopeNode(id) {
    var node = nodes[id], s = node.scope;
    var name = node.kind === "workflow" ? s.name + " " + s.id.slice(0, 8)
      : node.kind === "iteration" ? "#" + s.number : String(s.agent);
    var n = treeNode("scope " + node.kind, row(node.kind, name, s), function (kids) {
      if (node.kind === "interaction") {
        kids.appendChild(detail("input", s.input));
        kids.appendChild(detail("output", s.output));
      }
      if (Object.keys(s.metadata).length) kids.appendChild(detail("metadata", s.metadata));
      if (s.resources.length) kids.appendChild(detail("resources", s.resources));
      entries(kids, node.kind === "interaction" ? s.actions : s.events, s.errors);
      node.children.forEach(function (child) { kids.appendChild(scopeNode(child)); });
    });
    n.dataset.id = id;
    node.dom = n;
    return n;
  }

  function reveal(id) {
    var path = [];
    for (var at = id; at; at = nodes[at].parent) path.unshift(at);
    path.forEach(function (p) { nodes[p].dom.open(true); });
    var target = nodes[id].dom;
    target.scrollIntoView({ block: "center" });
    target.classList.add("flash");
    setTimeout(function () { target.classList.remove("flash"); }, 1500);
  }

  // -- stats ----------------------------------------------------------------------------

  function table(caption, first, rows, extra) {
    var t = el("table");
    t.appendChild(el("caption", "", caption));
    var columns = [first].concat(extra, ["calls", "errors", "tokens in", "tokens out", "cost", "p50 ms", "p95 ms", "max ms"]);
    var head = el("tr");
    columns.forEach(function (c) { head.appendChild(el("th", "", c)); });
    t.appendChild(head);
    rows.forEach(function (r) {
      var tr = el("tr", r.errors ? "has-errors" : "");
      var lat = r.latency_ms;
      var cells = [r[first] === null ? "(none)" : r[first]].concat(
        extra.map(function (k) { return r[k]; }),
        [r.calls, r.errors, r.input_tokens, r.output_tokens, r.cost === null ? "" : "$" + r.cost.toFixed(4)],
        ["p50", "p95", "max"].map(function (p) { return lat[p] === null ? "" : lat[p].toFixed(lat[p] < 10 ? 2 : 0); }));
      cells.forEach(function (c) { tr.appendChild(el("td", "", c)); });
      t.appendChild(tr);
    });
    return t;
  }

  // -- page -----------------------------------------------------------------------------

  data.documents.forEach(index);
  header();
  var tree = document.getElementById("tree");
  data.documents.forEach(function (doc) {
    var n = scopeNode(doc.id);
    tree.appendChild(n);
    n.open(true);
  });
  var timeline = document.getElementById("timeline");
  data.documents.forEach(function (doc) { timeline.appendChild(timelineOf(doc)); });
  var stats = document.getElementById("stats");
  stats.appendChild(table("per agent", "agent", data.stats.agents, ["interactions"]));
  stats.appendChild(table("per model", "model", data.stats.models, []));
  document.body.dataset.ready = "true";
})();
