import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventsWriter } from './events.js';

const meta = { startedAt: '2024-05-01T10:00:00Z' };

describe('EventsWriter', () => {
  test('one JSON line per event with t in ms and the ISO time first', () => {
    const line = new EventsWriter(meta).event(1530, { type: 'command', text: 'ls -la' });
    assert.equal(line, '{"t":1530,"time":"2024-05-01T10:00:01.530Z","type":"command","text":"ls -la"}\n');
  });

  test('fields named t or time in the event do not override the recorded time', () => {
    const line = new EventsWriter(meta).event(10, { type: 'x', t: 'forged', time: 'forged' });
    assert.deepEqual(JSON.parse(line), { t: 10, time: '2024-05-01T10:00:00.010Z', type: 'x' });
  });

  test('newlines inside event fields stay escaped on one line', () => {
    const line = new EventsWriter(meta).event(0, { type: 'query', sql: 'select 1;\nselect 2;' });
    assert.equal(line.indexOf('\n'), line.length - 1);
  });

  test('an instant beyond the range of dates gives time null instead of throwing', () => {
    const line = new EventsWriter(meta).event(2 ** 53, { type: 'x' });
    assert.equal((JSON.parse(line) as { time: unknown }).time, null);
  });
});
