import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RecordedEvent } from '../../src/recording/frames.js';
import fc from 'fast-check';
import { killJudge, mentionsKill } from './kill.js';
import { Command } from './protocol/commands.js';
import { ThreadIds } from './threads.js';

const query = (text: string): Buffer => Buffer.concat([Buffer.of(Command.COM_QUERY), Buffer.from(text)]);
const processKill = (id: number): Buffer => {
  const b = Buffer.alloc(5);
  b[0] = Command.COM_PROCESS_KILL;
  b.writeUInt32LE(id, 1);
  return b;
};

describe('KILL translation', () => {
  const ids = new ThreadIds();
  const mine = ids.reserve();
  mine.bind({ user: 'alice', target: 'my01' }, 501);
  const elsewhere = ids.reserve();
  elsewhere.bind({ user: 'alice', target: 'my02' }, 502);
  const bobs = ids.reserve();
  bobs.bind({ user: 'bob', target: 'my01' }, 503);
  const unbound = ids.reserve();

  test("the person's own connection on the same target: translated and recorded", () => {
    const events: RecordedEvent[] = [];
    const judge = killJudge(ids, { user: 'alice', target: 'my01' }, (e) => events.push(e));
    assert.deepEqual(judge.judge(Command.COM_QUERY, query(`KILL QUERY ${mine.id}`)), { kind: 'rewrite', payload: query('KILL QUERY 501') });
    assert.deepEqual(judge.judge(Command.COM_PROCESS_KILL, processKill(mine.id)), { kind: 'rewrite', payload: processKill(501) });
    assert.deepEqual(events, [
      { type: 'cancel', scope: 'query', connectionId: mine.id, targetThread: 501 },
      { type: 'cancel', scope: 'connection', connectionId: mine.id, targetThread: 501 },
    ]);
  });

  test("another person's, another target's, an unbound or a raw target id: unknown thread", () => {
    const events: RecordedEvent[] = [];
    const judge = killJudge(ids, { user: 'alice', target: 'my01' }, (e) => events.push(e));
    for (const id of [bobs.id, elsewhere.id, unbound.id, 503, 501]) {
      const d = judge.judge(Command.COM_QUERY, query(`KILL QUERY ${id}`));
      assert.equal(d.kind, 'refuse');
      assert.equal(d.kind === 'refuse' && d.code, 1094);
      assert.match(d.kind === 'refuse' ? d.message : '', new RegExp(`^Unknown thread id: ${id}`));
    }
    const d = judge.judge(Command.COM_PROCESS_KILL, processKill(bobs.id));
    assert.equal(d.kind === 'refuse' && d.code, 1094);
    assert.deepEqual(events, []);
  });

  test('KILL USER and other unchecked forms: access denied; other queries pass', () => {
    const judge = killJudge(ids, { user: 'alice', target: 'my01' }, () => assert.fail('no cancel'));
    const d = judge.judge(Command.COM_QUERY, query('KILL USER app'));
    assert.equal(d.kind === 'refuse' && d.code, 1227);
    assert.deepEqual(judge.judge(Command.COM_QUERY, query('SELECT SLEEP(1)')), { kind: 'pass' });
    assert.deepEqual(judge.judge(Command.COM_PING, Buffer.of(Command.COM_PING)), { kind: 'pass' });
  });

  test("the cancelled connection's session records who cancelled it, unless it cancelled itself", () => {
    const ids2 = new ThreadIds();
    const calls: [number, string][] = [];
    const victim = ids2.reserve();
    victim.bind({ user: 'alice', target: 'my01' }, 40, (by, scope) => calls.push([by, scope]));
    const killer = ids2.reserve();
    killer.bind({ user: 'alice', target: 'my01' }, 41);
    killJudge(ids2, { user: 'alice', target: 'my01' }, () => undefined, killer.id).judge(Command.COM_QUERY, query(`KILL QUERY ${victim.id}`));
    killJudge(ids2, { user: 'alice', target: 'my01' }, () => undefined, victim.id).judge(Command.COM_QUERY, query(`KILL ${victim.id}`));
    assert.deepEqual(calls, [[killer.id, 'query']]);
  });

  test('property: the quick check never misses a KILL in any case', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.string({ maxLength: 20 }), (before, upper, after) => {
        const word = [...'kill'].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('');
        assert.ok(mentionsKill(Buffer.from(before + word + after)));
        assert.equal(mentionsKill(Buffer.from(before + after)), /kill/i.test(before + after));
      }),
    );
  });

  test('a released id is forgotten', () => {
    const ids2 = new ThreadIds();
    const t = ids2.reserve();
    t.bind({ user: 'alice', target: 'my01' }, 9);
    assert.deepEqual(ids2.lookup(t.id, { user: 'alice', target: 'my01' }), { kind: 'found', thread: 9 });
    t.release();
    assert.deepEqual(ids2.lookup(t.id, { user: 'alice', target: 'my01' }), { kind: 'unknown' });
    assert.equal(ids2.size, 0);
  });
});
