// wf-log report, base: building elements and formatting values. Text from the log is
// untrusted: it reaches the page only through el() (textContent, after visible()).

var STATUSES = ["ok", "error", "incomplete", "abandoned", "cancelled", "interrupted"];
var UNSEEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

// The one escaping function: bidi overrides and isolates (which could make text read in
// another order than it was logged) and control characters become visible \uXXXX escapes.
function visible(text) {
  return String(text).replace(UNSEEN, function (c) {
    return "\\u" + ("000" + c.charCodeAt(0).toString(16)).slice(-4);
  });
}

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = visible(text);
  return e;
}

function time(stamp) {
  var m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?/.exec(typeof stamp === "string" ? stamp : "");
  if (!m) return null;
  var ms = Date.parse(m[1] + "Z");
  return isNaN(ms) ? null : ms + (m[2] ? Number("0." + m[2]) * 1000 : 0);
}

function duration(ms) {
  if (typeof ms !== "number") return "";
  if (ms < 1) return ms.toPrecision(2) + " ms";
  if (ms < 1000) return ms.toFixed(ms < 10 ? 1 : 0) + " ms";
  return ms < 60000 ? (ms / 1000).toFixed(2) + " s" : (ms / 60000).toFixed(1) + " min";
}

// Dollars to three significant digits below $1 ($0.0000194, $0.238), cents above ($1.23);
// a call that logged tokens but no cost is "unpriced", never $0.
function money(cost, unpriced) {
  var text = "";
  if (typeof cost === "number" && isFinite(cost)) {
    var abs = Math.abs(cost);
    text = (cost < 0 ? "-$" : "$") + (abs === 0 ? "0.00" : abs >= 1 ? abs.toFixed(2) : threeDigits(abs));
  }
  if (unpriced) text += (text ? " + " : "") + unpriced + " unpriced";
  return text;
}

// Rounded in decimal (half up) from the shortest form of the number, so that 1.935e-05
// shows as 0.0000194 as it reads, not as the binary value just below it.
function threeDigits(x) {
  var m = /^(\d)\.(\d+)e([+-]\d+)$/.exec(x.toExponential(12));
  var digits = m[1] + m[2], exp = Number(m[3]);
  var n = Number(digits.slice(0, 3)) + (digits.charAt(3) >= "5" ? 1 : 0);
  if (n === 1000) { n = 100; exp += 1; }
  if (exp >= 0) return (n / Math.pow(10, 2 - exp)).toFixed(2);
  return "0." + new Array(-exp).join("0") + n;
}

// A count with thousands separators, as the terminal tables show it: 12,345.
function count(n) {
  return typeof n === "number" ? n.toLocaleString("en-US", { maximumFractionDigits: 2 }) : String(n);
}

// "1 error", "2 errors".
function plural(n, noun) {
  return count(n) + " " + noun + (n === 1 ? "" : "s");
}

function tokens(usage) {
  return usage && usage.calls ? count(usage.input_tokens) + " → " + count(usage.output_tokens) + " tok" : "";
}

function statusClass(status) {
  return STATUSES.indexOf(status) >= 0 ? status : "other";
}

function show(value) {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

// A block of text folded to a few lines when long, with a button to unfold it.
function folded(text, cls) {
  var box = el("div", "fold");
  var pre = el("pre", cls || "", text);
  box.appendChild(pre);
  var lines = text.split("\n").length;
  if (text.length > 700 || lines > 12) {
    pre.classList.add("folded");
    var more = el("button", "more", "show all (" + lines + " lines, " + text.length + " chars)");
    more.type = "button";
    more.addEventListener("click", function (event) {
      event.stopPropagation();
      var open = pre.classList.toggle("folded");
      more.textContent = open ? "show all (" + lines + " lines, " + text.length + " chars)" : "fold";
    });
    box.appendChild(more);
  }
  return box;
}

function labelled(label, value, cls) {
  var d = el("div", "detail");
  d.appendChild(el("div", "label", label));
  d.appendChild(folded(show(value), cls));
  return d;
}
