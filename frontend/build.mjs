// Bundles the web gallery into one folder the server embeds:
//   node build.mjs OUTDIR
// writes OUTDIR/index.html and content-hashed app-*.js / app-*.css (served
// with a long cache lifetime; index.html names the current ones).
import * as esbuild from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(process.argv[2] ?? path.join(here, 'dist'));

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { app: 'src/main.jsx' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  // The libraries' licence comments go into a file served beside the bundle.
  legalComments: 'linked',
  // Images a library's CSS names (Leaflet's layer icons), as files.
  loader: { '.png': 'file' },
  metafile: true,
  logLevel: 'warning',
});

const built = Object.keys(result.metafile.outputs).map((p) => path.basename(p));
const js = built.find((f) => /^app-.*\.js$/.test(f));
const css = built.find((f) => /^app-.*\.css$/.test(f));
if (!js || !css) throw new Error(`esbuild did not write app-*.js and app-*.css: ${built}`);

const template = await readFile(path.join(here, 'src/index.html'), 'utf8');
await writeFile(
  path.join(outdir, 'index.html'),
  template.replaceAll('%APP_JS%', `/app/${js}`).replaceAll('%APP_CSS%', `/app/${css}`),
);
// Gzipped copies beside the bundles, served to browsers that accept them
// (compressed once here rather than on every request).
for (const name of [js, css]) {
  const bytes = await readFile(path.join(outdir, name));
  await writeFile(path.join(outdir, `${name}.gz`), gzipSync(bytes, { level: 9 }));
}
console.log(`frontend: ${built.join(', ')}, index.html, gzipped bundles -> ${outdir}`);
