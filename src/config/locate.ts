/**
 * Maps a key path in the loaded data (`users[0].targets[1]`) back to the line and column
 * of its node in the YAML text, so every problem is reported where it was written.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';

export type PathKey = string | number;

/** One problem found in a config file. `atKey` points at the key itself (unknown keys). */
export interface Issue {
  readonly path: readonly PathKey[];
  readonly message: string;
  readonly atKey?: boolean;
}

export interface Position {
  readonly line: number;
  readonly col: number;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `users[0].targets[1]`; keys that are not plain words are quoted: `listen["a b"]`. */
export function formatPath(path: readonly PathKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (PLAIN_KEY.test(key)) text += text.length === 0 ? key : `.${key}`;
    else text += `[${JSON.stringify(key)}]`;
  }
  return text;
}

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}

export class SourceMap {
  constructor(
    private readonly doc: Document,
    private readonly counter: LineCounter,
  ) {}

  /**
   * Where the node at `path` starts; when the path leaves the document (a missing key),
   * where the deepest node that exists starts. With `atKey`, the last step's key is used.
   */
  position(path: readonly PathKey[], atKey = false): Position {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const [index, step] of path.entries()) {
      if (isAlias(node)) node = node.resolve(this.doc);
      const last = index === path.length - 1;
      if (isMap(node)) {
        const pair = (node.items as Pair[]).find((item) => keyText(item.key) === String(step));
        if (pair === undefined) break;
        const keyStart = rangeStart(pair.key);
        const valueStart = rangeStart(pair.value);
        if (last && atKey) offset = keyStart ?? offset;
        else offset = valueStart ?? keyStart ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof step === 'number') {
        const item: unknown = node.items[step];
        if (item === undefined) break;
        offset = rangeStart(item) ?? offset;
        node = item;
      } else {
        break;
      }
    }
    return this.at(offset);
  }

  at(offset: number): Position {
    const { line, col } = this.counter.linePos(offset);
    return { line, col };
  }
}
