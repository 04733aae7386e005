// Replaced at build time by scripts/build.mjs; tests run from source see the fallbacks in src/version.ts.
declare const __REPIN_VERSION__: string | undefined;
declare const __REPIN_INLINED__: string[] | undefined;
