// W1 with sharp (what Immich uses): for each file, an upright 1440 px q85
// preview, then a 256 px q80 thumb from that preview in memory, stripped.
// Several files in flight, one libvips thread each (sharp's fastest setting
// on a small machine). Usage: node w1-sharp.js OUT_DIR FILE...
const path = require("path");
const fs = require("fs");
const sharp = require(process.env.SHARP_PATH || "sharp");

sharp.concurrency(1);
sharp.cache(false);
const [out, ...files] = process.argv.slice(2);
const inFlight = Number(process.env.W1_IN_FLIGHT || 4);

async function one(file) {
  const stem = path.basename(file, path.extname(file));
  const preview = await sharp(file)
    .rotate()
    .resize(1440, 1440, { fit: "inside", withoutEnlargement: true })
    .jpeg({ quality: 85 })
    .toBuffer();
  fs.writeFileSync(path.join(out, `${stem}.preview.jpg`), preview);
  const thumb = await sharp(preview)
    .resize(256, 256, { fit: "inside", withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toBuffer();
  fs.writeFileSync(path.join(out, `${stem}.thumb.jpg`), thumb);
}

(async () => {
  let next = 0;
  const worker = async () => {
    while (next < files.length) await one(files[next++]);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
})();
