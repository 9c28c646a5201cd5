// judge.js: opening_hours.js (npm, pinned in package.json), the OSM community's reference
// evaluator, judges opening_hours values for the differential test (corpus_test.go). Run
// with TZ=Europe/Berlin. Reads from stdin {"values": [...], "from": ms, "to": ms, "state":
// Bundesland} and writes one JSON array: for each value {"error": "..."} when the reference
// refuses it, else {"changes": [[ms, "open"|"closed"|"unknown", comment or null], ...]}: the
// state and comment from the first instant ("from") and every change of them until "to".
"use strict";
const path = require("path");
const opening_hours = require(path.join(process.env.NODE_MODULES, "opening_hours"));

const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const place = { lat: 51.05, lon: 13.74, address: { country_code: "de", state: input.state } };
const from = new Date(input.from), to = new Date(input.to);

function stateOf(it) {
  if (it.getUnknown()) return "unknown";
  return it.getState() ? "open" : "closed";
}

const out = input.values.map(function (value) {
  let oh;
  try {
    oh = new opening_hours(value, place, { mode: 0, warnings_severity: 0, locale: "de" });
  } catch (e) {
    return { error: String(e).split("\n")[0] };
  }
  // The iterator is started anew at every midnight: on its own it can step over one
  // where the part after midnight of a rule begins without a change of state (its
  // comment then goes unseen).
  const changes = [];
  const push = function (at, it) {
    const last = changes[changes.length - 1];
    const change = [at.getTime(), stateOf(it), it.getComment() || null];
    if (!last || last[1] !== change[1] || last[2] !== change[2]) changes.push(change);
  };
  for (let day = from; day < to; ) {
    const next = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1);
    const end = next < to ? next : to;
    const it = oh.getIterator(day);
    push(day, it);
    while (it.advance(end)) {
      const at = it.getDate();
      if (at.getTime() >= end.getTime()) break;
      push(at, it);
    }
    day = next;
  }
  return { changes: changes };
});
process.stdout.write(JSON.stringify(out));
