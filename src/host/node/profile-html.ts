/**
 * `--profile FILE.html`: the Chrome trace events of a run (see ../../kernel/trace.ts) as one self-contained
 * page: the events inline as JSON and a small inline SVG renderer (no network, no external resource), a
 * row per wasm thread grouped under its process, a slice per syscall, a time axis, hover and zoom.
 */

/**
 * The events of a --profile file as written so far: one JSON object per line, each ending with a comma,
 * between `[` and `]`. Read line by line so that a torn last line (a process killed mid-write) costs only
 * that event.
 */
export function parseProfileEvents(text: string): unknown[] {
  const events: unknown[] = [];
  for (let line of text.split('\n')) {
    line = line.trim();
    if (line.endsWith(',')) line = line.slice(0, -1);
    if (!line.startsWith('{')) continue;
    try {
      events.push(JSON.parse(line));
    } catch {
      // a partial event: skipped
    }
  }
  return events;
}

/**
 * JSON for inside a <script> element: every `<` escaped, so no `</script>` or `<!--` in a string (an argv,
 * a result) can end the element early. `\u003c` is still the same JSON string.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The page for these events; `title` names it (the program). */
export function profileHtml(events: unknown[], title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>weft profile: ${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head><body>
<header>
  <b>weft profile</b> <span id="stats"></span>
  <span class="legend"><i class="k syscall"></i>syscall <i class="k wait"></i>wait</span>
  <span class="ctl"><button id="zin" title="zoom in (or mouse wheel)">+</button><button id="zout" title="zoom out">&minus;</button><button id="zreset">reset</button></span>
</header>
<div id="info">hover a slice for its call, duration and result; wheel to zoom, drag to pan</div>
<div id="chart"></div>
<script type="application/json" id="weft-events">${scriptJson(events)}</script>
<script>${RENDERER}</script>
</body></html>
`;
}

const STYLE = `
body { font: 12px system-ui, sans-serif; margin: 0; color: #222; background: #fff; }
header { padding: 6px 10px; border-bottom: 1px solid #ddd; display: flex; gap: 14px; align-items: center; flex-wrap: wrap; }
#info { padding: 4px 10px; color: #444; min-height: 16px; white-space: pre; font-family: ui-monospace, monospace; }
.legend .k { display: inline-block; width: 12px; height: 10px; margin: 0 4px 0 8px; vertical-align: -1px; }
.k.syscall, rect.syscall { background: #4e79a7; fill: #4e79a7; }
.k.wait, rect.wait { background: #f28e2b; fill: #f28e2b; }
rect.syscall:hover, rect.wait:hover { fill: #d62728; }
.ctl button { min-width: 28px; margin-right: 3px; }
#chart { user-select: none; cursor: grab; }
#chart svg { display: block; }
text { font: 11px system-ui, sans-serif; fill: #333; }
text.proc { font-weight: 600; }
text.tick { fill: #666; }
.grid { stroke: #e6e6e6; }
.band { fill: #f7f7f7; }
`;

// Plain ES5-style script (no template literals inside: this is itself one).
const RENDERER = `
(function () {
  'use strict';
  var LABEL_W = 150, AXIS_H = 24, ROW_H = 18, PROC_H = 20, PAD = 6;
  var chart = document.getElementById('chart'), info = document.getElementById('info');
  var raw = JSON.parse(document.getElementById('weft-events').textContent);
  var procNames = {}, rowsByKey = {}, rows = [], slices = 0, t0 = Infinity, t1 = -Infinity;

  function rowOf(pid, tid) {
    var key = pid + '/' + tid;
    if (!rowsByKey[key]) { rowsByKey[key] = { pid: pid, tid: tid, slices: [] }; rows.push(rowsByKey[key]); }
    return rowsByKey[key];
  }
  raw.forEach(function (e) {
    if (!e || typeof e !== 'object' || !e.pid) return; // pid 0: the closing marker
    if (e.ph === 'M' && e.name === 'process_name') procNames[e.pid] = e.args && e.args.name;
    else if (e.ph === 'M' && e.name === 'thread_name') rowOf(e.pid, e.tid);
    else if (e.ph === 'X' && typeof e.ts === 'number') {
      var dur = Math.max(0, +e.dur || 0);
      rowOf(e.pid, e.tid).slices.push({ name: String(e.name), cat: e.cat === 'wait' ? 'wait' : 'syscall', ts: e.ts, dur: dur,
        result: e.args && e.args.result !== undefined ? String(e.args.result) : '' });
      slices++;
      if (e.ts < t0) t0 = e.ts;
      if (e.ts + dur > t1) t1 = e.ts + dur;
    }
  });
  rows.sort(function (a, b) { return a.pid - b.pid || a.tid - b.tid; });
  rows.forEach(function (r) { r.slices.sort(function (a, b) { return a.ts - b.ts; }); });
  if (!(t1 > t0)) { t0 = isFinite(t0) ? t0 : 0; t1 = t0 + 1000; }
  var pad = (t1 - t0) * 0.01;
  var full = { v0: Math.max(0, t0 - pad), v1: t1 + pad };
  var view = { v0: full.v0, v1: full.v1 };
  var pids = [];
  rows.forEach(function (r) { if (pids.indexOf(r.pid) < 0) pids.push(r.pid); });
  document.getElementById('stats').textContent = pids.length + (pids.length === 1 ? ' process, ' : ' processes, ') +
    rows.length + (rows.length === 1 ? ' thread, ' : ' threads, ') + slices + ' slices, ' + fmt(t1 - t0) + ' of calls';
  document.body.setAttribute('data-slices-total', String(slices));

  function esc(s) { return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'); }
  /** A duration in microseconds, readable. */
  function fmt(us) {
    if (us >= 1e6) return (us / 1e6).toFixed(3) + ' s';
    if (us >= 1e3) return (us / 1e3).toFixed(3) + ' ms';
    return us.toFixed(1) + ' \\u00b5s';
  }
  function plotWidth() { return Math.max(300, (chart.clientWidth || document.documentElement.clientWidth || 1000) - LABEL_W - PAD); }

  function render() {
    var w = plotWidth(), span = view.v1 - view.v0, k = w / span;
    var unit = span >= 2e6 ? 1e6 : span >= 2e3 ? 1e3 : 1, uname = unit === 1e6 ? 's' : unit === 1e3 ? 'ms' : '\\u00b5s';
    var rough = span / Math.max(2, w / 100), p = Math.pow(10, Math.floor(Math.log10(rough))), step = p;
    [1, 2, 5, 10].some(function (m) { step = m * p; return step >= rough; });
    var dec = Math.max(0, Math.ceil(-Math.log10(step / unit) - 1e-9));
    var y = AXIS_H, body = [], labels = [], plot = [], lastPid = null;
    rows.forEach(function (r, i) {
      if (r.pid !== lastPid) {
        lastPid = r.pid;
        labels.push('<text class="proc" data-proc="' + r.pid + '" x="4" y="' + (y + 14) + '">' + esc(procNames[r.pid] || ('pid ' + r.pid)) + '</text>');
        y += PROC_H;
      }
      if (i % 2 === 0) body.push('<rect class="band" x="0" y="' + y + '" width="' + (LABEL_W + w) + '" height="' + ROW_H + '"/>');
      labels.push('<g data-row="' + r.pid + '/' + r.tid + '"><text x="14" y="' + (y + 13) + '">pid ' + r.pid + ' / tid ' + r.tid + '</text></g>');
      var lastEnd = -Infinity;
      r.slices.forEach(function (s) {
        if (s.ts + s.dur < view.v0 || s.ts > view.v1) return;
        var x = (s.ts - view.v0) * k, sw = s.dur * k;
        // Slices narrower than a pixel inside one already drawn add nothing visible: skipped.
        if (sw < 1 && x < lastEnd) return;
        var dw = Math.max(sw, 1);
        lastEnd = Math.max(lastEnd, x + dw);
        var x0 = Math.max(x, -1), x1 = Math.min(x + dw, w + 1);
        plot.push('<rect data-slice="1" data-tid="' + r.tid + '" class="' + s.cat + '" x="' + x0.toFixed(2) + '" y="' + (y + 2) +
          '" width="' + Math.max(1, x1 - x0).toFixed(2) + '" height="' + (ROW_H - 4) + '"><title>' + esc(s.name + ' (' + s.cat + ')  pid ' + r.pid +
          ' tid ' + r.tid + '\\nat ' + fmt(s.ts) + ', lasted ' + fmt(s.dur) + (s.result ? ', = ' + s.result : '')) + '</title></rect>');
      });
      y += ROW_H;
    });
    var h = y + 4, ticks = [];
    for (var t = Math.ceil(view.v0 / step) * step; t <= view.v1; t += step) {
      var tx = LABEL_W + (t - view.v0) * k;
      ticks.push('<line class="grid" x1="' + tx.toFixed(1) + '" x2="' + tx.toFixed(1) + '" y1="' + (AXIS_H - 4) + '" y2="' + h + '"/>');
      // No label that would be cut by the right edge.
      if (tx + 60 <= LABEL_W + w + PAD) ticks.push('<text class="tick" x="' + (tx + 3).toFixed(1) + '" y="' + (AXIS_H - 8) + '">' + (t / unit).toFixed(dec) + ' ' + uname + '</text>');
    }
    chart.innerHTML = '<svg width="' + (LABEL_W + w + PAD) + '" height="' + h + '">' +
      body.join('') + ticks.join('') + '<line class="grid" x1="0" x2="' + (LABEL_W + w) + '" y1="' + AXIS_H + '" y2="' + AXIS_H + '"/>' +
      '<svg id="plot" x="' + LABEL_W + '" y="0" width="' + w + '" height="' + h + '">' + plot.join('') + '</svg>' +
      labels.join('') + '</svg>';
    document.body.setAttribute('data-rendered', String(++renders));
  }
  var renders = 0;

  function zoom(factor, at) {
    var span = view.v1 - view.v0, fullSpan = full.v1 - full.v0;
    var next = Math.min(fullSpan, Math.max(10, span * factor));
    if (at === undefined) at = view.v0 + span / 2;
    var v0 = at - (at - view.v0) * (next / span);
    v0 = Math.min(Math.max(v0, full.v0), full.v1 - next);
    view.v0 = v0; view.v1 = v0 + next;
    render();
  }
  function timeAt(clientX) {
    var x = clientX - chart.getBoundingClientRect().left - LABEL_W;
    return view.v0 + (x / plotWidth()) * (view.v1 - view.v0);
  }
  chart.addEventListener('wheel', function (e) {
    e.preventDefault();
    zoom(e.deltaY > 0 ? 1.25 : 0.8, timeAt(e.clientX));
  }, { passive: false });
  var drag = null;
  chart.addEventListener('mousedown', function (e) { drag = { x: e.clientX, v0: view.v0, v1: view.v1 }; });
  window.addEventListener('mouseup', function () { drag = null; });
  window.addEventListener('mousemove', function (e) {
    if (!drag) return;
    var span = drag.v1 - drag.v0, dt = -(e.clientX - drag.x) / plotWidth() * span;
    dt = Math.min(Math.max(dt, full.v0 - drag.v0), full.v1 - drag.v1);
    view.v0 = drag.v0 + dt; view.v1 = drag.v1 + dt;
    render();
  });
  chart.addEventListener('mouseover', function (e) {
    var t = e.target;
    if (t && t.getAttribute && t.getAttribute('data-slice')) info.textContent = t.textContent;
  });
  document.getElementById('zin').onclick = function () { zoom(0.5); };
  document.getElementById('zout').onclick = function () { zoom(2); };
  document.getElementById('zreset').onclick = function () { view.v0 = full.v0; view.v1 = full.v1; render(); };
  window.addEventListener('resize', render);
  render();
})();
`;
