import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { formatListen, parseDuration, parseListen, parseSize } from './units.js';

describe('parseDuration', () => {
  it('reads every unit into milliseconds', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('15m'), 900_000);
    assert.equal(parseDuration('8h'), 28_800_000);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.equal(parseDuration('1.5s'), 1500);
  });

  it('adds up compound durations', () => {
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1m500ms'), 60_500);
  });

  it('takes a number as seconds', () => {
    assert.equal(parseDuration(90), 90_000);
    assert.equal(parseDuration(0.25), 250);
    assert.equal(parseDuration(0), 0);
  });

  it('rejects other forms with the accepted forms named', () => {
    for (const bad of ['', '15', '15 minutes', '1w', 'm', '-5s', '5s ago', '1e3s']) {
      assert.throws(() => parseDuration(bad), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.message, `${JSON.stringify(bad)} is not a duration (use 90s, 15m, 8h, 1d, 500ms, 1h30m or a number of seconds)`);
        return true;
      });
    }
    for (const bad of [-1, Number.NaN, Infinity]) assert.throws(() => parseDuration(bad), ConfigError);
  });
});

describe('parseSize', () => {
  it('reads bytes, KiB, MiB and GiB', () => {
    assert.equal(parseSize(65536), 65536);
    assert.equal(parseSize('64KiB'), 65536);
    assert.equal(parseSize('1MiB'), 1_048_576);
    assert.equal(parseSize('1 GiB'), 1_073_741_824);
    assert.equal(parseSize('512B'), 512);
    assert.equal(parseSize('0.5KiB'), 512);
  });

  it('rejects decimal units and fractions of a byte', () => {
    for (const bad of ['64KB', '1M', 'lots', '1.5', '0.3KiB']) assert.throws(() => parseSize(bad), ConfigError);
    for (const bad of [1.5, -1]) assert.throws(() => parseSize(bad), ConfigError);
  });
});

describe('parseListen', () => {
  it('splits host and port', () => {
    assert.deepEqual(parseListen('127.0.0.1:2222'), { host: '127.0.0.1', port: 2222 });
    assert.deepEqual(parseListen('gateway.internal:8080'), { host: 'gateway.internal', port: 8080 });
    assert.deepEqual(parseListen('0.0.0.0:0'), { host: '0.0.0.0', port: 0 });
  });

  it('takes an IPv6 host in brackets and returns it without them', () => {
    assert.deepEqual(parseListen('[::1]:2222'), { host: '::1', port: 2222 });
    assert.deepEqual(parseListen('[fe80::1%eth0]:22'), { host: 'fe80::1%eth0', port: 22 });
  });

  it('explains what is wrong', () => {
    assert.throws(() => parseListen('::1:2222'), /an IPv6 host goes in brackets/);
    assert.throws(() => parseListen('[127.0.0.1]:22'), /only IPv6 hosts go in brackets/);
    for (const bad of ['2222', 'localhost', 'host:', ':2222', 'host:65536', 'host:22x', 'a b:22']) {
      assert.throws(() => parseListen(bad), ConfigError, bad);
    }
  });

  it('formats back to the form it reads', () => {
    for (const text of ['127.0.0.1:2222', '[::1]:6432']) assert.equal(formatListen(parseListen(text)), text);
  });
});
