import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionInfo } from '../session/registry.js';
import type { RecordingSummary } from '../store/types.js';
import { formatColumns, printable } from './printable.js';
import { formatTable } from './recordings-list.js';
import { formatFinding } from './recordings-verify.js';
import { formatSessions } from './sessions.js';

const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

test('printable: any value, one field on one line', () => {
  assert.equal(printable('a\tb\nc'), 'a\\x09b\\x0Ac');
  assert.equal(printable(42), '42');
  assert.equal(printable(new Error('x\x1b[2J')), 'Error: x\\x1B[2J');
});

test('tables escape every cell and line up by the columns cells take', () => {
  const rows = [{ a: '日本', b: 'x' }, { a: 'e\x1b[31m', b: 'y' }];
  assert.equal(
    formatColumns([['NAME', (r: { a: string }) => r.a], ['V', (r: { b: string }) => r.b]], rows),
    'NAME       V\n日本       x\ne\\x1B[31m  y\n',
  );
});

test('recordings list, sessions list and verify findings print nothing raw', () => {
  const summary: RecordingSummary = {
    id: '01JABCDEFGHJKMNPQRSTVWXYZ0',
    user: 'mallory\x1b]52;c;eA==\x07',
    target: 'web\u202e10',
    protocol: 'ssh\x9b6n',
    clientAddress: '10.0.0.1',
    startedAt: '2026-01-02T03:04:05.678Z',
    endedAt: null,
    durationMs: null,
    bytes: 10,
    status: 'complete',
    endReason: 'terminated\x07',
    recipients: [],
  };
  const table = formatTable([summary]);
  assert.doesNotMatch(table, RAW);
  assert.match(table, /mallory\\x1B\]52;c;eA==\\x07\s+web\\u202E10\s+ssh\\u009B6n/);
  assert.match(table, /complete \(terminated\\x07\)/);
  const session: SessionInfo = { id: 's1', user: 'eve\u2066', target: 'db\r', protocol: 'postgres', clientAddress: '::1', startedAt: summary.startedAt, recording: true, idleMs: 0 };
  const sessions = formatSessions([session]);
  assert.doesNotMatch(sessions, RAW);
  assert.match(sessions, /eve\\u2066\s+db\\r\s+postgres/);
  const finding = formatFinding({ recording: summary.id, severity: 'error', message: 'the index says user "a\u202eb\x9b"\nsecond line' });
  assert.equal(finding, 'error: the index says user "a\\u202Eb\\u009B"\\x0Asecond line');
});
