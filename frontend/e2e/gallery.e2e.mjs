// End-to-end: the gallery in headless Chromium against a real server.
//
//   DARKROOM_E2E_BASE=http://127.0.0.1:PORT DARKROOM_E2E_USER=… DARKROOM_E2E_PASSWORD=… \
//   DARKROOM_E2E_MEMBER=… DARKROOM_E2E_MEMBER_PASSWORD=… (a second account) \
//   DARKROOM_E2E_PHOTOS=DIR DARKROOM_E2E_PAIR=DIR DARKROOM_E2E_ARTIFACTS=DIR [CHROMIUM=/usr/bin/chromium] \
//   node e2e/gallery.e2e.mjs
//
// DIR holds the photos to upload; the one named `located-*` records a GPS
// position, `not-a-photo.jpg` is text, `broken.jpg` a JPEG that cannot be
// rendered, `no-decoder.heic` (when there) an iPhone photo the server has no
// decoder for. Screenshots of the main screens at
// desktop and phone widths go to the artifacts folder. Run by
// tests/cli/web.rs, which starts the server and makes the photos.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.DARKROOM_E2E_BASE;
const user = process.env.DARKROOM_E2E_USER;
const password = process.env.DARKROOM_E2E_PASSWORD;
const memberName = process.env.DARKROOM_E2E_MEMBER;
const memberPassword = process.env.DARKROOM_E2E_MEMBER_PASSWORD;
const photosDir = process.env.DARKROOM_E2E_PHOTOS;
const artifacts = process.env.DARKROOM_E2E_ARTIFACTS;
mkdirSync(artifacts, { recursive: true });
for (const old of readdirSync(artifacts)) if (old.startsWith('failure-')) rmSync(path.join(artifacts, old));

const files = readdirSync(photosDir).sort();
const badFile = path.join(photosDir, 'not-a-photo.jpg');
const brokenFile = path.join(photosDir, 'broken.jpg');
const undecodable = files.includes('no-decoder.heic') ? path.join(photosDir, 'no-decoder.heic') : null;
const special = new Set(['not-a-photo.jpg', 'broken.jpg', 'no-decoder.heic']);
const photos = files.filter((f) => !special.has(f)).map((f) => path.join(photosDir, f));
const located = files.find((f) => f.startsWith('located-'));
// A camera's RAW and its JPEG of one exposure (DARKROOM_E2E_PAIR: a folder
// of those two files), sent apart from the other photos.
// The same folder holds a Pixel's motion photo (`*.MP.jpg`).
const pairDir = process.env.DARKROOM_E2E_PAIR;
const extras = readdirSync(pairDir).sort();
const pairFiles = extras.filter((f) => !f.includes('.MP.')).map((f) => path.join(pairDir, f));
assert.equal(pairFiles.length, 2, 'a RAW and its JPEG');
const motionFile = path.join(
  pairDir,
  extras.find((f) => f.includes('.MP.')),
);
// Its video's length, which web.rs puts in the name (`…_v<length>.MP.jpg`).
const motionVideoLength = Number(path.basename(motionFile).match(/_v(\d+)\.MP\./)[1]);
assert.ok(located, 'a photo with a GPS position is among the fixtures');

// Tall enough that the whole small library (five months and the "on this
// day" strip) is drawn at once: the tests count its tiles.
const DESKTOP = { width: 1366, height: 1000 };
const PHONE = { width: 375, height: 740 };
const step = (name) => console.log(`e2e: ${name}`);
const shot = async (page, name) => {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file });
  console.log(`e2e: screenshot ${file}`);
};
/** Nothing wider than the screen: no sideways scrolling on a phone. */
const fitsWidth = async (page, what) => {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width + 1, `${what} is ${scroll} px wide on a ${width} px screen`);
};
/** The mean brightness (0–255) of an image element's pixels. */
/** The viewer's current photo has loaded. */
const slideShown = (page) =>
  page.waitForFunction(() => {
    const img = document.querySelector('.pswp__item[aria-hidden=false] img.pswp__img:not(.pswp__img--placeholder)');
    return img?.complete && img.naturalWidth > 0;
  });
const brightness = (page, selector) =>
  page.$eval(selector, async (img) => {
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 64;
    const g = canvas.getContext('2d');
    g.drawImage(img, 0, 0, 64, 64);
    const data = g.getImageData(0, 0, 64, 64).data;
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum += (data[i] + data[i + 1] + data[i + 2]) / 3;
    return sum / (data.length / 4);
  });

