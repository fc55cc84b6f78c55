// wf-log report, runs: the index of every run in the file, when the report shows only some in
// full (reading/_pick.py): which ones and why, each run's exact numbers, and how to see
// another one in full.

var RUN_COLUMNS = ["run", "id", "start", "status", "duration", "calls", "errors", "tokens in", "tokens out", "cost"];

function runCells(r) {
  return [r.start_time, r.status, duration(r.duration_ms)].concat(
    [r.calls, r.errors, r.input_tokens, r.output_tokens].map(count),
    [money(r.cost === null ? undefined : r.cost, r.unpriced_calls)]);
}

function runRow(r) {
  var tr = el("tr", (r.shown ? "shown " : "") + (r.errors ? "has-errors" : ""));
  tr.dataset.run = r.id;
  var name = el("td");
  // A run shown in full opens in the tree; the others are only listed.
  name.appendChild(r.shown ? aboutScope("span", "", r.name, r.id) : el("span", "", r.name));
  tr.appendChild(name);
  tr.appendChild(el("td", "run-id", r.id));
  runCells(r).forEach(function (c) { tr.appendChild(el("td", "", c)); });
  return tr;
}

function restRow(rest) {
  var tr = el("tr", "rest");
  tr.appendChild(el("td", "", "… " + plural(rest.runs, "more run") + ", summed"));
  ["", "", "", ""].concat(
    [rest.calls, rest.errors, rest.input_tokens, rest.output_tokens].map(count),
    [money(rest.cost === null ? undefined : rest.cost, rest.unpriced_calls)]
  ).forEach(function (c) { tr.appendChild(el("td", "", c)); });
  return tr;
}

// What the bound left out, in words: the user must see that runs or events were folded.
function runsNote(index) {
  var parts = [];
  if (index.chosen.length) {
    parts.push("Shown in full: " + plural(index.shown, "run") + " of " + count(index.runs) +
      ", those chosen with --run " + index.chosen.join(", ") + ".");
  } else if (index.shown < index.runs) {
    parts.push("Shown in full: " + count(index.shown) + " of " + plural(index.runs, "run") +
      ", at most " + count(index.max_runs) + " and " + count(index.nodes) + " nodes together: " +
      "the runs that failed first, then the dearest, then the latest (--max-runs N for more).");
  }
  if (index.shown < index.runs) {
    parts.push("The others are listed here with their exact numbers; the header and the stats count every run, " +
      "the search, the waterfall and the list of errors the runs shown in full. " +
      "To see one in full: wf-log report FILE --run ID -o page.html.");
  }
  if (index.rest) parts.push("The index lists " + plural(index.rows.length, "run") + "; the " + count(index.rest.runs) + " lowest-ranked are summed in its last row.");
  if (index.folded) parts.push(plural(index.folded, "run") + " shown " + (index.folded === 1 ? "is" : "are") +
    " folded to their bound: report.folded entries say how many events, actions or scopes were left out.");
  return parts.join(" ");
}

function runsSection(index) {
  if (index.shown === index.runs && !index.folded) return;
  var section = document.getElementById("runs-section");
  section.hidden = false;
  section.querySelector("summary").textContent = visible("Runs: " + count(index.shown) + " of " +
    count(index.runs) + " shown in full" + (index.folded ? ", " + count(index.folded) + " of them folded" : ""));
  document.getElementById("runs-note").textContent = visible(runsNote(index));
  var t = el("table", "runs");
  var head = el("tr");
  RUN_COLUMNS.forEach(function (c) { head.appendChild(el("th", "", c)); });
  t.appendChild(head);
  index.rows.forEach(function (r) { t.appendChild(runRow(r)); });
  if (index.rest) t.appendChild(restRow(index.rest));
  document.getElementById("runs").appendChild(t);
}
