/**
 * Whether a path lies inside a folder, after symbolic links: what decides if
 * a key file is out of reach of whoever can write the data directory.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';

/** The real path of `p`, resolving links in the part of it that exists. */
function realPath(p: string): string {
  const tail: string[] = [];
  let at = path.resolve(p);
  for (;;) {
    try {
      return path.join(realpathSync(at), ...tail);
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return path.resolve(p);
      tail.unshift(path.basename(at));
      at = parent;
    }
  }
}

export function isInsideDir(dir: string, file: string): boolean {
  const rel = path.relative(realPath(dir), realPath(file));
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}
