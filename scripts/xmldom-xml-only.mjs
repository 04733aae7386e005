// esbuild plugin for the build (scripts/build.mjs): bundle xmldom with
// scripts/xmldom-xml-entities.cjs in place of its entity tables. xmldom's HTML entity table is never used for text/xml but costs
// ~40 ms to build.
import { fileURLToPath } from 'node:url';

const standIn = fileURLToPath(new URL('./xmldom-xml-entities.cjs', import.meta.url));

export const xmlOnlyEntities = {
  name: 'xmldom-xml-only-entities',
  setup(b) {
    b.onResolve({ filter: /^\.\/entities$/ }, (args) =>
      /@xmldom[\\/]xmldom[\\/]lib[\\/]dom-parser\.js$/.test(args.importer) ? { path: standIn } : undefined,
    );
  },
};
