// --profile FILE.html: the Chrome trace events as one self-contained page (inline events and renderer),
// rendered in Chromium: a row per wasm thread under its process, a slice per syscall, zoom.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { weft } from './helpers/run.mjs';
import { ensureFixtures, fixture } from './helpers/fixtures.mjs';
import { browserSkipReason, launchChromium } from './helpers/browser.mjs';
import { parseProfileEvents, scriptJson } from '../dist/host/node/profile-html.js';

/** An argv word the page must show as text, not parse as markup (join.wasm ignores its arguments). */
const HOSTILE = '</script><p id="injected">';

/**
 * Runs test/fixtures/c/wasix/join.c (threads that sleep, join, wait on futexes) with --profile DIR/p.html;
 * returns the page's text and its events.
 */
async function profiled(dir) {
  await ensureFixtures('wasix');
  const out = path.join(dir, 'p.html');
  const r = await weft(['run', '--profile', out, fixture('wasix', 'join'), HOSTILE]);
  assert.equal(r.code, 0, r.stderr);
  const html = fs.readFileSync(out, 'utf8');
  const m = /<script type="application\/json" id="weft-events">([^<]*)<\/script>/.exec(html);
  assert.ok(m, 'the events are inline');
  return { out, html, events: JSON.parse(m[1]) };
}

test('parseProfileEvents keeps whole events and skips a torn last line; scriptJson escapes <', () => {
  const text = '[\n{"name":"a","ph":"X","ts":1,"dur":2,"pid":1,"tid":1},\n{"name":"b","ph":"X","ts":3,"dur":4,"pid":1,"tid":2},\n{"name":"c","ph":"X","ts"';
  assert.deepEqual(parseProfileEvents(text).map((e) => e.name), ['a', 'b']);
  const json = scriptJson({ s: '</script><!--\u2028' });
  assert.ok(!json.includes('<') && !json.includes('\u2028'), json);
  assert.deepEqual(JSON.parse(json), { s: '</script><!--\u2028' });
});

