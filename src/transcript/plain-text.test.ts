import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isPrintableAscii } from '../terminal/escape.js';
import { isPlain, PrintableMemo, textFacts } from './plain-text.js';
import { queryEvent, queryEventJson } from './query-event.js';
import { Transcript } from './transcript.js';

/** Printable and plain by their definitions, one UTF-16 unit at a time. */
const printable = (s: string): boolean => [...s].every((ch) => ch.length === 1 && ch >= ' ' && ch <= '~');
const plain = (s: string): boolean => printable(s) && !/["\\]/.test(s);

/** A few strings asked about again and again, plain and not, among fresh ones. */
const pool = ['SELECT 1', 'SELECT "id" FROM t', 'a\\b', 'app', '', 'ünïcode', 'SELECT c FROM sbtest1 WHERE id=?', 'tab\there'];
const asked = fc.array(fc.oneof(fc.constantFrom(...pool), fc.string(), fc.string({ unit: 'binary' })), { maxLength: 40 });

test('short strings (looked at a character at a time) and long ones are printable and plain by the definitions', () => {
  const edges = fc.constantFrom(' ', '~', '\x1f', '\x7f', '\x80', '"', '\\', '\ud800', 'é', 'a');
  const text = fc.oneof(fc.string({ maxLength: 24 }), fc.string({ unit: 'binary', maxLength: 24 }), fc.array(edges, { maxLength: 24 }).map((a) => a.join('')));
  fc.assert(
    fc.property(text, (s) => {
      assert.equal(isPrintableAscii(s), printable(s), JSON.stringify(s));
      assert.equal(isPlain(s), plain(s), JSON.stringify(s));
    }),
    { numRuns: 3000 },
  );
});

test('a memo answers exactly whether each string is printable and plain, however they repeat', () => {
  fc.assert(
    fc.property(asked, fc.array(fc.boolean(), { maxLength: 40 }), (strings, askPlain) => {
      const memo = new PrintableMemo();
      strings.forEach((s, i) => {
        if (askPlain[i]) assert.equal(memo.plain(s), plain(s), JSON.stringify(s));
        assert.equal(memo.printable(s), printable(s), JSON.stringify(s));
      });
    }),
    { numRuns: 500 },
  );
});

test('facts noted for a text answer for that text only, whatever is asked between', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ s: fc.oneof(fc.constantFrom(...pool), fc.string({ unit: 'binary' })), act: fc.constantFrom('note', 'printable', 'plain'), between: fc.boolean() }), { maxLength: 40 }),
      (steps) => {
        const memo = new PrintableMemo();
        // Facts found once per text, as a prepared statement's are, and noted again later.
        const found = new Map(pool.map((p) => [p, textFacts(p)]));
        for (const { s, act, between } of steps) {
          const facts = found.get(s) ?? textFacts(s);
          assert.deepEqual(facts, { text: s, printable: printable(s), plain: plain(s) }, JSON.stringify(s));
          if (act === 'note') {
            // As the line and the event then ask: from the facts noted.
            memo.note(facts);
            assert.equal(memo.plain(s), plain(s), JSON.stringify(s));
            assert.equal(memo.printable(s), printable(s), JSON.stringify(s));
          } else if (act === 'plain') assert.equal(memo.plain(s), plain(s), JSON.stringify(s));
          else assert.equal(memo.printable(s), printable(s), JSON.stringify(s));
          if (!between) continue;
          // Another string asked between (another session's statement) is answered for itself.
          const other = pool[s.length % pool.length]!;
          assert.equal(memo.plain(other), plain(other), JSON.stringify(other));
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('statement lines and query events are the same whichever statements came before', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ text: fc.constantFrom(...pool), database: fc.constantFrom(...pool), shown: fc.boolean() }), { maxLength: 20 }), (statements) => {
      const transcript = new Transcript();
      for (const { text, database, shown } of statements) {
        // As an observer does: the statement's line first (unless not shown), its event once answered.
        const line = shown ? transcript.statement('app=> ', text) : '';
        const e = queryEvent({ text, database, durationMs: 1, rows: 0 });
        assert.equal(queryEventJson(e), JSON.stringify(e));
        if (shown) assert.equal(line, new Transcript().statement('app=> ', text));
      }
    }),
    { numRuns: 300 },
  );
});
