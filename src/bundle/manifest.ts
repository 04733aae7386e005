// A build's manifest (`build.json`): its id and each file's digest. install
// copies a build only from a dir whose files match it, and points the hook at
// an installed build only once the copy there matches it too.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { BUILD_FILES, BUILD_ID } from './layout.js';

export interface Manifest {
  readonly version: string;
  readonly buildId: string;
  /** File name → sha256 hex, for every file of the build but the manifest. */
  readonly files: Readonly<Record<string, string>>;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** The manifest for these files; the id hashes the names and digests, so it names the bytes. */
export function makeManifest(version: string, files: Readonly<Record<string, string | Buffer>>): Manifest {
  const digests = Object.fromEntries(Object.entries(files).map(([name, data]) => [name, sha256(data)]));
  const buildId = sha256(JSON.stringify(Object.entries(digests).sort())).slice(0, 16);
  return { version, buildId, files: digests };
}

function parseManifest(text: string, where: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`${where} is not JSON`);
  }
  const m = value as Partial<Manifest> | null;
  const files = m?.files;
  if (typeof m?.version !== 'string' || typeof m.buildId !== 'string' || !BUILD_ID.test(m.buildId) || typeof files !== 'object' || files === null) {
    throw new ConfigError(`${where} is not a repin build manifest`);
  }
  for (const name of Object.values(BUILD_FILES)) {
    if (name !== BUILD_FILES.manifest && typeof files[name] !== 'string') throw new ConfigError(`${where} lists no ${name}`);
  }
  return { version: m.version, buildId: m.buildId, files };
}

/** The manifest of the build in `dir`, or why the dir does not hold that build whole. */
export function checkBuild(dir: string): Manifest | string {
  let manifest: Manifest;
  try {
    manifest = parseManifest(readFileSync(join(dir, BUILD_FILES.manifest), 'utf8'), join(dir, BUILD_FILES.manifest));
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  for (const [name, digest] of Object.entries(manifest.files)) {
    let data: Buffer;
    try {
      data = readFileSync(join(dir, name));
    } catch {
      return `${join(dir, name)} is missing`;
    }
    if (sha256(data) !== digest) return `${join(dir, name)} does not match ${BUILD_FILES.manifest}`;
  }
  return manifest;
}

/** The manifest of a whole build in `dir`; a ConfigError naming what is wrong otherwise. */
export function readBuild(dir: string): Manifest {
  const found = checkBuild(dir);
  if (typeof found === 'string') throw new ConfigError(`not a whole repin build: ${found} (run npm run build)`);
  return found;
}
