// Makes docs/timeline.png: `weft run --profile X.html` of a WASIX program with threads (sleeps, a join,
// futex waits), opened in Chromium (Playwright, test/helpers/browser.mjs) and photographed.
// Usage: npm run build && bash tools/build-fixtures.sh && node tools/profile-screenshot.mjs [out.png]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { weft } from '../test/helpers/run.mjs';
import { fixture } from '../test/helpers/fixtures.mjs';
import { browserSkipReason, launchChromium } from '../test/helpers/browser.mjs';

const out = process.argv[2] ?? fileURLToPath(new URL('../docs/timeline.png', import.meta.url));
const why = browserSkipReason();
if (why) throw new Error(why);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-timeline-'));
try {
  const html = path.join(dir, 'join.html');
  const r = await weft(['run', '--profile', html, fixture('wasix', 'join')]);
  if (r.code !== 0) throw new Error(`weft exited ${r.code}: ${r.stderr}`);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 400 } });
    await page.goto(pathToFileURL(html).href);
    await page.waitForSelector('body[data-rendered]');
    // Hover the longest wait so the info line shows what a slice says.
    const box = await page.evaluate(() => {
      const rects = [...document.querySelectorAll('rect[data-slice]')];
      const longest = rects.reduce((a, b) => (+b.getAttribute('width') > +a.getAttribute('width') ? b : a));
      const r = longest.getBoundingClientRect();
      return { x: r.x + r.width / 3, y: r.y + r.height / 2, h: document.querySelector('#chart').getBoundingClientRect().bottom };
    });
    await page.mouse.move(box.x, box.y);
    await page.screenshot({ path: out, clip: { x: 0, y: 0, width: 1000, height: Math.min(400, Math.ceil(box.h) + 8) } });
    console.log(`wrote ${out}`);
  } finally {
    await browser.close();
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
