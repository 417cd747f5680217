// A big album's page in headless Chromium: how long until it shows its
// first photos, how many tiles the page holds, and how smoothly it scrolls
// from top to bottom (frame times while scrolling, and how long the bottom
// row takes to show). Run by benches/album-page.sh.
//   node benches/album-page.mjs BASE USER PASSWORD ALBUM_ID
import { createRequire } from 'node:module';
const require = createRequire(new URL('../frontend/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [base, user, password, album] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];
try {
  const page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
  await page.goto(base + '/');
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.topbar').waitFor();
  const runs = [];
  for (let run = 0; run < 3; run += 1) {
    await page.goto(base + '/#/albums');
    await page.locator('.album-grid').waitFor();
    await page.evaluate(() => document.scrollingElement.scrollTo(0, 0));
    const started = Date.now();
    await page.goto(`${base}/#/albums/${album}`);
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('.grid .tile img')];
      return imgs.length > 0 && imgs.slice(0, 10).every((i) => i.complete && i.naturalWidth > 0);
    }, null, { timeout: 120_000 });
    const firstPhotos = Date.now() - started;
    const tiles = await page.$$eval('.grid .tile', (t) => t.length);
    const total = await page.$eval('.muted', (e) => e.textContent);
    // Scroll to the bottom in steps of a screen, a frame's worth each.
    const scrolling = await page.evaluate(async () => {
      document.scrollingElement.scrollTo(0, 0);
      await new Promise((r) => requestAnimationFrame(r));
      const frames = [];
      let last = performance.now();
      const scroller = document.scrollingElement;
      const end = scroller.scrollHeight;
      const t0 = performance.now();
      while (scroller.scrollTop + innerHeight < end - 2) {
        scroller.scrollTop += innerHeight;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        frames.push(now - last);
        last = now;
      }
      const bottom = performance.now() - t0;
      return { frames, bottom, height: end };
    });
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('.grid .tile img')];
      return imgs.length > 0 && imgs.every((i) => i.complete);
    }, null, { timeout: 60_000 });
    const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
    runs.push({ firstPhotos, tiles, total, scrolling, heap });
  }
  for (const [i, r] of runs.entries()) {
    console.log(
      `run ${i + 1}: first photos in ${r.firstPhotos} ms; ${r.tiles} tiles in the DOM (${r.total.trim()}); ` +
        `page ${Math.round(r.scrolling.height)} px scrolled in ${r.scrolling.frames.length} screens, ` +
        `frame median ${median(r.scrolling.frames).toFixed(1)} ms, p95 ${p95(r.scrolling.frames).toFixed(1)} ms; ` +
        `JS heap ${(r.heap / 1e6).toFixed(1)} MB`,
    );
  }
  console.log(`album page: first photos median ${median(runs.map((r) => r.firstPhotos))} ms`);
} finally {
  await browser.close();
}
