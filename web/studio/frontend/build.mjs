// `npm run build` (or `make studio-assets`): bundle the editor and its CSS into web/static/studio/.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';

// bpmn-js-properties-panel 5.65.3 creates two containers with inline style attributes, which the
// strict CSP (style-src 'self') blocks and reports. The same rules live in src/editor.css.
const INLINE_STYLES = [
  [ '<div style="height: 100%" tabindex="-1" class="bio-properties-panel-container">',
    '<div tabindex="-1" class="bio-properties-panel-container">' ],
  [ '<div style="flex: none; height: auto" class="bio-properties-panel bio-theme-parent bio-properties-panel-header-container">',
    '<div class="bio-properties-panel bio-theme-parent bio-properties-panel-header-container">' ]
];

const noInlineStyles = {
  name: 'no-inline-styles',
  setup(b) {
    b.onLoad({ filter: /bpmn-js-properties-panel[\\/]dist[\\/]index\.esm\.js$/ }, async (args) => {
      let contents = await readFile(args.path, 'utf8');
      for (const [ from, to ] of INLINE_STYLES) {
        if (!contents.includes(from)) {
          throw new Error(`bpmn-js-properties-panel changed: "${from}" not found; update build.mjs`);
        }
        contents = contents.split(from).join(to);
      }
      return { contents, loader: 'js' };
    });
  }
};

const out = '../../static/studio';
await build({
  entryPoints: [ 'src/editor.js' ],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  legalComments: 'linked',
  loader: { '.json': 'json' },
  plugins: [ noInlineStyles ],
  outfile: `${out}/studio-editor.js`
});
await build({
  entryPoints: [ 'src/editor.css' ],
  bundle: true,
  minify: true,
  loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
  assetNames: '[name]',
  legalComments: 'linked',
  outfile: `${out}/studio-editor.css`
});
