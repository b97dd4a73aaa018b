import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { killText, parseKill } from './kill-statement.js';

describe('parseKill', () => {
  test('a lone KILL of a thread id, in every form the clients send', () => {
    assert.deepEqual(parseKill('KILL QUERY 42'), { kind: 'kill', scope: 'QUERY', id: 42 });
    assert.deepEqual(parseKill('kill 7'), { kind: 'kill', scope: 'CONNECTION', id: 7 });
    assert.deepEqual(parseKill('  Kill Connection 9 ;'), { kind: 'kill', scope: 'CONNECTION', id: 9 });
    assert.deepEqual(parseKill('KILL HARD QUERY 3'), { kind: 'kill', scope: 'QUERY', id: 3, mode: 'HARD' });
    assert.deepEqual(parseKill('/* why */ KILL -- trailing\n QUERY # more\n 5'), { kind: 'kill', scope: 'QUERY', id: 5 });
    assert.deepEqual(parseKill('/*!50000 KILL QUERY 12 */'), { kind: 'kill', scope: 'QUERY', id: 12 });
    assert.deepEqual(parseKill('/*M!100000 KILL 12 */'), { kind: 'kill', scope: 'CONNECTION', id: 12 });
  });

  test('queries without a KILL pass', () => {
    for (const q of ['SELECT 1', "SELECT 'KILL 5'", 'SELECT `kill` FROM t', '/* KILL 5 */ SELECT 1', 'SELECT 1 -- kill 5', 'SELECT "kill 5"', "SELECT 'it''s' -- KILL"]) {
      assert.deepEqual(parseKill(q), { kind: 'none' }, q);
    }
  });

  test('KILL forms the gateway cannot check are refused', () => {
    for (const q of [
      'KILL USER app',
      'KILL QUERY ID 4',
      'KILL 4+0',
      'KILL (4)',
      'KILL CONNECTION_ID()',
      'SELECT 1; KILL 4',
      'KILL 4; SELECT 1',
      'BEGIN NOT ATOMIC KILL 4; END',
      "PREPARE s FROM 'KILL 4'",
      "EXECUTE IMMEDIATE 'kill query 4'",
      'KILL 99999999999999999999',
      'KILL',
      "SELECT 'x' /*! ; KILL 4 */",
    ]) {
      assert.equal(parseKill(q).kind, 'refuse', q);
    }
  });

  test('the translation keeps scope and mode', () => {
    assert.equal(killText({ scope: 'QUERY' }, 88), 'KILL QUERY 88');
    assert.equal(killText({ scope: 'CONNECTION', mode: 'SOFT' }, 1), 'KILL SOFT CONNECTION 1');
  });

  test('never throws, and a bare KILL word is never missed', () => {
    const piece = fc.constantFrom('KILL', 'kill', ' ', ';', "'", '"', '`', '/*', '*/', '/*!', '--', '-- ', '#', '\n', '5', 'QUERY', 'USER', '\\', 'SELECT', '(', ')', 'x');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
        const sql = parts.join('');
        const r = parseKill(sql);
        // A KILL at the start, not inside a comment, is never passed unread.
        if (/^KILL\b/i.test(sql)) assert.notEqual(r.kind, 'none');
      }),
      { numRuns: 3000 },
    );
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => void parseKill(s)));
  });
});
