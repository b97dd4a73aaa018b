import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameKind, type Frame } from '../src/recording/frames.js';
import type { RecordingSummary } from '../src/store/types.js';
import { matchEvent, MAX_HITS, runSearch, type SearchHit, type SearchSteps } from './search-core.js';

const summary = (id: string): RecordingSummary =>
  ({ id, user: 'alice', target: 'web01', protocol: 'ssh', startedAt: '2024-05-01T10:00:00Z', recipients: ['k1'] }) as unknown as RecordingSummary;
const event = (t: number, e: Record<string, unknown>): Frame => ({ kind: FrameKind.Event, t, event: { type: 'command', ...e } });

function steps(streams: Record<string, Frame[] | Error>, log: string[] = []): SearchSteps & { hits: SearchHit[] } {
  const hits: SearchHit[] = [];
  return {
    hits,
    recordings: async () => Object.keys(streams).map(summary),
    starting: async (n) => void log.push(`starting ${n}`),
    async *events(r) {
      log.push(`read ${r.id}`);
      const s = streams[r.id]!;
      if (s instanceof Error) throw s;
      yield* s;
    },
    progress: (done, total) => void log.push(`${done} of ${total}`),
    hit: (h) => void hits.push(h),
  };
}

test('matchEvent: case-insensitive over the event fields, a snippet around the match; activity and terminal sizes are not searched', () => {
  assert.deepEqual(matchEvent({ type: 'query', database: 'app', query: 'SELECT * FROM Invoices' }, 'invoices'), { type: 'query', snippet: 'database=app query=SELECT * FROM Invoices' });
  assert.equal(matchEvent({ type: 'command', command: 'ls' }, 'rm'), undefined);
  assert.equal(matchEvent({ type: 'activity', second: 3, change: 0.5 }, '0.5'), undefined);
  assert.equal(matchEvent({ type: 'terminal', term: 'xterm' }, 'xterm'), undefined);
  assert.equal(matchEvent({ type: 'typed', text: 'hunter2' }, 'hunter')?.type, 'typed');
});

test('runSearch reads one recording after another, reports progress and each hit with its moment', async () => {
  const log: string[] = [];
  const s = steps({ a: [event(100, { command: 'ls' }), event(2500, { command: 'deploy prod' })], b: [event(40, { command: 'DEPLOY staging' })] }, log);
  const r = await runSearch('  Deploy ', s, new AbortController().signal);
  assert.deepEqual(r, { searched: 2, total: 2, hits: 2, failed: [] });
  assert.deepEqual(log, ['starting 2', '0 of 2', 'read a', '1 of 2', 'read b', '2 of 2']);
  assert.deepEqual(
    s.hits.map((h) => [h.recording.id, h.t, h.snippet]),
    [
      ['a', 2500, 'command=deploy prod'],
      ['b', 40, 'command=DEPLOY staging'],
    ],
  );
});

test('cancelling stops before the next recording and within one', async () => {
  const controller = new AbortController();
  const log: string[] = [];
  const s = steps({ a: [event(1, { command: 'x' })], b: [event(1, { command: 'x' })], c: [] }, log);
  const progress = s.progress;
  s.progress = (done, total) => {
    progress(done, total);
    if (done === 1) controller.abort();
  };
  const r = await runSearch('x', s, controller.signal);
  assert.equal(r.stopped, 'cancelled');
  assert.equal(r.searched, 1);
  assert.ok(!log.includes('read b'), log.join(', '));
});

test('a recording that cannot be read is reported and the search goes on', async () => {
  const r = await runSearch('x', steps({ a: new Error('stream events is truncated'), b: [event(1, { command: 'x' })] }), new AbortController().signal);
  assert.deepEqual(r.failed, [{ id: 'a', error: 'stream events is truncated' }]);
  assert.equal(r.hits, 1);
  assert.equal(r.searched, 2);
});

test('the search stops at MAX_HITS, and an empty query is refused before anything is listed', async () => {
  const many = Array.from({ length: MAX_HITS + 10 }, (_, i) => event(i, { command: 'x' }));
  const r = await runSearch('x', steps({ a: many, b: many }), new AbortController().signal);
  assert.equal(r.hits, MAX_HITS);
  assert.equal(r.stopped, 'too many hits');
  const log: string[] = [];
  await assert.rejects(runSearch('   ', steps({ a: [] }, log), new AbortController().signal), /type something/);
  assert.deepEqual(log, []);
});
