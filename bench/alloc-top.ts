/**
 * Summarises a sampled allocation profile (.heapprofile, from
 * bench/alloc-profile.ts or DevTools) as the functions that allocate most,
 * by the bytes of their own samples, with each one's share and, given the
 * number of transactions the process ran, its bytes per transaction.
 *
 *   node dist/bench/alloc-top.js FILE.heapprofile [--top 30] [--transactions N] [--callers 2]
 *
 * --callers N adds up to N callers to each function's line, as allocation
 * sites in shared helpers (Buffer.alloc, a string concatenation) say little
 * without who called them.
 */
import { readFileSync } from 'node:fs';
import { benchArgs } from './args.js';

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface Node {
  callFrame: Frame;
  selfSize: number;
  children: Node[];
}

const { values, positionals } = benchArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, transactions: { type: 'string' }, callers: { type: 'string', default: '0' } },
});
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as { head: Node };
const callers = Number(values.callers);
const name = ({ functionName, url, lineNumber }: Frame): string =>
  `${functionName || '(anonymous)'} ${url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}`;

const bySite = new Map<string, number>();
let total = 0;
const walk = (node: Node, stack: string[]): void => {
  const here = [name(node.callFrame), ...stack];
  if (node.selfSize > 0) {
    const key = here.slice(0, 1 + callers).join('  <  ');
    bySite.set(key, (bySite.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
  }
  for (const child of node.children) walk(child, here);
};
walk(profile.head, []);

const perTx = values.transactions ? Number(values.transactions) : 0;
const amount = (bytes: number): string => (perTx ? `${(bytes / perTx).toFixed(0).padStart(7)} B/tx` : `${(bytes / 1024).toFixed(0).padStart(9)} KiB`);
console.log(`sampled ${(total / 1048576).toFixed(1)} MiB${perTx ? ` (${(total / perTx).toFixed(0)} B a transaction)` : ''}\n`);
for (const [k, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
  console.log(`${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${amount(bytes)}  ${k}`);
}
