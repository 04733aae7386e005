// Load /etc/libvirt/repin.json (or $REPIN_CONFIG). Missing file: defaults.
import { SYSTEM_CONFIG_PATH } from '../../bundle/layout.js';
import { DEFAULT_CONFIG, parseConfig, type Config } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';
import { readRegularFile } from '../fs/regular-file.js';

export function configPath(env: Readonly<Record<string, string | undefined>>, explicit?: string): string {
  return explicit ?? env.REPIN_CONFIG ?? SYSTEM_CONFIG_PATH;
}

export function loadConfig(path: string, { mustExist = false } = {}): Config {
  let text: string;
  try {
    // Not readFileSync: a FIFO at the path would block the hook (and libvirt) until someone writes to it.
    text = readRegularFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !mustExist) return DEFAULT_CONFIG;
    throw new ConfigError(`cannot read config ${path}: ${(error as Error).message}`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  try {
    return parseConfig(value);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${path}: ${error.message}`, { cause: error });
    throw error;
  }
}
