import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes `text` to `file`, creating its folder, unless the file already holds exactly that: a
 * build that regenerates an unchanged document leaves its date alone, so watchers stay quiet.
 *
 * @returns whether the content changed.
 */
export function writeIfChanged(file: string, text: string): boolean {
  mkdirSync(dirname(file), { recursive: true });
  const changed = !existsSync(file) || readFileSync(file, 'utf8') !== text;
  if (changed) writeFileSync(file, text);
  return changed;
}
