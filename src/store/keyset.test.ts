import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SqliteIndex } from './sqlite-index.js';
import type { ListFilter, RecordingSummary } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'recgate-keyset-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const index = new SqliteIndex(join(dir, 'index.db'));
const users = ['alice', 'bob', 'carol'];
// Many recordings share a start time (to the millisecond): paging must neither skip nor repeat them.
for (let i = 0; i < 1500; i++) {
  index.insert({
    id: `r${(i * 7919) % 1500}`.padEnd(6, 'x'),
    user: users[i % 3]!,
    target: `t${i % 5}`,
    protocol: 'ssh',
    clientAddress: '127.0.0.1',
    startedAt: new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 4) * 1000).toISOString(),
    recipients: [],
    owner: 'test',
  });
}

function walk(filter: ListFilter, pageSize: number): RecordingSummary[] {
  const seen: RecordingSummary[] = [];
  let after: ListFilter['after'];
  for (;;) {
    const page = index.list({ ...filter, limit: pageSize, ...(after ? { after } : {}) });
    seen.push(...page);
    if (page.length < pageSize) return seen;
    const last = page.at(-1)!;
    after = { startedAt: last.startedAt, id: last.id };
  }
}

test('keyset pages, in either order and with visibility filters, list every recording exactly once in (startedAt, id) order', () => {
  for (const filter of [{}, { descending: true }, { users: ['alice', 'carol'] }, { users: ['bob'], targets: ['t1', 't2'], descending: true }] as ListFilter[]) {
    const all = index.list(filter);
    for (const size of [1, 7, 500]) {
      const paged = walk(filter, size);
      assert.deepEqual(paged.map((r) => r.id), all.map((r) => r.id), `${JSON.stringify(filter)} by ${size}`);
    }
    const keys = all.map((r) => `${r.startedAt} ${r.id}`);
    const sorted = [...keys].sort();
    assert.deepEqual(keys, filter.descending ? sorted.reverse() : sorted);
    if (filter.users) assert.ok(all.every((r) => filter.users!.includes(r.user)));
    if (filter.targets) assert.ok(all.every((r) => filter.targets!.includes(r.target)));
  }
  assert.equal(index.list().length, 1500);
  assert.deepEqual(index.list({ users: [] }), [], 'an empty allow-list shows nothing');
});
