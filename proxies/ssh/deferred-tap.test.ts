/**
 * An SSH channel's bytes are recorded after the turn that relayed them, on a
 * real recorded session (test/fixtures/recorded-session.ts): in order, at the
 * times they were relayed, and never lost to whatever is recorded or ended
 * before that turn is over.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { TerminalObserver } from '../../src/terminal/index.js';
import { recorded, recordedSession } from '../../test/fixtures/recorded-session.js';
import { DeferredTap } from './deferred-tap.js';
import { InteractiveTap, TerminalTap, type ChannelTap } from './taps.js';

/** Keeps the event loop busy for `ms`, as a turn full of other sessions' work would. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

test('bytes relayed in a turn are recorded once it is over, in order, at the times they were relayed, the commands they enter too', async () => {
  const h = await recordedSession('ssh');
  h.session.terminal(0, { term: 'xterm', cols: 80, rows: 24 });
  const broken: string[] = [];
  let flushed = 0;
  const tap = new DeferredTap(
    new InteractiveTap(h.session, 0, (why) => broken.push(why), new TerminalObserver(80, 24)),
    () => h.session.now(),
    () => flushed++,
    (err) => broken.push(String(err)),
  );
  const relayedAt = h.session.now();
  tap.fromTarget(Buffer.from('$ '));
  tap.fromClient(Buffer.from('ls\r'));
  tap.fromTarget(Buffer.from('ls\r\nREADME\r\n$ '));
  // The next keystroke takes the command entered before it.
  tap.fromClient(Buffer.from('q'));
  tap.fromTarget(Buffer.from('q'));
  busy(60);
  assert.equal(flushed, 0, 'nothing is recorded inside the turn that relayed it');
  await turn();
  assert.equal(flushed, 1, 'the turn\'s chunks are recorded together after it');
  tap.end();
  const end = await h.session.end('closed');
  const { tty, input, ttyFrames, inputFrames, events, eventTimes } = await recorded(h, end);
  assert.deepEqual(broken, []);
  assert.equal(tty, '$ ls\r\nREADME\r\n$ q');
  assert.equal(input, 'ls\rq');
  const command = events.findIndex((e) => e.type === 'command' && e.command === 'ls');
  assert.ok(command >= 0, JSON.stringify(events));
  const times = [...ttyFrames.map((f) => f.t), ...inputFrames.map((f) => f.t), eventTimes[command]!];
  for (const t of times) assert.ok(t - relayedAt < 40, `recorded at ${t} ms, relayed at ${relayedAt} ms: the relay's time, not the recorder's`);
});

test('settling or ending the channel records what waits first: an end in the same turn loses nothing', async () => {
  const h = await recordedSession('ssh');
  h.session.terminal(0, { term: 'xterm', cols: 80, rows: 24 });
  const tap = new DeferredTap(new TerminalTap(h.session, 0), () => h.session.now(), () => {}, (err) => assert.fail(String(err)));
  tap.fromTarget(Buffer.from('last words\r\n'));
  tap.fromClient(Buffer.from('exit\r'));
  tap.settle();
  h.session.event({ type: 'exit', channel: 0, code: 0, signal: null });
  tap.fromTarget(Buffer.from('logout\r\n'));
  tap.end();
  // No turn in between: the session ends right away.
  const end = await h.session.end('closed');
  const { tty, input, events } = await recorded(h, end);
  assert.equal(tty, 'last words\r\nlogout\r\n');
  assert.equal(input, 'exit\r');
  assert.ok(events.some((e) => e.type === 'exit'));
});

test('a chunk is handed over once, even when the tap ends the channel while it is being recorded', async () => {
  const h = await recordedSession('ssh');
  h.session.terminal(0, { term: 'xterm', cols: 80, rows: 24 });
  const seen: string[] = [];
  let deferred: DeferredTap | undefined;
  const inner: ChannelTap = {
    fromTarget: (data) => {
      seen.push(Buffer.from(data).toString());
      deferred!.end();
    },
    fromClient: () => {},
    resize: () => {},
    settle: () => {},
    end: () => {},
  };
  deferred = new DeferredTap(inner, () => h.session.now(), () => {}, (err) => assert.fail(String(err)));
  deferred.fromTarget(Buffer.from('a'));
  deferred.fromTarget(Buffer.from('b'));
  await turn();
  assert.deepEqual(seen, ['a', 'b']);
});

test('a tap that throws in the scheduler\'s pass is reported, not thrown into the event loop', async () => {
  const h = await recordedSession('ssh');
  const failures: string[] = [];
  const inner: ChannelTap = {
    fromTarget: () => {
      throw new Error('tap fault');
    },
    fromClient: () => {},
    resize: () => {},
    settle: () => {},
    end: () => {},
  };
  const tap = new DeferredTap(inner, () => h.session.now(), () => {}, (err) => failures.push((err as Error).message));
  tap.fromTarget(Buffer.from('x'));
  await turn();
  assert.deepEqual(failures, ['tap fault']);
});
