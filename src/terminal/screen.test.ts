import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import xterm from '@xterm/headless';
import { LAZY_SCREEN_BYTES, LazyScreen, Screen, type ScreenModel } from './screen.js';

type Op = { kind: 'write'; data: Uint8Array } | { kind: 'resize'; cols: number; rows: number } | { kind: 'read' } | { kind: 'alternate' };

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Output a shell and full-screen programs send: prompts, wrapping lines, cursor moves, the alternate screen. */
const output = fc.oneof(
  fc.constantFrom(
    'root@web01:~# ',
    '\r\n',
    '\x1b[?1049h',
    '\x1b[?1049l',
    '\x1b[2J\x1b[H',
    '\x1b[5;10H',
    '\x1b[K',
    '\x1b[31mred\x1b[0m',
    'password: ',
    '\x1b]0;title\x07',
    'é€😀',
    'x'.repeat(130),
    // Screen switches cut between writes, and in 8-bit form (C1 CSI).
    '\x1b',
    '[?1049h',
    '[?1049l',
    '\x1b[?10',
    '49h',
    '\x9b?1049h',
    '\x9b?47l',
    '\x1bc',
  ),
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }),
);

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: output.map((o) => ({ kind: 'write' as const, data: typeof o === 'string' ? text(o) : o })) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resize' as const), cols: fc.integer({ min: 0, max: 300 }), rows: fc.integer({ min: 0, max: 100 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'read' as const }) },
  // The observer asks this for every key, without reading the screen's text.
  { weight: 2, arbitrary: fc.constant({ kind: 'alternate' as const }) },
);

function read(s: ScreenModel): [boolean, string, string] {
  return [s.alternate, s.beforeCursor(), s.cursorLine()];
}

describe('LazyScreen', () => {
  test('reads back what a Screen there from the start shows, whenever it is first read', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 2, max: 200 }), fc.integer({ min: 1, max: 60 }), (ops, cols, rows) => {
        const eager = new Screen(cols, rows);
        const lazy = new LazyScreen(cols, rows);
        for (const o of ops) {
          if (o.kind === 'write') {
            // The caller's buffer is reused after the call (as the observer's is).
            const data = Uint8Array.from(o.data);
            eager.write(data);
            lazy.write(data);
            data.fill(0x41);
          } else if (o.kind === 'resize') {
            eager.resize(o.cols, o.rows);
            lazy.resize(o.cols, o.rows);
          } else if (o.kind === 'alternate') assert.equal(lazy.alternate, eager.alternate);
          else assert.deepEqual(read(lazy), read(eager));
        }
        assert.deepEqual(read(lazy), read(eager));
      }),
      { numRuns: 300 },
    );
  });

  test('sees a screen switch whose start it gave xterm before the last read', () => {
    const lazy = new LazyScreen(80, 24);
    lazy.write(text('root@web01:~# vim\r\n\x1b[?10'));
    assert.equal(lazy.alternate, false);
    // No ESC in what follows: xterm's parser, left inside the sequence, finishes it.
    lazy.write(text('49h'));
    assert.equal(lazy.alternate, true);
    lazy.write(text('~\r\n~\r\n\x1b[?1049'));
    assert.equal(lazy.alternate, true);
    lazy.write(text('l'));
    assert.equal(lazy.alternate, false);
  });

  test('builds no terminal for a session nobody reads (a shell left at its prompt)', () => {
    const lazy = new LazyScreen(80, 24);
    lazy.write(text('Linux web01 6.1.0 x86_64\r\n\r\nLast login: Thu Dec  3 11:00:00 2026\r\n'));
    lazy.resize(120, 40);
    lazy.write(text('root@web01:~# '));
    assert.equal(lazy.built, false);
    assert.equal(lazy.beforeCursor(), 'root@web01:~# ');
    assert.equal(lazy.built, true);
  });

  test('builds the terminal once the output kept passes its bound, and still reads back all of it', () => {
    const lazy = new LazyScreen(80, 24);
    const line = text(`${'y'.repeat(78)}\r\n`);
    for (let sent = 0; sent <= LAZY_SCREEN_BYTES; sent += line.length) lazy.write(line);
    assert.equal(lazy.built, true);
    lazy.write(text('\x1b[?1049hvim'));
    assert.equal(lazy.alternate, true);
    assert.equal(lazy.cursorLine(), 'vim');
  });
});

describe('Screen', () => {
  /** Every way a program enters or leaves the alternate screen, and the resets that leave it. */
  const switches = fc.constantFrom('\x1b[?1049h', '\x1b[?1049l', '\x1b[?1047h', '\x1b[?1047l', '\x1b[?47h', '\x1b[?47l', '\x1bc', '\x1b[!p');

  test('knows which screen is active as the public buffer API reports it, after any output and resize', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(switches.map((o) => ({ kind: 'write' as const, data: text(o) })), op), { maxLength: 60 }), (ops) => {
        const screen = new Screen(80, 24);
        // The same terminal as Screen's, asked the long way: the public buffer API after each step.
        const reference = new xterm.Terminal({ cols: 80, rows: 24, scrollback: 0, logLevel: 'off', allowProposedApi: true });
        const core = (reference as unknown as { _core: { writeSync(data: Uint8Array): void } })._core;
        for (const o of ops) {
          if (o.kind === 'write') {
            screen.write(o.data);
            if (o.data.length > 0) core.writeSync(o.data);
          } else if (o.kind === 'resize') {
            // A resize never switches buffers: the reference keeps its size.
            screen.resize(o.cols, o.rows);
          }
          assert.equal(screen.alternate, reference.buffer.active.type === 'alternate');
        }
      }),
      { numRuns: 200 },
    );
  });

  test('a full-screen program has the alternate screen until it leaves or the terminal is reset', () => {
    const screen = new Screen(80, 24);
    assert.equal(screen.alternate, false);
    screen.write(text('\x1b[?1049h\x1b[Hvim'));
    assert.equal(screen.alternate, true);
    screen.write(text('\x1b[?1049l'));
    assert.equal(screen.alternate, false);
    screen.write(text('\x1b[?1049hless\x1bc'));
    assert.equal(screen.alternate, false);
  });
});
