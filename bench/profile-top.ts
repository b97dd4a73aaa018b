/**
 * Summarises a V8 CPU profile (.cpuprofile) as the functions with the most
 * self time, and the share of each package (ssh2, the gateway's own code,
 * Node's internals, garbage collection), to see where a benchmark's CPU goes.
 *
 *   node dist/bench/profile-top.js FILE.cpuprofile [--top 30]
 */
import { readFileSync } from 'node:fs';
import { benchArgs } from './args.js';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const { values, positionals } = benchArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const byFunction = new Map<string, number>();
const byArea = new Map<string, number>();
let total = 0;
for (const n of profile.nodes) {
  const us = self.get(n.id) ?? 0;
  total += us;
  const { functionName, url, lineNumber } = n.callFrame;
  const file = url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/');
  const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const area = /node_modules\/([^/]+)/.exec(url)?.[1] ?? (url.includes('/dist/') ? `recgate ${/dist\/([^/]+\/[^/]+)/.exec(url)?.[1] ?? ''}` : url.startsWith('node:') ? 'node internals' : functionName.startsWith('(') ? functionName : 'native');
  byArea.set(area, (byArea.get(area) ?? 0) + us);
}
const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
console.log(`total ${(total / 1e6).toFixed(2)} s sampled\n`);
for (const [k, us] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${pct(us)}  ${k}`);
console.log('');
for (const [k, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`${pct(us)}  ${k}`);
