// How long until the first screen of thumbnails shows, and after jumping to
// the oldest month with the scrubber: run by benches/first-thumbnails.sh.
//
//   DARKROOM_E2E_BASE=… DARKROOM_E2E_USER=… DARKROOM_E2E_PASSWORD=… [RUNS=5] node e2e/first-thumbnails.mjs
//
// Each run is a fresh browser context (empty cache), signed in through the
// API first, so the time is: page, scripts, timeline, the first months'
// listings, the thumbnails on screen.
import { chromium } from 'playwright-core';

const base = process.env.DARKROOM_E2E_BASE;
const runs = Number(process.env.RUNS ?? 5);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});

/** Every tile on screen has its thumbnail decoded (and there is one). */
const screenShown = () => {
  const tiles = [...document.querySelectorAll('.tile')].filter((t) => {
    const r = t.getBoundingClientRect();
    return r.bottom > 0 && r.top < innerHeight && r.width > 0;
  });
  return (
    tiles.length > 0 &&
    tiles.every((t) => {
      const img = t.querySelector('img');
      return img && img.complete && img.naturalWidth > 0;
    })
  );
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const first = [];
const jump = [];
let facts = null;
for (let run = 0; run < runs; run += 1) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
  const login = await context.request.post(`${base}/api/v1/auth/login`, {
    data: { username: process.env.DARKROOM_E2E_USER, password: process.env.DARKROOM_E2E_PASSWORD },
  });
  if (!login.ok()) throw new Error(`sign-in failed: ${login.status()}`);
  const page = await context.newPage();
  const started = Date.now();
  await page.goto(`${base}/`);
  await page.waitForFunction(screenShown, null, { timeout: 60_000, polling: 'raf' });
  first.push(Date.now() - started);

  const jumped = Date.now();
  await page.getByRole('slider', { name: 'Jump to a month' }).focus();
  await page.keyboard.press('End');
  await page.waitForFunction(
    () =>
      document.querySelector('.scrubber')?.getAttribute('aria-valuenow') ===
      String(Number(document.querySelector('.scrubber').getAttribute('aria-valuemax'))),
    null,
    { timeout: 60_000 },
  );
  await page.waitForFunction(screenShown, null, { timeout: 60_000, polling: 'raf' });
  jump.push(Date.now() - jumped);

  facts ??= await page.evaluate(async () => {
    const timeline = await (await fetch('/api/v1/timeline')).json();
    return {
      photos: timeline.total,
      months: timeline.months.length,
      tilesInPage: document.querySelectorAll('.tile').length,
      monthsInPage: document.querySelectorAll('section.month').length,
    };
  });
  await context.close();
}
await browser.close();
console.log(
  JSON.stringify({
    ...facts,
    runs,
    first_thumbnails_ms: { median: median(first), all: first },
    after_jump_to_oldest_month_ms: { median: median(jump), all: jump },
  }),
);