/**
 * axe-core's WCAG 2 A and AA checks on what the page shows now (labels,
 * names, contrast, landmarks…): none of serious or critical impact.
 */
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const accessible = async (page, what) => {
  await page.evaluate(axeSource); // DevTools evaluation: not subject to the page's CSP
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}): ${v.help} — ${v.nodes
            .slice(0, 3)
            .map((n) => n.target.join(' '))
            .join(', ')}`,
      );
  });
  assert.deepEqual(violations, [], `accessibility of ${what}`);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const errors = [];
const watch = (page, label) => {
  page.on('pageerror', (e) => errors.push(`${label}: ${e.message}`));
  // The page's Content-Security-Policy must not be in the app's own way.
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(`${label}: ${m.text()}`);
  });
};

try {
  // The dark theme here; other contexts take Playwright's default (light).
  const context = await browser.newContext({ viewport: DESKTOP, colorScheme: 'dark' });
  const page = await context.newPage();
  watch(page, 'desktop');
  page.setDefaultTimeout(30_000);

  step('sign in');
  await page.goto(base + '/');
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
  await shot(page, 'desktop-sign-in');
  await accessible(page, 'the sign-in page');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('No photos yet').waitFor();

  step('upload with progress, one connection dropped on the way');
  let dropped = 0;
  await page.route('**/api/v1/uploads/*', (route) => {
    if (route.request().method() === 'PATCH' && dropped === 0) {
      dropped += 1;
      return route.abort('connectionreset');
    }
    return route.continue();
  });
  await page.locator('[data-testid=file-input]').setInputFiles(photos);
  await page.locator('progress.batch').waitFor();
  await page
    .locator('.upload[data-state=done]')
    .nth(photos.length - 1)
    .waitFor({ timeout: 120_000 });
  assert.equal(dropped, 1, 'one PATCH was cut off');
  const batch = await page.$eval('progress.batch', (p) => [p.value, p.max]);
  assert.equal(batch[0], batch[1], 'the batch bar is full');
  await shot(page, 'desktop-uploaded');
  await page.unroute('**/api/v1/uploads/*');

  step('duplicates and refusals in plain words');
  await page.locator('[data-testid=file-input]').setInputFiles([photos[0], badFile]);
  await page.locator('.upload[data-state=duplicate]').filter({ hasText: 'Already in your library' }).waitFor();
  await page.locator('.upload[data-state=failed]').filter({ hasText: 'Not a photo darkroom can read' }).waitFor();
  await shot(page, 'desktop-upload-errors');
  await page.getByRole('button', { name: 'Close the uploads list' }).click();

  step('thumbnails');
  // Every photo rendered (the server says so), and every tile on screen
  // showing its thumbnail (the timeline draws only the tiles near the view).
  await page.waitForFunction(
    async (n) => {
      const { assets } = await (await fetch(`/api/v1/assets?limit=${n}`)).json();
      return assets.length >= n && assets.every((a) => a.renditions.every((r) => r.status === 'ready'));
    },
    photos.length,
    { timeout: 180_000, polling: 1000 },
  );
  await page.waitForFunction(() => {
    const shown = [...document.querySelectorAll('.tile img')];
    return shown.length >= 3 && shown.every((i) => i.complete && i.naturalWidth > 0);
  });
  const srcset = await page.getAttribute('.tile img', 'srcset');
  assert.match(srcset, /renditions\/thumb.* \d+w, .*renditions\/preview.* \d+w/, 'srcset offers thumb and preview');
  await shot(page, 'desktop-library');
  await accessible(page, 'the library');

  step('on this day');
  const memories = page.getByRole('region', { name: 'On this day' });
  await memories.getByText('5 years ago').waitFor();
  await memories.getByRole('button', { name: /5 years ago/ }).click();
  await page.locator('.pswp--open').waitFor();
  await slideShown(page);
  await page.keyboard.press('Escape');
  await page.locator('.pswp').waitFor({ state: 'detached' });

  step('viewer: keyboard, details, favourite, title');
  await page.getByRole('button', { name: new RegExp(`^${located}`) }).click();
  await page.locator('.pswp--open').waitFor();
  const panel = page.locator('.info-panel');
  await panel.getByRole('link', { name: /^-?\d+\.\d{5}, -?\d+\.\d{5}$/ }).waitFor();
  // Its place, named on this server, links to the library's photos there.
  await panel.locator('a[href^="#/?country="]').waitFor();
  await slideShown(page);
  await shot(page, 'desktop-viewer');
  await accessible(page, 'the viewer');
  await panel.getByRole('button', { name: '♡ Favourite' }).click();
  await panel.getByRole('button', { name: '♥ Favourite' }).waitFor();
  await panel.getByLabel('Title').fill('Evening by the river');
  await panel.getByLabel('Title').press('Tab');
  await panel.getByRole('heading', { name: 'Evening by the river' }).waitFor();
  const counter = () => page.locator('.pswp__counter').innerText();
  const before = await counter();
  await page.locator('.pswp').focus();
  await page.keyboard.press(before.startsWith('1 /') ? 'ArrowRight' : 'ArrowLeft');
  await page.waitForFunction((b) => document.querySelector('.pswp__counter').innerText !== b, before);
  await page.keyboard.press('Escape');
  await page.locator('.pswp').waitFor({ state: 'detached' });

  step('select with shift-click');
  const checks = page.locator('.tile-check');
  await checks.nth(0).click();
  await checks.nth(2).click({ modifiers: ['Shift'] });
  await page.getByText('3 selected').waitFor();
  await page.getByRole('button', { name: 'Clear' }).click();

  step('an album from three photos, with the located one');
  await page.getByRole('checkbox', { name: `Select Evening by the river` }).click();
  const others = page.locator('.tile:not(:has([aria-label^="Evening"])) .tile-check');
  await others.nth(0).click();
  await others.nth(1).click();
  await page.getByText('3 selected').waitFor();
  await page.getByRole('button', { name: 'Add to album…' }).click();
  await page.getByLabel('New album').fill('River trip');
  await page.getByRole('button', { name: 'Create and add' }).click();
  await page.getByText('Added to “River trip”.').waitFor();
  await page.getByRole('link', { name: 'Albums' }).click();
  await page.getByRole('link', { name: /River trip\s*3 photos/ }).click();
  await page.locator('.grid .tile img').nth(2).waitFor();
  assert.equal(await page.locator('.grid .tile').count(), 3);

  step('cover and order');
  const order = () => page.$$eval('.grid .tile', (tiles) => tiles.map((t) => t.dataset.assetId));
  const first = await order();
  await page.locator('.grid .tile-check').nth(0).click();
  await page.getByRole('button', { name: 'Set as cover' }).click();
  await page.getByText('Cover set.').waitFor();
  await page.getByRole('button', { name: 'Move later' }).click();
  await page.getByText('Order saved.').waitFor();
  await page.waitForFunction((was) => document.querySelector('.grid .tile')?.dataset.assetId !== was, first[0]);
  const second = await order();
  assert.deepEqual(second, [first[1], first[0], first[2]], 'the first photo moved one place later');
  const albumUrl = page.url();
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.locator('.grid .tile-badge').waitFor();
  await shot(page, 'desktop-album');
  await accessible(page, 'an album');

  step('rename the album, remove a photo, put it back');
  await page.getByLabel('Album name').fill('River trip 2026');
  await page.getByLabel('Album name').press('Enter');
  await page.getByText('Renamed.').waitFor();
  await page.locator('.grid .tile-check').nth(2).click();
  await page.getByRole('button', { name: 'Remove from album' }).click();
  await page.getByText('Removed from the album.').waitFor();
  await page.waitForFunction(() => document.querySelectorAll('.grid .tile').length === 2);
  await page.getByRole('link', { name: 'Library' }).click();
  await page.locator(`.tile[data-asset-id="${second[2]}"] .tile-check`).click();
  await page.getByRole('button', { name: 'Add to album…' }).click();
  await page.getByRole('button', { name: /^River trip 2026/ }).click();
  await page.getByText('Added to “River trip 2026”.').waitFor();
  await page.goto(albumUrl);
  await page.waitForFunction(() => document.querySelectorAll('.grid .tile img').length === 3);

  step('filters and search');
  await page.getByRole('link', { name: 'Library' }).click();
  const allTiles = photos.length;
  await page.waitForFunction((n) => document.querySelectorAll('.tile').length === n, allTiles);
  const search = page.getByLabel('Search photos');
  const onlyTile = (name) =>
    page.waitForFunction((name) => {
      const tiles = document.querySelectorAll('.tile .tile-open');
      return tiles.length === 1 && tiles[0].getAttribute('aria-label').startsWith(name);
    }, name);
  // By a word of the file name, by the title given in the viewer (prefixes
  // of words, any case), and back to everything.
  await search.fill('located');
  await page.waitForFunction(() => document.querySelectorAll('.tile').length === 1);
  await search.fill('RIV');
  await onlyTile('Evening by the river');
  await shot(page, 'desktop-search');
  await search.fill('');
  await page.waitForFunction((n) => document.querySelectorAll('.tile').length === n, allTiles);
  await page.getByRole('button', { name: /^Filters/ }).click();
  await page.getByLabel('Favourites only').check();
  // Only the favourite.
  await page.waitForFunction(() => {
    const tiles = document.querySelectorAll('.tile');
    return tiles.length === 1 && tiles[0].querySelector('.tile-fav');
  });
  const cameras = await page.getByLabel('Camera').locator('option').allInnerTexts();
  assert.ok(cameras.length >= 2, `the camera menu lists the library's cameras: ${cameras}`);
  await accessible(page, 'the filters');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('.tile').length === n, allTiles);
  await page.getByRole('button', { name: /^Filters/ }).click();

  step('bulk: select a month, rate, tag, favourite, download');
  await page.getByRole('link', { name: 'Library' }).click();
  await page.locator('.tile img').first().waitFor();
  await page
    .getByRole('button', { name: /^Select every photo of / })
    .first()
    .click();
  const picked = Number((await page.locator('.selection-count').innerText()).split(' ')[0]);
  assert.ok(picked >= 1, `a month's photos are selected (${picked})`);
  await page.getByLabel('Rate the selected photos').selectOption('3');
  await page.getByText('Rated 3 ★.').waitFor();
  await page.getByLabel('Keyword to add to the selected photos').fill('Bulk');
  await page.getByRole('button', { name: 'Tag', exact: true }).click();
  await page.getByText(/^Keyword “bulk” added to/).waitFor();
  const tagged = await page.evaluate(async () => (await (await fetch('/api/v1/assets?keyword=bulk')).json()).assets);
  assert.equal(tagged.length, picked, 'every selected photo has the keyword');
  assert.ok(
    tagged.every((a) => a.rating === 3),
    'and the rating',
  );
  await accessible(page, 'the selection bar');
  const [zip] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download', exact: true }).click(),
  ]);
  assert.equal(zip.suggestedFilename(), 'photos.zip');
  const zipBytes = readFileSync(await zip.path());
  assert.equal(zipBytes.subarray(0, 2).toString(), 'PK', 'a ZIP');
  await page.getByRole('button', { name: 'Clear', exact: true }).click();

  step('share several photos at once');
  await page.locator('.tile-check').nth(0).click();
  await page.locator('.tile-check').nth(1).click();
  await page.getByRole('button', { name: 'Share…', exact: true }).click();
  const several = page.getByRole('dialog', { name: /^Share the album “Shared / });
  await several.getByRole('button', { name: 'Create link' }).click();
  assert.match(await several.locator('#share-url').inputValue(), /\/s\/[^/]+$/);
  await several.getByRole('button', { name: 'Close', exact: true }).click();
  const sharedAlbum = (await page.evaluate(async () => (await (await fetch('/api/v1/albums')).json()).albums))[0];
  assert.match(sharedAlbum.name, /^Shared /);
  assert.equal(sharedAlbum.asset_count, 2, 'the two photos, in a new album');

  step('places and the map');
  await page.getByRole('link', { name: 'Places' }).click();
  const placeCard = page.locator('.place-country .album-card').first();
  await placeCard.waitFor();
  const placeName = await placeCard.locator('.album-name').innerText();
  await page.waitForFunction(() => {
    const img = document.querySelector('.place-country .album-card img');
    return img?.complete && img.naturalWidth > 0;
  });
  await shot(page, 'desktop-places');
  await accessible(page, 'the places page');
  await placeCard.click();
  await page.getByText(`Taken in ${placeName}`).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('.tile').length === 1);
  await page.getByRole('link', { name: 'Map' }).click();
  await page.getByText('1 photo with a location').waitFor();
  // OpenStreetMap's tiles may not load here (no network); the photo does.
  const onMap = page.locator('.map-photo');
  await onMap.waitFor();
  await page.waitForFunction(() => document.querySelector('.map-photo img')?.naturalWidth > 0);
  await shot(page, 'desktop-map');
  await accessible(page, 'the map');
  await onMap.click();
  await page.locator('.pswp--open').waitFor();
  await slideShown(page);
  await page.keyboard.press('Escape');
  await page.locator('.pswp').waitFor({ state: 'detached' });

  step('edit: the live preview follows the sliders');
  await page.goto(albumUrl);
  await page.locator('.grid .tile-open').nth(0).click();
  await page.locator('.pswp--open').waitFor();
  await page.locator('.info-panel').getByRole('button', { name: 'Edit' }).click();
  const preview = page.locator('[data-testid=edit-preview]');
  await preview.waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=edit-preview]')?.src.startsWith('blob:'));
  const plainSrc = await preview.getAttribute('src');
  const plainLight = await brightness(page, '[data-testid=edit-preview]');
  await page.locator('#edit-exposure').fill('1.5');
  await page.waitForFunction((old) => document.querySelector('[data-testid=edit-preview]').src !== old, plainSrc);
  const brighter = await brightness(page, '[data-testid=edit-preview]');
  assert.ok(
    brighter > plainLight + 10,
    `+1.5 stops brightened the preview (${plainLight.toFixed(1)} → ${brighter.toFixed(1)})`,
  );
  await page.getByRole('button', { name: 'Crop', exact: true }).click();
  await page.locator('.crop-rect').waitFor();
  await shot(page, 'desktop-editor');
  await accessible(page, 'the editor');
  await page.getByRole('button', { name: 'Done cropping' }).click();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.', { exact: false }).waitFor();
  await page.getByRole('button', { name: /Version 1 \(current\)/ }).waitFor();
  await page.getByRole('button', { name: 'Close the editor' }).click();

  step('share the album, open it without an account');
  await page.goto(albumUrl);
  await page.getByRole('button', { name: 'Share album…' }).click();
  await page.getByLabel('Allow downloading the originals').check();
  await page.getByRole('button', { name: 'Create link' }).click();
  const shareUrl = await page.locator('#share-url').inputValue();
  const links = await page.evaluate(async () => (await (await fetch('/api/v1/shares')).json()).links);
  // Newest first; the list keeps no token (darkroom stores only its hash).
  const link = links[0];
  assert.equal(link.type, 'album');
  assert.ok(!('token' in link) && !('url' in link), 'the list shows no token');
  const days = (Date.parse(link.expires_at) - Date.now()) / 86400e3;
  assert.ok(days > 29.9 && days <= 30, `the link expires in 30 days by default (${link.expires_at})`);
  assert.ok(link.allow_download && !link.has_password);
  assert.match(shareUrl, /\/s\/[^/]+$/);
  await shot(page, 'desktop-share-dialog');
  await page.getByRole('button', { name: 'Close' }).click();

  const stranger = await browser.newContext({ viewport: DESKTOP });
  const publicPage = await stranger.newPage();
  watch(publicPage, 'share page');
  publicPage.setDefaultTimeout(30_000);
  await publicPage.goto(shareUrl);
  await publicPage.getByRole('heading', { name: 'River trip' }).waitFor();
  await publicPage.waitForFunction(
    () => [...document.querySelectorAll('.tile img')].filter((i) => i.complete && i.naturalWidth > 0).length === 3,
  );
  const token = shareUrl.split('/s/')[1];
  const sharedJson = await publicPage.evaluate(async (t) => (await fetch(`/api/v1/shared/${t}/assets`)).text(), token);
  assert.ok(sharedJson.includes('Evening by the river'), 'the shared listing has the located photo');
  assert.equal(await publicPage.locator('.tile-fav').count(), 0, "the owner's favourites are not shown");
  assert.ok(!/gps|latitude|longitude|has_location/i.test(sharedJson), 'the shared listing says nothing of location');
  await shot(publicPage, 'desktop-share-page');
  await accessible(publicPage, 'the share page');
  await publicPage.getByRole('button', { name: /^Evening by the river/ }).click();
  await publicPage.locator('.pswp--open').waitFor();
  await publicPage.locator('.info-panel').waitFor();
  assert.equal(
    await publicPage.locator('.info-panel').getByText('Location').count(),
    0,
    'no location row on the share page',
  );
  assert.equal(await publicPage.locator('.info-panel a[href*="openstreetmap"]').count(), 0);
  await slideShown(publicPage);
  await shot(publicPage, 'desktop-share-viewer');
  const cookies = await stranger.cookies();
  assert.ok(!cookies.some((c) => c.name === 'drk_session'), 'the share page did not sign anyone in');

  step('share the album with another account, location hidden, then shown');
  await page.goto(albumUrl);
  await page.getByRole('button', { name: /^Members/ }).click();
  const membersDialog = page.getByRole('dialog', { name: /^Members of “River trip/ });
  await membersDialog.getByLabel('User name').fill(memberName);
  await membersDialog.getByLabel('Role').selectOption('viewer');
  await membersDialog.getByRole('button', { name: 'Add member' }).click();
  await membersDialog.getByText(`Shared with ${memberName}.`).waitFor();
  await membersDialog.getByRole('list', { name: 'Members' }).getByText(memberName, { exact: true }).waitFor();
  await shot(page, 'desktop-album-members');
  await accessible(page, 'the members dialog');
  await membersDialog.getByRole('button', { name: 'Close' }).click();

  const memberContext = await browser.newContext({ viewport: DESKTOP });
  const memberPage = await memberContext.newPage();
  watch(memberPage, 'member');
  memberPage.setDefaultTimeout(30_000);
  await memberPage.goto(base + '/');
  await memberPage.getByLabel('User name').fill(memberName);
  await memberPage.getByLabel('Password').fill(memberPassword);
  await memberPage.getByRole('button', { name: 'Sign in' }).click();
  await memberPage.getByText('No photos yet').waitFor();
  await memberPage.goto(base + '/#/albums');
  await memberPage.getByText(`Shared by ${user}`).waitFor();
  await memberPage.getByRole('link', { name: /River trip/ }).click();
  await memberPage.getByText(`shared by ${user} · you are a viewer`).waitFor();
  await memberPage.waitForFunction(
    () => [...document.querySelectorAll('.tile img')].filter((i) => i.complete && i.naturalWidth > 0).length === 3,
  );
  assert.equal(await memberPage.getByRole('button', { name: 'Delete album' }).count(), 0, 'a viewer deletes nothing');
  assert.equal(await memberPage.getByRole('button', { name: 'Share album…' }).count(), 0);
  const albumId = albumUrl.split('#/albums/')[1];
  const memberJson = await memberPage.evaluate(
    async (id) => (await fetch(`/api/v1/albums/${id}/assets`)).text(),
    albumId,
  );
  assert.ok(memberJson.includes('Evening by the river'), "the member sees the owner's title");
  assert.ok(!/gps|latitude|has_location/i.test(memberJson), 'a member sees no location by default');
  await shot(memberPage, 'desktop-shared-album');
  await accessible(memberPage, 'an album shared with you');
  await memberPage.getByRole('button', { name: /^Evening by the river/ }).click();
  await memberPage.locator('.pswp--open').waitFor();
  const memberPanel = memberPage.locator('.info-panel');
  await memberPanel.getByRole('link', { name: 'Download original' }).waitFor();
  assert.match(
    await memberPanel.getByRole('link', { name: 'Download original' }).getAttribute('href'),
    /^\/api\/v1\/albums\//,
  );
  assert.equal(await memberPanel.getByText('Location').count(), 0, 'no location row');
  assert.equal(await memberPanel.getByRole('button', { name: /Favourite/ }).count(), 0, "the owner's marks are theirs");
  assert.equal(await memberPanel.getByRole('button', { name: 'Edit' }).count(), 0);
  await slideShown(memberPage);
  await memberPage.keyboard.press('Escape');
  // The owner lets members see where photos were taken.
  await page.getByRole('button', { name: /^Members/ }).click();
  await membersDialog.getByLabel('Members see where photos were taken').check();
  await membersDialog.getByText('Members now see where photos were taken.').waitFor();
  await membersDialog.getByRole('button', { name: 'Close' }).click();
  await memberPage.reload();
  await memberPage.getByRole('button', { name: /^Evening by the river/ }).click();
  await memberPanel.getByRole('link', { name: /^-?\d+\.\d{5}, -?\d+\.\d{5}$/ }).waitFor();
  await memberPage.keyboard.press('Escape');
  // And the member leaves.
  await memberPage.getByRole('button', { name: 'Members…' }).click();
  memberPage.once('dialog', (dialog) => dialog.accept());
  await memberPage.getByRole('button', { name: 'Leave album' }).click();
  await memberPage.getByText('No albums yet').waitFor();
  await memberContext.close();

  step('the sharing page: what each link shares, changed in place');
  await page.getByRole('link', { name: 'Sharing' }).click();
  const albumRow = page.getByRole('row', { name: /River trip 2026/ });
  await albumRow.locator('img.link-thumb').waitFor();
  await albumRow.getByRole('button', { name: 'Change the link to River trip 2026' }).click();
  const changeDialog = page.getByRole('dialog', { name: 'Change the link to River trip 2026' });
  await changeDialog.getByLabel('Expires').selectOption('year');
  await accessible(page, 'changing a link');
  await changeDialog.getByRole('button', { name: 'Save' }).click();
  await changeDialog.waitFor({ state: 'detached' });
  const changedLink = (await page.evaluate(async () => (await (await fetch('/api/v1/shares')).json()).links))[0];
  const yearDays = (Date.parse(changedLink.expires_at) - Date.now()) / 86400e3;
  assert.ok(yearDays > 364 && yearDays <= 365, `the link now expires in a year (${changedLink.expires_at})`);
  await shot(page, 'desktop-sharing');
  await accessible(page, 'the sharing page');
  const stillOpen = await publicPage.evaluate(async (t) => (await fetch(`/api/v1/shared/${t}`)).status, token);
  assert.equal(stillOpen, 200, 'the same URL still opens');
  await page.goto(albumUrl);

  step('share one photo with a password');
  await page.locator('.grid .tile-open').nth(1).click();
  await page.locator('.pswp--open').waitFor();
  await page.locator('.info-panel').getByRole('button', { name: 'Share…' }).click();
  await page.getByLabel('Password').fill('darkroom-secret');
  await page.getByRole('button', { name: 'Create link' }).click();
  const photoUrl = await page.locator('#share-url').inputValue();
  await page.getByRole('button', { name: 'Close', exact: true }).click();
  await page.keyboard.press('Escape');
  const locked = await stranger.newPage();
  watch(locked, 'locked share page');
  await locked.goto(photoUrl);
  await locked.getByRole('heading', { name: 'This link is protected' }).waitFor();
  await locked.getByLabel('Password').fill('a guess');
  await locked.getByRole('button', { name: 'Open' }).click();
  await locked.getByRole('alert').filter({ hasText: 'not the password' }).waitFor();
  await locked.getByLabel('Password').fill('darkroom-secret');
  await locked.getByRole('button', { name: 'Open' }).click();
  await locked.waitForFunction(() => document.querySelector('.tile img')?.complete);
  assert.equal(await locked.locator('.tile').count(), 1);

  step('admin');
  await page.getByRole('link', { name: 'Admin' }).click();
  await page.getByText('Saved by deduplication').waitFor();
  await page.locator('.chart svg').waitFor();
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid=jobs-done]')?.innerText.replace(/\D/g, '')) > 0,
  );
  await shot(page, 'desktop-admin');
  await accessible(page, 'the admin page');

  step('a photo that cannot be rendered: a failed job, retried from the admin page');
  await page.locator('[data-testid=file-input]').setInputFiles(brokenFile);
  await page.locator('.upload[data-state=done]', { hasText: 'broken.jpg' }).waitFor();
  await page.getByRole('button', { name: 'Close the uploads list' }).click();
  await page.getByLabel('Show jobs').selectOption('failed');
  const failedRow = page.getByRole('row').filter({ hasText: 'failed' }).first();
  await failedRow.getByRole('button', { name: 'Retry' }).waitFor({ timeout: 60_000 });
  assert.ok(Number(await page.getByTestId('jobs-failed').innerText()) >= 1);
  await failedRow.getByRole('button', { name: 'Retry' }).click();
  await page.getByText('Queued again.').waitFor();
  await page.getByLabel('Show jobs').selectOption('');

  step('a quota set on the admin page stops uploads, said in words');
  page.once('dialog', (dialog) => dialog.accept('1K'));
  await page
    .getByRole('row', { name: new RegExp(`^${user} `) })
    .getByRole('button', { name: 'Quota…' })
    .click();
  await page.getByText(`Quota of ${user} set.`).waitFor();
  await page
    .getByRole('row', { name: new RegExp(`^${user} `) })
    .getByText('of 1.0 KB')
    .waitFor();
  await page.locator('[data-testid=file-input]').setInputFiles({
    name: 'one-more.jpg',
    mimeType: 'image/jpeg',
    buffer: readFileSync(photos[0]).subarray(0, 4096),
  });
  await page.locator('.upload[data-state=failed]').filter({ hasText: 'Over your storage quota' }).waitFor();
  page.once('dialog', (dialog) => dialog.accept(''));
  await page
    .getByRole('row', { name: new RegExp(`^${user} `) })
    .getByRole('button', { name: 'Quota…' })
    .click();
  await page
    .getByRole('row', { name: new RegExp(`^${user} `) })
    .getByText('of no quota')
    .waitFor();

  step('drag and drop a file onto the page (a photo already there)');
  const droppedFiles = await page.evaluateHandle(
    ([name, bytes]) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/jpeg' }));
      return transfer;
    },
    ['dropped.jpg', [...readFileSync(photos[1])]],
  );
  await page.dispatchEvent('main', 'dragenter', { dataTransfer: droppedFiles });
  await page.locator('.drop-overlay').waitFor();
  await page.dispatchEvent('main', 'drop', { dataTransfer: droppedFiles });
  await page.locator('.upload[data-state=duplicate]', { hasText: 'dropped.jpg' }).waitFor();

  step('trash and restore');
  await page.getByRole('link', { name: 'Library' }).click();
  await page.locator('.tile:has(.tile-pending) .tile-check').click();
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'Move to trash' }).click();
  await page.getByText('1 photo moved to the trash.').waitFor();
  await page.waitForFunction(() => !document.querySelector('.tile .tile-pending'));
  await page.getByRole('link', { name: 'Trash' }).click();
  await page.locator('.grid .tile').waitFor();
  assert.equal(await page.locator('.grid .tile').count(), 1);
  await accessible(page, 'the trash');
  await page.locator('.grid .tile-open').click();
  await page.getByRole('button', { name: 'Restore' }).click();
  await page.getByText('1 photo back in the library.').waitFor();
  await page.getByText('The trash is empty.').waitFor();
  await page.getByRole('link', { name: 'Library' }).click();
  await page.locator('.tile .tile-pending').waitFor();
  // The photo edited above says so on its tile, and only it.
  await page.locator('.tile .tile-kind-edited').waitFor();
  assert.equal(await page.locator('.tile .tile-kind-edited').count(), 1);

  step('a photo with no decoder on the server: No preview, and why');
  if (undecodable) {
    await page.locator('[data-testid=file-input]').setInputFiles(undecodable);
    await page.locator('.upload[data-state=done]', { hasText: 'no-decoder.heic' }).waitFor();
    await page.getByRole('button', { name: 'Close the uploads list' }).click();
    // Found by its name's words (an iPhone dates it years back, far down
    // the timeline).
    await page.getByLabel('Search photos').fill('decoder');
    const noPreview = page.locator('.tile .tile-pending[title*="need libheif"]');
    await noPreview.waitFor({ timeout: 60_000 });
    assert.equal(await noPreview.innerText(), 'No preview');
    // Never a spinner for it: the job is over.
    assert.equal(await page.locator('.tile .tile-pending', { hasText: 'Processing' }).count(), 0);
    // Out of the way of the steps after this one (trash, then purge).
    const id = await noPreview.evaluate((el) => el.closest('.tile').dataset.assetId);
    await page.evaluate(async (id) => {
      const csrf = (await (await fetch('/api/v1/auth/session')).json()).csrf_token;
      for (const url of [`/api/v1/assets/${id}`, `/api/v1/trash/${id}`])
        await fetch(url, { method: 'DELETE', headers: { 'X-CSRF-Token': csrf } });
    }, id);
    await page.getByLabel('Search photos').fill('');
  } else {
    console.log('e2e: no HEIC fixture (no shared corpus): the No preview check did not run');
  }

  step('a camera RAW+JPEG pair: one tile, both files to download');
  // Sent one after the other, so the second is the one that pairs.
  await page.locator('[data-testid=file-input]').setInputFiles(pairFiles[0]);
  await page.locator('.upload[data-state=done]', { hasText: path.basename(pairFiles[0]) }).waitFor();
  await page.locator('[data-testid=file-input]').setInputFiles(pairFiles[1]);
  await page.locator('.upload[data-state=paired]', { hasText: path.basename(pairFiles[1]) }).waitFor();
  await page.getByRole('button', { name: 'Close the uploads list' }).click();
  await page.getByLabel('Search photos').fill('DSCF0007');
  const pairTile = page.locator('.tile:has(.tile-kind-pair)');
  // The library's tiles (the pair's among them) stay until the search's
  // page replaces them, so wait for the search's answer: one tile, the pair.
  await page
    .waitForFunction(() => {
      const tiles = document.querySelectorAll('.tile');
      return tiles.length === 1 && tiles[0].querySelector('.tile-kind-pair') !== null;
    })
    .catch(() => {});
  assert.equal(await page.locator('.tile').count(), 1, 'the two files are one photo');
  await pairTile.waitFor();
  // Its look is the camera's JPEG (green), not the RAW developed (red).
  const middleColour = () =>
    pairTile.locator('img').evaluate(async (img) => {
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 8;
      const g = canvas.getContext('2d');
      g.drawImage(img, 0, 0, 8, 8);
      return [...g.getImageData(4, 4, 1, 1).data.slice(0, 3)];
    });
  let look = null;
  for (let tries = 0; tries < 60 && !(look && look[1] > look[0] + 60); tries++) {
    if (tries) await page.waitForTimeout(1000);
    look = await middleColour().catch(() => null);
  }
  assert.ok(look && look[1] > look[0] + 60, `the pair's tile shows its JPEG, green: ${look}`);
  await pairTile.locator('.tile-open').click();
  // Once the photo shows, the details panel is as the viewer opened it
  // (beside the photo on a wide screen); open it if it is not.
  await page.locator('.pswp--open').waitFor();
  await slideShown(page);
  if (!(await page.locator('.info-panel').isVisible()))
    await page.getByRole('button', { name: 'Show or hide details' }).click();
  await page.locator('.info-panel').waitFor();
  assert.equal(
    await page.getByRole('button', { name: 'Play or stop the motion' }).isVisible(),
    false,
    'a still has no motion to play',
  );
  for (const file of pairFiles) {
    const link = page.locator('.info-panel .info-files').getByRole('link', { name: `Download ${path.basename(file)}` });
    await link.waitFor();
    const fetched = await page.evaluate(
      async (href) => (await fetch(href)).arrayBuffer().then((b) => b.byteLength),
      await link.getAttribute('href'),
    );
    assert.equal(fetched, readFileSync(file).length, `${path.basename(file)} downloads whole`);
  }
  await shot(page, 'desktop-pair-details');
  await page.keyboard.press('Escape');
  await page.locator('.pswp').waitFor({ state: 'detached' });
  // Out of the way of the steps after this one (trash, then purge).
  const pairId = await pairTile.evaluate((el) => el.dataset.assetId);
  await page.evaluate(async (id) => {
    const csrf = (await (await fetch('/api/v1/auth/session')).json()).csrf_token;
    for (const url of [`/api/v1/assets/${id}`, `/api/v1/trash/${id}`])
      await fetch(url, { method: 'DELETE', headers: { 'X-CSRF-Token': csrf } });
  }, pairId);
  await page.getByLabel('Search photos').fill('');

  step('a motion photo: its video plays in the viewer');
  await page.locator('[data-testid=file-input]').setInputFiles(motionFile);
  await page.locator('.upload[data-state=done]', { hasText: path.basename(motionFile) }).waitFor();
  await page.getByRole('button', { name: 'Close the uploads list' }).click();
  await page.getByLabel('Search photos').fill('PXL_20250314');
  const motionTile = page.locator('.tile', { has: page.getByRole('button', { name: /^PXL_20250314/ }) });
  await motionTile.locator('.tile-open').click();
  await page.locator('.pswp--open').waitFor();
  await page.getByRole('button', { name: 'Play or stop the motion' }).click();
  const video = page.getByLabel('The motion of this photo');
  await video.waitFor();
  const served = await video.evaluate(async (v) => {
    const response = await fetch(v.currentSrc || v.src);
    return [response.status, response.headers.get('content-type'), (await response.arrayBuffer()).byteLength];
  });
  assert.deepEqual(served, [200, 'video/mp4', motionVideoLength], 'the video after the still, whole');
  await page.keyboard.press('m');
  await video.waitFor({ state: 'detached' });
  await page.keyboard.press('Escape');
  await page.locator('.pswp').waitFor({ state: 'detached' });
  const motionId = await motionTile.evaluate((el) => el.dataset.assetId);
  await page.evaluate(async (id) => {
    const csrf = (await (await fetch('/api/v1/auth/session')).json()).csrf_token;
    for (const url of [`/api/v1/assets/${id}`, `/api/v1/trash/${id}`])
      await fetch(url, { method: 'DELETE', headers: { 'X-CSRF-Token': csrf } });
  }, motionId);
  await page.getByLabel('Search photos').fill('');

  step('phone width');
  const phone = await browser.newContext({
    viewport: PHONE,
    storageState: await context.storageState(),
    isMobile: true,
    hasTouch: true,
  });
  const small = await phone.newPage();
  watch(small, 'phone');
  small.setDefaultTimeout(30_000);
  await small.goto(base + '/');
  await small.locator('.tile img').first().waitFor();
  await small.waitForTimeout(500);
  await fitsWidth(small, 'the library');
  await shot(small, 'phone-library');
  await small.locator('.tile-open:has(img)').first().click();
  await small.locator('.pswp--open').waitFor();
  await small.getByRole('button', { name: 'Show or hide details' }).click();
  await small.locator('.info-panel').waitFor();
  await slideShown(small);
  await shot(small, 'phone-viewer');
  await small.keyboard.press('Escape');
  await small.goto(albumUrl);
  await small.locator('.grid .tile img').first().waitFor();
  await fitsWidth(small, 'an album');
  await shot(small, 'phone-album');
  await small.goto(base + '/#/places');
  await small.locator('.place-country .album-card img').first().waitFor();
  await fitsWidth(small, 'the places page');
  await small.goto(base + '/#/map');
  await small.locator('.map-photo').waitFor();
  await fitsWidth(small, 'the map');
  await shot(small, 'phone-map');
  await small.goto(base + '/#/admin');
  await small.getByText('Saved by deduplication').waitFor();
  await fitsWidth(small, 'the admin page');
  await shot(small, 'phone-admin');
  const phoneShare = await (await browser.newContext({ viewport: PHONE, isMobile: true })).newPage();
  await phoneShare.goto(shareUrl);
  await phoneShare.waitForFunction(() => {
    const imgs = [...document.querySelectorAll('.tile img')];
    return imgs.length === 3 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  });
  assert.equal(await phoneShare.getByText('Loading darkroom').count(), 0, 'the loading text is gone');
  await fitsWidth(phoneShare, 'the share page');
  await shot(phoneShare, 'phone-share-page');

  step('a light theme when the system asks for one');
  const light = await browser.newContext({
    viewport: DESKTOP,
    colorScheme: 'light',
    storageState: await context.storageState(),
  });
  const lightPage = await light.newPage();
  watch(lightPage, 'light');
  lightPage.setDefaultTimeout(30_000);
  for (const [where, name] of [
    ['/', 'library'],
    [`/${new URL(albumUrl).hash}`, 'album'],
    ['/#/places', 'places'],
    ['/#/account', 'account'],
  ]) {
    await lightPage.goto(base + where);
    await lightPage.locator('main h1, main .tile img').first().waitFor();
    const background = await lightPage.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    assert.equal(background, 'rgb(244, 245, 247)', `the ${name} page is light`);
    await accessible(lightPage, `the ${name} page in the light theme`);
    if (name === 'library' || name === 'album') await shot(lightPage, `light-${name}`);
  }
  await light.close();

  step('API docs: Swagger UI under its own Content-Security-Policy');
  const docsPage = await context.newPage();
  watch(docsPage, 'api docs');
  const docs = await docsPage.goto(base + '/api/docs/');
  const csp = docs.headers()['content-security-policy'] ?? '';
  assert.match(csp, /script-src 'self'/, `Swagger UI is served with a CSP (${csp})`);
  await docsPage.locator('.opblock').first().waitFor();
  assert.ok((await docsPage.locator('.opblock').count()) > 50, 'every operation is listed');
  await docsPage.close();

  step('album page: description, add photos from it');
  await page.goto(albumUrl);
  await page.getByLabel('Album description').fill('Three days on the river');
  await page.getByLabel('Album description').press('Tab');
  await page.getByText('Description saved.').waitFor();
  const inAlbum = await page.evaluate(
    async (id) => (await (await fetch(`/api/v1/albums/${id}/assets`)).json()).assets.map((a) => a.id),
    albumId,
  );
  await page.getByRole('link', { name: 'Add photos…' }).click();
  await page.getByText(/^Select photos to add to “River trip 2026”/).waitFor();
  // The library's tiles load a month at a time: wait for one not in the album.
  const outside = await (
    await page.waitForFunction(
      (ids) =>
        [...document.querySelectorAll('.tile[data-asset-id]')]
          .map((t) => t.dataset.assetId)
          .find((id) => !ids.includes(id)),
      inAlbum,
    )
  ).jsonValue();
  await page.locator(`.tile[data-asset-id="${outside}"] .tile-check`).click();
  await page.getByRole('button', { name: 'Add 1 to the album' }).click();
  await page.waitForURL(/#\/albums\//);
  await page.waitForFunction((n) => document.querySelectorAll('.grid .tile').length === n, inAlbum.length + 1);
  await page.getByText('Three days on the river').waitFor();

  step('viewer: shortcuts, slideshow, rotate');
  await page.getByRole('link', { name: 'Library' }).click();
  await page.locator('.tile-open:has(img)').first().click();
  await page.locator('.pswp--open').waitFor();
  await slideShown(page);
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await help.getByText('Start or stop the slideshow').waitFor();
  await shot(page, 'desktop-viewer-help');
  await accessible(page, "the viewer's shortcuts");
  await page.keyboard.press('?');
  await help.waitFor({ state: 'detached' });
  const firstSlide = await counter();
  await page.keyboard.press('s');
  await page.getByText(/^Slideshow: a photo every 4 seconds/).waitFor();
  await page.waitForFunction((b) => document.querySelector('.pswp__counter').innerText !== b, firstSlide, {
    timeout: 10_000,
  });
  await page.keyboard.press('s');
  await page.getByText('Slideshow stopped.').waitFor();
  const rotating = await page.evaluate(() => {
    const img = document.querySelector('.pswp__item[aria-hidden=false] img.pswp__img');
    return img?.src.match(/assets\/([^/]+)\/renditions/)?.[1];
  });
  assert.ok(rotating, 'the shown photo has an id');
  const unturned = await page.evaluate(async (id) => await (await fetch(`/api/v1/assets/${id}/edit`)).json(), rotating);
  await page.keyboard.press('r');
  await page.getByText(/^Rotated: /).waitFor();
  const turned = await page.evaluate(async (id) => await (await fetch(`/api/v1/assets/${id}/edit`)).json(), rotating);
  assert.equal(turned.version, unturned.version + 1, 'a new edit version');
  assert.equal(turned.recipe.rotate, ((unturned.recipe.rotate ?? 0) + 90) % 360, 'a quarter turn more');
  await page.locator('.info-panel .info-badges').getByText(`Edited · v${turned.version}`).waitFor();
  await page.keyboard.press('Escape');
  await page.locator('.pswp').waitFor({ state: 'detached' });

  step('account: tokens, webhooks, other sessions');
  await page.getByRole('link', { name: user, exact: true }).click();
  await page.getByRole('heading', { name: 'Account' }).waitFor();
  const tokens = page.getByRole('region', { name: 'API tokens' });
  await tokens.getByLabel('Token name').fill('e2e script');
  await tokens.getByLabel('Upload').check();
  await tokens.getByRole('button', { name: 'Create token' }).click();
  const secret = await tokens.locator('.issued input').inputValue();
  assert.match(secret, /^drk_/, 'the new token is shown once');
  const asToken = await page.evaluate(
    async (t) =>
      (await fetch('/api/v1/assets?limit=1', { credentials: 'omit', headers: { Authorization: `Bearer ${t}` } }))
        .status,
    secret,
  );
  assert.equal(asToken, 200, 'the new token works');
  await tokens
    .getByRole('row', { name: /e2e script/ })
    .getByText('read, upload')
    .waitFor();
  const webhooks = page.getByRole('region', { name: 'Webhooks' });
  await webhooks.getByLabel('Receiver URL').fill('https://example.org/darkroom-e2e');
  await webhooks.getByLabel('album.shared').check();
  await webhooks.getByRole('button', { name: 'Add webhook' }).click();
  assert.match(await webhooks.locator('.issued input').inputValue(), /^[0-9a-f]{64}$/, 'its secret is shown once');
  await webhooks.getByRole('button', { name: 'Deliveries' }).click();
  await webhooks.getByText('Nothing sent yet.').waitFor();
  await shot(page, 'desktop-account');
  await accessible(page, 'the account page');
  page.once('dialog', (dialog) => dialog.accept());
  await tokens.getByRole('button', { name: 'Revoke e2e script' }).click();
  await tokens.getByRole('row', { name: /e2e script/ }).waitFor({ state: 'detached' });
  const revoked = await page.evaluate(
    async (t) =>
      (await fetch('/api/v1/assets?limit=1', { credentials: 'omit', headers: { Authorization: `Bearer ${t}` } }))
        .status,
    secret,
  );
  assert.equal(revoked, 401, 'a revoked token works no more');
  await page.getByRole('button', { name: 'Sign out other sessions' }).click();
  await page.getByText(/^(Signed out \d+ other sessions?|No other session was signed in)\.$/).waitFor();
  assert.equal(await page.evaluate(async () => (await fetch('/api/v1/me')).status), 200, 'this session stays');

  step('sign out');
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const session = await page.evaluate(async () => (await fetch('/api/v1/auth/session')).status);
  assert.equal(session, 401, 'signed out on the server too');

  assert.deepEqual(errors, [], 'no script errors in any page');
  console.log('e2e: all passed');
} catch (failure) {
  // What every open page showed when it failed, for whoever reads the CI log.
  let n = 0;
  for (const context of browser.contexts())
    for (const page of context.pages()) await shot(page, `failure-${(n += 1)}`).catch(() => {});
  if (errors.length) console.log(`e2e: script errors: ${errors.join(' | ')}`);
  throw failure;
} finally {
  await browser.close();
}
