import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { DAEMON_NODE_FLAGS, missingNodeFlags } from './node-flags.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

test('every launcher passes the daemon flags', () => {
  const shebang = read('bin/recgate.js').split('\n')[0]!;
  const entrypoint = /^ENTRYPOINT (.*)$/m.exec(read('Dockerfile'))![1]!;
  for (const flag of DAEMON_NODE_FLAGS) {
    assert.ok(shebang.split(' ').includes(flag), `bin/recgate.js shebang lacks ${flag}: ${shebang}`);
    assert.ok((JSON.parse(entrypoint) as string[]).includes(flag), `Dockerfile ENTRYPOINT lacks ${flag}`);
  }
  assert.match(read('scripts/start.mjs'), /DAEMON_NODE_FLAGS/);
});

test('bin/recgate.js runs when executed directly: env -S splits the shebang into node and its flags', () => {
  const out = execFileSync(new URL('bin/recgate.js', root).pathname, ['--version'], { encoding: 'utf8' });
  assert.match(out, /\d+\.\d+\.\d+/);
});

test('missing flags are named; either spelling of a V8 flag counts', () => {
  assert.deepEqual(missingNodeFlags([]), [...DAEMON_NODE_FLAGS]);
  assert.deepEqual(missingNodeFlags([...DAEMON_NODE_FLAGS]), []);
  assert.deepEqual(missingNodeFlags(DAEMON_NODE_FLAGS.map((f) => f.replace(/-/g, '_').replace(/^__/, '--'))), []);
});
