// wf-log report, waterfall: per run, a lane for the workflow, one for its iterations and one
// per agent; sub-workflows get their lanes right below, on the same time axis. Bars are
// positioned in % of the track, so zooming changes one width and panning is native
// scrolling; a bar's label is clipped to the bar, so labels never collide.

var LABEL_PX = 170;

function lanesOf(root) {
  var lanes = [], byKey = {};
  function laneFor(key, label, depth) {
    if (!byKey[key]) { byKey[key] = { label: label, depth: depth, items: [], agent: null }; lanes.push(byKey[key]); }
    return byKey[key];
  }
  function interactions(id, prefix, depth, subs) {
    nodes[id].children.forEach(function (child) {
      var n = nodes[child];
      if (n.kind === "workflow") { subs.push(child); return; }
      var lane = laneFor(prefix + "agent:" + n.agent, (prefix ? prefix + " › " : "") + n.agent, depth);
      lane.agent = depth ? null : n.agent;
      lane.items.push(n);
      interactions(child, prefix, depth, subs);
    });
  }
  function walk(wfId, prefix, depth) {
    var wf = nodes[wfId], subs = [];
    laneFor(prefix + "workflow", depth ? "↳ " + prefix : "workflow", depth).items.push(wf);
    if (!depth) laneFor("iterations", "iterations", 0).items = wf.children.map(function (id) { return nodes[id]; });
    wf.children.forEach(function (it) { interactions(it, prefix, depth, subs); });
    subs.forEach(function (sub) { walk(sub, (prefix ? prefix + " › " : "") + String(nodes[sub].scope.name), depth + 1); });
  }
  walk(root, "", 0);
  return lanes;
}

function spanOf(lanes) {
  var lo = Infinity, hi = -Infinity;
  lanes.forEach(function (lane) {
    lane.items.forEach(function (n) {
      if (n.start !== null) { lo = Math.min(lo, n.start); hi = Math.max(hi, n.start); }
      if (n.end !== null) hi = Math.max(hi, n.end);
      else if (n.entries.length) hi = Math.max(hi, time(nodes[n.entries[n.entries.length - 1]].scope.timestamp) || hi);
    });
  });
  // 1% of room on the right, so a scope that never ended, drawn to the end, stays in sight.
  return lo === Infinity ? null : { lo: lo, span: Math.max(hi - lo, 0.001) * 1.01 };
}

function pct(value, range) { return ((value - range.lo) / range.span * 100) + "%"; }

// Ticks for the actions of an interaction, drawn as one gradient instead of one element each.
function actionStripes(node, start, end) {
  var width = Math.max(end - start, 0.001), stops = [];
  node.entries.forEach(function (id) {
    var e = nodes[id], at = time(e.scope.timestamp);
    if (at === null) return;
    var d = typeof e.scope.duration_ms === "number" ? e.scope.duration_ms : 0;
    var a = Math.max(0, (at - d - start) / width * 100), b = Math.min(100, (at - start) / width * 100);
    var colour = e.failed ? "var(--error)" : "var(--act)";
    stops.push("transparent " + a + "%, " + colour + " " + a + "%, " + colour + " calc(" + b + "% + 2px), transparent calc(" + b + "% + 2px)");
  });
  return stops.length ? "linear-gradient(to right, " + stops.join(", ") + ")" : "";
}

// A bar's labels, longest first: the one shown is the longest that fits the bar.
function barLabels(node) {
  if (node.kind === "iteration") return ["#" + node.scope.number];
  var base = visible(node.kind === "workflow" ? node.scope.name : node.agent);
  return [base + " " + duration(node.scope.duration_ms), base];
}

var CHAR_PX = 6.2; // a character of the bars' 10px font, generously

// Labels, and the ticks of the actions once a bar is wide enough to show them (painting
// thousands of gradients too thin to see would slow every zoom of a large run).
function fitLabels(bars, track) {
  bars.forEach(function (bar) {
    var room = bar.fraction * track - 8, shown = "";
    if (!bar.striped && room > 12) { bar.striped = true; bar.el.style.backgroundImage = actionStripes(bar.node, bar.start, bar.end); }
    for (var i = 0; i < bar.labels.length && !shown; i++) {
      if (bar.labels[i].length * CHAR_PX <= room) shown = bar.labels[i];
    }
    if (shown !== bar.shown) { bar.shown = shown; bar.el.textContent = shown; }
  });
}

function laneRow(label, depth) {
  var row = el("div", "lane depth-" + Math.min(depth, 3));
  var name = el("div", "lane-label", label);
  name.title = visible(label);
  row.appendChild(name);
  var track = el("div", "lane-track");
  row.appendChild(track);
  return { row: row, track: track };
}

function drawLane(lane, range, runEnd, bars) {
  var l = laneRow(lane.label, lane.depth), rowsEnd = [], frag = document.createDocumentFragment();
  if (lane.agent !== null) l.row.dataset.agent = lane.agent;
  lane.items.slice().sort(function (a, b) { return (a.start || 0) - (b.start || 0); })
    .forEach(function (n) {
      var start = n.start, end = n.end === null ? runEnd : n.end;
      if (start === null) return;
      var r = 0;
      while (r < rowsEnd.length && rowsEnd[r] > start) r++;
      rowsEnd[r] = end;
      var b = el("div", "bar " + n.kind + " status-" + statusClass(n.scope.status));
      b.dataset.id = n.id;
      b.style.left = pct(start, range);
      b.style.width = ((end - start) / range.span * 100) + "%";
      bars.push({ el: b, node: n, start: start, end: end, fraction: (end - start) / range.span, labels: barLabels(n), shown: "", striped: n.kind !== "interaction" });
      b.style.top = "calc(var(--row) * " + r + ")";
      frag.appendChild(b);
    });
  l.track.style.height = "calc(var(--row) * " + Math.max(rowsEnd.length, 1) + ")";
  l.track.appendChild(frag);
  return l.row;
}

