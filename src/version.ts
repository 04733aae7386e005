// Version and the packages inlined into the bundle (`repin --version --verbose`).
export const version: string = typeof __REPIN_VERSION__ === 'string' ? __REPIN_VERSION__ : 'dev';
export const inlinedPackages: readonly string[] = typeof __REPIN_INLINED__ === 'object' ? __REPIN_INLINED__ : [];
