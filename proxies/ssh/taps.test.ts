/**
 * What an interactive SSH channel records, on a real recorded session
 * (test/fixtures/recorded-session.ts): keystrokes through the terminal
 * observer, and what happens when that observer fails.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TerminalObserver } from '../../src/terminal/index.js';
import { recorded, recordedSession } from '../../test/fixtures/recorded-session.js';
import { InteractiveTap, type KeystrokeObserver } from './taps.js';

test('an interactive channel records the output, and the keystrokes once the target echoed them', async () => {
  const h = await recordedSession('ssh');
  h.session.terminal(0, { term: 'xterm', cols: 80, rows: 24 });
  const broken: string[] = [];
  const tap = new InteractiveTap(h.session, 0, (why) => broken.push(why), new TerminalObserver(80, 24));
  tap.fromTarget(Buffer.from('$ '));
  tap.fromClient(Buffer.from('ls\r'));
  tap.fromTarget(Buffer.from('ls\r\nREADME\r\n$ '));
  tap.end();
  const end = await h.session.end('closed');
  const { tty, input, events } = await recorded(h, end);
  assert.deepEqual(broken, []);
  assert.equal(tty, '$ ls\r\nREADME\r\n$ ');
  assert.equal(input, 'ls\r');
  assert.ok(events.some((e) => e.type === 'command' && e.command === 'ls'), JSON.stringify(events));
});

test('a terminal observer that fails closes its channel: the output so far is recorded, no keystroke goes in raw', async () => {
  const h = await recordedSession('ssh');
  h.session.terminal(0, { term: 'xterm', cols: 80, rows: 24 });
  const real = new TerminalObserver(80, 24);
  const failing: KeystrokeObserver = {
    output: (t, data) => real.output(t, data),
    input: () => {
      throw new Error('observer fault');
    },
    resize: (cols, rows) => real.resize(cols, rows),
    flush: (t) => real.flush(t),
    takeCommands: () => real.takeCommands(),
  };
  const broken: string[] = [];
  const tap = new InteractiveTap(h.session, 0, (why) => broken.push(why), failing);
  tap.fromTarget(Buffer.from('[sudo] password for alice: '));
  // Thrown inside the observer, caught by the tap: the caller (the channel's data handler) goes on.
  tap.fromClient(Buffer.from('hunter2\r'));
  assert.deepEqual(broken, ['observer fault']);
  tap.fromClient(Buffer.from('more\r'));
  tap.fromTarget(Buffer.from('\r\n'));
  tap.end();
  assert.deepEqual(broken, ['observer fault'], 'the channel is closed once');
  const end = await h.session.end('closed');
  const { tty, input } = await recorded(h, end);
  assert.equal(tty, '[sudo] password for alice: \r\n');
  assert.equal(input, '');
});
