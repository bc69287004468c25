// node build.mjs OUT_DIR [NODE_MODULES]: bundles src/app.js (with preact and
// htm), src/graph/layout_worker.js (with dagre) and src/app.css into
// OUT_DIR/assets and copies index.html to OUT_DIR. The page loads only
// these files: nothing from a CDN.
// NODE_MODULES (default: console/node_modules) holds the locked packages;
// CMake installs them into the build tree, not here.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] ?? path.join(here, 'dist'));
const nodeModules = path.resolve(process.argv[3] ?? path.join(here, 'node_modules'));
const { build } = createRequire(path.join(nodeModules, 'package.json'))('esbuild');

rmSync(path.join(out, 'assets'), { recursive: true, force: true });
mkdirSync(path.join(out, 'assets'), { recursive: true });
await build({
  entryPoints: [
    { in: path.join(here, 'src/app.js'), out: 'app' },
    { in: path.join(here, 'src/app.css'), out: 'app' },
    { in: path.join(here, 'src/graph/layout_worker.js'), out: 'layout_worker' },
  ],
  outdir: path.join(out, 'assets'),
  nodePaths: [nodeModules],
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync(path.join(here, 'src/index.html'), path.join(out, 'index.html'));