test('--profile FILE.html: one self-contained page with the events inline, nothing to fetch', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-profile-html-'));
  try {
    const { html, events } = await profiled(dir);
    assert.deepEqual(fs.readdirSync(dir), ['p.html'], 'the events file used while running is removed');
    assert.match(html, /^<!doctype html>/);
    assert.doesNotMatch(html, /https?:\/\//, 'no network reference');
    assert.doesNotMatch(html, /\b(src|href)=/, 'no external resource');
    assert.equal(html.match(/<\/script>/g).length, 2, "the argv's </script> is escaped inside the JSON");
    const tids = events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.tid).sort();
    assert.ok(tids.length >= 3 && tids[0] === 1, `main and two threads: ${tids}`);
    assert.ok(events.some((e) => e.name === 'process_name' && e.args.name.includes(HOSTILE)));
    assert.ok(events.some((e) => e.ph === 'X' && e.cat === 'syscall' && e.name === 'fd_write'));
    assert.ok(events.some((e) => e.ph === 'X' && e.cat === 'wait' && e.name === 'thread_sleep'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--profile FILE.html renders in Chromium: a row per thread under its process, slices, zoom', { skip: browserSkipReason() }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-profile-html-'));
  const browser = await launchChromium();
  try {
    const { out, events } = await profiled(dir);
    const page = await browser.newPage({ viewport: { width: 1000, height: 400 } });
    const errors = [], requests = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(out).href);
    await page.waitForSelector('body[data-rendered]', { timeout: 60000 });
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [pathToFileURL(out).href], 'the page loads nothing else');
    const seen = await page.evaluate(() => ({
      rows: [...document.querySelectorAll('[data-row]')].map((g) => [g.getAttribute('data-row'), g.textContent]),
      procs: [...document.querySelectorAll('[data-proc]')].map((t) => t.textContent),
      slices: document.querySelectorAll('rect[data-slice]').length,
      waits: document.querySelectorAll('rect[data-slice].wait').length,
      syscalls: document.querySelectorAll('rect[data-slice].syscall').length,
      total: Number(document.body.getAttribute('data-slices-total')),
      titles: [...document.querySelectorAll('rect[data-slice] title')].map((t) => t.textContent),
      injected: document.getElementById('injected') !== null,
      ticks: [...document.querySelectorAll('text.tick')].map((t) => t.textContent),
    }));
    const tids = events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.tid).sort((a, b) => a - b);
    assert.ok(tids.length >= 3);
    assert.deepEqual(seen.rows, tids.map((t) => [`1/${t}`, `pid 1 / tid ${t}`]), 'a row per thread, in tid order');
    assert.equal(seen.procs.length, 1);
    assert.ok(seen.procs[0].startsWith('pid 1: ') && seen.procs[0].includes(HOSTILE), 'argv shown as text');
    assert.equal(seen.injected, false);
    const xs = events.filter((e) => e.ph === 'X');
    assert.equal(seen.total, xs.length);
    // Slices under a pixel inside one already drawn are skipped.
    assert.ok(seen.slices >= 10 && seen.slices <= xs.length, `${seen.slices} of ${xs.length} slices drawn`);
    assert.ok(seen.waits >= 2 && seen.syscalls >= 5, JSON.stringify(seen));
    assert.ok(seen.titles.some((t) => /^thread_sleep \(wait\) {2}pid 1 tid \d+\nat [\d.]+ (µs|ms|s), lasted [\d.]+ (µs|ms|s), = 0$/.test(t)), seen.titles.join('\n'));
    assert.ok(seen.titles.some((t) => /^fd_write \(syscall\) {2}pid 1 tid \d+\nat [\d.]+ (µs|ms|s), lasted [\d.]+ (µs|ms|s), = 0$/.test(t)), seen.titles.join('\n'));
    assert.ok(seen.ticks.length >= 3, `a time scale: ${seen.ticks}`);
    // Zoom in twice with the buttons: the scale's ticks change; reset brings them back.
    await page.click('#zin');
    await page.click('#zin');
    const ticks = await page.evaluate(() => [...document.querySelectorAll('text.tick')].map((t) => t.textContent));
    assert.notDeepEqual(ticks, seen.ticks);
    await page.click('#zreset');
    assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll('text.tick')].map((t) => t.textContent)), seen.ticks);
    // Two wheel steps in, the pointer on a slice: that slice stays under it and gets wider (1.25x a step;
    // at least one step's worth: a loaded browser may coalesce the two events).
    const slicesNow = () => page.evaluate(() => ({
      w: +document.getElementById('plot').getAttribute('width'),
      s: [...document.querySelectorAll('rect[data-slice]')].map((r) => [r.textContent, +r.getAttribute('width')]),
    }));
    const before = await slicesNow();
    let pick = -1;
    before.s.forEach(([, wd], i) => {
      if (wd >= 2 && wd < before.w / 8 && (pick < 0 || wd > before.s[pick][1])) pick = i;
    });
    assert.ok(pick >= 0, 'a slice 2 px to 1/8 of the plot wide');
    const box = await page.locator('rect[data-slice]').nth(pick).boundingBox();
    const renders = await page.evaluate(() => +document.body.getAttribute('data-rendered'));
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -100);
    await page.mouse.wheel(0, -100);
    await page.waitForFunction((n) => +document.body.getAttribute('data-rendered') >= n, renders + 1);
    const [title, widthBefore] = before.s[pick];
    const after = (await slicesNow()).s.find(([t]) => t === title);
    assert.ok(after, 'the slice under the pointer is still drawn');
    assert.ok(after[1] > widthBefore * 1.2, `${title}: ${widthBefore} -> ${after[1]} px`);
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--profile FILE.html of a process tree: a header per process, its threads under it', { skip: browserSkipReason() }, async () => {
  await ensureFixtures('wasix');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-profile-html-tree-'));
  const browser = await launchChromium();
  try {
    fs.copyFileSync(fixture('wasix', 'spawn'), path.join(dir, 'spawn.wasm'));
    const out = path.join(dir, 'tree.html');
    // spawn.c's main role: posix_spawn, a pipeline of three, kill, exec (see test/trace.test.mjs).
    const r = await weft(['run', '--profile', out, '--dir', `${dir}::/sandbox`, path.join(dir, 'spawn.wasm'), 'main', '/sandbox/spawn.wasm', '/sandbox']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const page = await browser.newPage({ viewport: { width: 1000, height: 400 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(out).href);
    await page.waitForSelector('body[data-rendered]', { timeout: 60000 });
    assert.deepEqual(errors, []);
    // The labels in document (= vertical) order: a process header, then that process's threads.
    const labels = await page.evaluate(() => [...document.querySelectorAll('[data-proc], [data-row]')]
      .map((e) => (e.hasAttribute('data-proc') ? { proc: +e.getAttribute('data-proc'), text: e.textContent } : { row: e.getAttribute('data-row') })));
    const procs = labels.filter((l) => l.proc !== undefined);
    assert.ok(procs.length >= 5, `the parent and its children: ${JSON.stringify(procs)}`);
    assert.deepEqual(procs.map((p) => p.proc), [...procs.map((p) => p.proc)].sort((a, b) => a - b), 'processes in pid order');
    assert.equal(procs[0].proc, 1);
    assert.match(procs[0].text, /^pid 1: spawn\.wasm main /);
    assert.ok(procs.some((p) => /^pid \d+: \/sandbox\/spawn\.wasm exit 7$/.test(p.text)), JSON.stringify(procs));
    let current;
    for (const l of labels) {
      if (l.proc !== undefined) current = l.proc;
      else assert.equal(Number(l.row.split('/')[0]), current, `row ${l.row} under pid ${current}`);
    }
    assert.equal(new Set(labels.filter((l) => l.row).map((l) => l.row)).size, labels.filter((l) => l.row).length, 'one row per thread');
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
