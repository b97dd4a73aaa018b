import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { TargetConfig } from '../../src/config/index.js';
import { pino } from 'pino';
import { Capability as C, MariaDbCapability as M } from './protocol/capabilities.js';
import { familyOf, GATEWAY_MARIADB_CAPABILITIES, greetingIdentity, NEUTRAL, TargetIdentities, versionNumbers, type TargetGreeting } from './identity.js';

const MYSQL_CAPS = C.CLIENT_LONG_PASSWORD | C.CLIENT_PROTOCOL_41;
const MARIADB_CAPS = C.CLIENT_PROTOCOL_41;
const ALL_MARIADB = M.MARIADB_CLIENT_PROGRESS | M.MARIADB_CLIENT_STMT_BULK_OPERATIONS | M.MARIADB_CLIENT_EXTENDED_METADATA | M.MARIADB_CLIENT_CACHE_METADATA;

const maria = (serverVersion: string, mariadbCapabilities = ALL_MARIADB): TargetGreeting => ({ serverVersion, capabilities: MARIADB_CAPS, mariadbCapabilities });
const mysql = (serverVersion: string): TargetGreeting => ({ serverVersion, capabilities: MYSQL_CAPS, mariadbCapabilities: 0 });

describe('greeting identity', () => {
  test('families and version numbers, MariaDB replication prefix left out', () => {
    assert.equal(familyOf(maria('5.5.5-10.11.6-MariaDB-0+deb12u1')), 'MariaDB');
    assert.equal(familyOf(mysql('8.0.36')), 'MySQL');
    // MariaDB 11 dropped the prefix; CLIENT_MYSQL clear says MariaDB too.
    assert.equal(familyOf({ serverVersion: '11.4.2', capabilities: MARIADB_CAPS, mariadbCapabilities: 0 }), 'MariaDB');
    assert.deepEqual(versionNumbers('5.5.5-10.11.6-MariaDB'), [10, 11, 6]);
    assert.deepEqual(versionNumbers('8.0.36-log'), [8, 0, 36]);
    assert.equal(versionNumbers('garbage'), null);
  });

  test('all MariaDB: the lowest version, and the extended capabilities all share of those the relay follows', () => {
    const id = greetingIdentity([maria('5.5.5-10.11.6-MariaDB'), maria('5.5.5-10.6.18-MariaDB', M.MARIADB_CLIENT_STMT_BULK_OPERATIONS | M.MARIADB_CLIENT_PROGRESS), maria('11.4.2-MariaDB')]);
    assert.deepEqual(id, { family: 'MariaDB', serverVersion: '5.5.5-10.6.18-MariaDB', mariadbCapabilities: M.MARIADB_CLIENT_STMT_BULK_OPERATIONS });
    assert.equal(greetingIdentity([maria('10.11.6-MariaDB')]).mariadbCapabilities, GATEWAY_MARIADB_CAPABILITIES);
  });

  test('all MySQL: the lowest version, no extended capabilities', () => {
    assert.deepEqual(greetingIdentity([mysql('8.4.0'), mysql('8.0.36')]), { family: 'MySQL', serverVersion: '8.0.36', mariadbCapabilities: 0 });
  });

  test('mixed families, none known, or an unusable version string: neutral', () => {
    assert.deepEqual(greetingIdentity([mysql('8.0.36'), maria('10.11.6-MariaDB')]), NEUTRAL);
    assert.deepEqual(greetingIdentity([]), NEUTRAL);
    assert.deepEqual(greetingIdentity([maria('10.11.6-MariaDB\u001b[31m')]), NEUTRAL);
    assert.deepEqual(greetingIdentity([maria(`10.11.6-${'x'.repeat(100)}`)]), NEUTRAL);
    assert.equal(NEUTRAL.serverVersion, '8.0.0-recgate');
  });

  test('property: the result is one of the inputs (or neutral), never above any of them, order-independent', () => {
    const greeting = fc.record({
      maria: fc.boolean(),
      v: fc.tuple(fc.integer({ min: 5, max: 12 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 60 })),
      caps: fc.integer({ min: 0, max: 0x3f }),
    }).map(({ maria: m, v, caps }) => (m ? maria(`${v.join('.')}-MariaDB`, caps) : mysql(v.join('.'))));
    fc.assert(
      fc.property(fc.array(greeting, { maxLength: 6 }), (gs) => {
        const id = greetingIdentity(gs);
        assert.deepEqual(greetingIdentity([...gs].reverse()).family, id.family);
        if (id.family === null) return assert.deepEqual(id, NEUTRAL);
        assert.ok(gs.some((g) => g.serverVersion === id.serverVersion));
        assert.ok(gs.every((g) => familyOf(g) === id.family));
        assert.equal(id.mariadbCapabilities & ~GATEWAY_MARIADB_CAPABILITIES, 0);
        for (const g of gs) assert.equal(id.mariadbCapabilities & ~g.mariadbCapabilities, 0);
      }),
    );
  });
});

describe('TargetIdentities', () => {
  const target = (name: string, protocol = 'mysql') => ({ name, protocol, host: '127.0.0.1', port: 1 }) as unknown as TargetConfig;
  const log = pino({ level: 'silent' });

  test('probes each mysql target once, skips the others, retries none that failed within the retry time, and learns from logins', async () => {
    const probed: string[] = [];
    const ids = new TargetIdentities(() => [target('a'), target('b'), target('s', 'ssh'), target('down')], log as never, async (t) => {
      probed.push(t.name);
      if (t.name === 'down') throw new Error('connection refused');
      return t.name === 'a' ? maria('10.11.6-MariaDB') : maria('10.6.18-MariaDB');
    });
    assert.equal((await ids.identity()).serverVersion, '10.6.18-MariaDB');
    assert.equal((await ids.identity()).serverVersion, '10.6.18-MariaDB');
    assert.deepEqual(probed.sort(), ['a', 'b', 'down']);
    ids.learn('down', mysql('8.0.36'));
    assert.deepEqual(await ids.identity(), NEUTRAL);
  });
});