function niceStep(span) {
  var raw = span / 6, unit = Math.pow(10, Math.floor(Math.log10(raw)));
  var best = unit;
  [1, 2, 5, 10].forEach(function (k) { if (unit * k <= raw) best = unit * k; });
  return best;
}

// The run's waterfall, with its zoom buttons; zoom and pan act on this run only.
function waterfall(doc) {
  var box = el("div", "run");
  box.dataset.id = doc.id;
  var head = el("div", "run-head");
  head.appendChild(el("span", "run-name", "workflow " + doc.name + " · " + doc.status + " · " + duration(doc.duration_ms)));
  var tools = el("span", "zoom-tools");
  var buttons = {};
  [["out", "−", "zoom out"], ["in", "+", "zoom in"], ["fit", "fit", "show the whole run"]].forEach(function (b) {
    buttons[b[0]] = el("button", "zoom-" + b[0], b[1]);
    buttons[b[0]].type = "button";
    buttons[b[0]].title = b[2];
    tools.appendChild(buttons[b[0]]);
  });
  var readout = el("span", "zoom-level", "×1");
  tools.appendChild(readout);
  head.appendChild(tools);
  box.appendChild(head);
  var lanes = lanesOf(doc.id), range = spanOf(lanes);
  if (range === null) return box;
  var scroller = el("div", "wf-scroll"), canvas = el("div", "wf-canvas");
  var axis = laneRow("", 0);
  axis.row.classList.add("axis");
  canvas.appendChild(axis.row);
  var bars = [];
  lanes.forEach(function (lane) { canvas.appendChild(drawLane(lane, range, range.lo + range.span, bars)); });
  scroller.appendChild(canvas);
  box.appendChild(scroller);
  var view = { zoom: 1, track: 0 };

  function drawAxis() {
    var t0 = range.span * scroller.scrollLeft / view.track;
    var t1 = range.span * (scroller.scrollLeft + scroller.clientWidth - LABEL_PX) / view.track;
    var step = niceStep(Math.max(t1 - t0, 0.001)), frag = document.createDocumentFragment();
    for (var k = Math.ceil(t0 / step); k * step <= t1 + 1e-9; k++) {
      var tick = el("div", "tick", "+" + duration(k * step));
      tick.style.left = (k * step / range.span * view.track) + "px";
      frag.appendChild(tick);
    }
    axis.track.replaceChildren(frag);
  }

  // Zoom to *zoom*, keeping the instant under *anchor* (px from the scroller's left) still.
  function zoomTo(zoom, anchor) {
    var width = Math.max(scroller.clientWidth - LABEL_PX, 50);
    zoom = Math.min(Math.max(zoom, 1), Math.max(range.span / 0.01, 1));
    if (anchor === undefined) anchor = LABEL_PX + width / 2;
    var at = view.track ? (scroller.scrollLeft + anchor - LABEL_PX) / view.track : 0;
    view.zoom = zoom;
    view.track = zoom * width;
    canvas.style.width = (LABEL_PX + view.track) + "px";
    scroller.scrollLeft = at * view.track + LABEL_PX - anchor;
    readout.textContent = "×" + (zoom < 10 ? zoom.toFixed(1) : Math.round(zoom));
    box.dataset.zoom = String(zoom);
    drawAxis();
    fitLabels(bars, view.track);
  }
  box.zoomTo = zoomTo;
  buttons["in"].addEventListener("click", function () { zoomTo(view.zoom * 2); });
  buttons["out"].addEventListener("click", function () { zoomTo(view.zoom / 2); });
  buttons.fit.addEventListener("click", function () { zoomTo(1); });
  scroller.addEventListener("wheel", function (event) {
    if (!event.ctrlKey && !event.metaKey) return; // a plain wheel scrolls the page
    event.preventDefault();
    var left = scroller.getBoundingClientRect().left;
    zoomTo(view.zoom * Math.exp(-event.deltaY * 0.002), event.clientX - left);
  }, { passive: false });
  var ticking = false;
  scroller.addEventListener("scroll", function () {
    if (ticking) return;
    ticking = true;
    requestAnimationFrame(function () { ticking = false; drawAxis(); });
  });
  pannable(scroller);
  return box;
}

// Drag to pan; a drag does not count as a click on the bar it started on.
function pannable(scroller) {
  var from = null, moved = false;
  scroller.addEventListener("mousedown", function (event) {
    if (event.button !== 0) return;
    from = { x: event.clientX, left: scroller.scrollLeft };
    moved = false;
  });
  window.addEventListener("mousemove", function (event) {
    if (!from) return;
    var dx = event.clientX - from.x;
    if (Math.abs(dx) > 3) { moved = true; scroller.classList.add("panning"); }
    if (moved) scroller.scrollLeft = from.left - dx;
  });
  window.addEventListener("mouseup", function () { from = null; scroller.classList.remove("panning"); });
  scroller.addEventListener("click", function (event) {
    if (moved) { event.stopPropagation(); moved = false; }
  }, true);
}
