/** The pure parts of the PostgreSQL store: list queries from filters, and NOTIFY payloads, fuzzed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { noticePayload, parseNotice } from './listener.js';
import { listQuery } from './rows.js';

const text = fc.string({ maxLength: 20 });
/** Filter values carry a mark, so one that reached the SQL text would show. */
const marked = text.map((s) => `\u2603${s}`);
const filter = fc.record(
  {
    user: marked,
    target: marked,
    protocol: marked,
    status: fc.constantFrom('recording' as const, 'complete' as const, 'interrupted' as const),
    since: marked,
    until: marked,
    users: fc.array(marked, { maxLength: 4 }),
    targets: fc.array(marked, { maxLength: 4 }),
    after: fc.record({ startedAt: marked, id: marked }),
    descending: fc.boolean(),
    limit: fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.double({ noNaN: true, min: -5, max: 1e6 })),
  },
  { requiredKeys: [] },
);

test('every filter value is a parameter, never SQL text, and each placeholder has its value', () => {
  fc.assert(
    fc.property(filter, (f) => {
      const { text: sql, values } = listQuery(f);
      const placeholders = [...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
      assert.deepEqual([...new Set(placeholders)].sort((a, b) => a - b), values.map((_, i) => i + 1));
      assert.ok(!sql.includes('\u2603'), `a value in the SQL text: ${sql}`);
      assert.match(sql, / ORDER BY started_at (ASC|DESC), id (ASC|DESC)( LIMIT \d+)?$/);
    }),
  );
});

test('NOTIFY payloads round-trip, and anything else on the channel is ignored, never thrown', () => {
  fc.assert(
    fc.property(text, fc.integer(), fc.integer(), (recording, stream, next) => {
      assert.deepEqual(parseNotice(noticePayload({ recording, stream, next })), { recording, stream, next });
    }),
  );
  fc.assert(fc.property(fc.oneof(fc.string(), fc.json()), (payload) => void parseNotice(payload)));
  assert.equal(parseNotice(undefined), undefined);
  assert.equal(parseNotice('["id", "1", 2]'), undefined);
});
