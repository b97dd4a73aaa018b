/**
 * mergeListings, the listing of the hot store with the archive behind it:
 * for any two listings of one filter (each already in the filter's order and
 * cut to its limit, as a store returns them), the merge is what one store
 * holding both would have listed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ListFilter, RecordingSummary } from './types.js';
import { mergeListings } from './tiered.js';

const summary = (id: string, startedAt: string): RecordingSummary => ({
  id,
  user: 'alice',
  target: 'web01',
  protocol: 'ssh',
  clientAddress: '127.0.0.1',
  startedAt,
  endedAt: null,
  durationMs: null,
  bytes: 0,
  status: 'complete',
  endReason: null,
  recipients: [],
});

const order = (descending: boolean) => (a: RecordingSummary, b: RecordingSummary): number => {
  const c = a.startedAt === b.startedAt ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.startedAt < b.startedAt ? -1 : 1;
  return descending ? -c : c;
};

/** What a store's list returns for `filter` (order, after, limit) from the rows it holds. */
function storeList(rows: RecordingSummary[], filter: ListFilter): RecordingSummary[] {
  const cmp = order(filter.descending ?? false);
  let out = [...rows].sort(cmp);
  if (filter.after) {
    const after = summary(filter.after.id, filter.after.startedAt);
    out = out.filter((r) => cmp(r, after) > 0);
  }
  return filter.limit === undefined ? out : out.slice(0, filter.limit);
}

const row = fc
  .record({ id: fc.stringMatching(/^[0-9A-Z]{4}$/), minute: fc.integer({ min: 0, max: 5 }) })
  .map(({ id, minute }) => summary(id, `2026-05-01T10:0${minute}:00.000Z`));

test('merging the hot and archive listings equals listing one store that holds both, in either order, with paging and limits', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(row, { selector: (r) => r.id, maxLength: 30 }),
      fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
      fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
      fc.boolean(),
      fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
      fc.option(row, { nil: undefined }),
      (rows, inHot, inArchive, descending, limit, after) => {
        // Every recording in one store or the other, some in both (a move under way).
        const hot = rows.filter((_, i) => inHot[i] || !inArchive[i]);
        const archive = rows.filter((_, i) => inArchive[i]);
        const filter: ListFilter = { descending, ...(limit === undefined ? {} : { limit }), ...(after ? { after: { id: after.id, startedAt: after.startedAt } } : {}) };
        const merged = mergeListings(storeList(hot, filter), storeList(archive, filter), filter);
        assert.deepEqual(merged.map((r) => r.id), storeList(rows, filter).map((r) => r.id));
      },
    ),
  );
});
