/**
 * What the login path tells /metrics, driven as a proxy drives it against a
 * real Gateway (config file, local store, signing key): failed logins per
 * protocol, refusals by kind, sessions started, live and ended by reason;
 * and no user, target or address among the labels.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startInProcessGateway, type InProcessGateway } from '../../test/fixtures/in-process-gateway.js';
import { parseExposition, sampleValue } from '../../test/fixtures/prom-text.js';
import { Refusal } from '../admission/refusal.js';
import { loadConfig } from '../config/index.js';
import type { Gateway } from '../daemon/gateway.js';
import { silentLogger } from '../log.js';

const log = silentLogger();
let gw: InProcessGateway;
let gateway: Gateway;

before(async () => {
  gw = await startInProcessGateway({ maxFailures: 2, metricsFor: ['ssh', 'postgres'] });
  gateway = gw.gateway;
});
after(() => gw?.close());

const scrape = () => parseExposition(gateway.metrics!.render());
const begin = (protocol: string, address: string, loginName = 'alice+web01') => gateway.admission.begin({ protocol, address, loginName, log });

test('failed logins count per protocol, the limit and each refusal by kind, sessions by protocol and end reason', async () => {
  begin('postgres', '192.0.2.1', 'mallory+db01').failed('unknown user');
  begin('postgres', '192.0.2.1').failed('wrong password');
  assert.throws(() => begin('postgres', '192.0.2.1'), (e: unknown) => e instanceof Refusal && e.kind === 'too-many-failures');
  begin('ssh', '192.0.2.2').failed('wrong password');
  let m = scrape();
  assert.equal(sampleValue(m, 'recgate_login_failures_total', { protocol: 'postgres' }), 2);
  assert.equal(sampleValue(m, 'recgate_login_failures_total', { protocol: 'ssh' }), 1);
  assert.equal(sampleValue(m, 'recgate_sessions_refused_total', { protocol: 'postgres', reason: 'too-many-failures' }), 1);

  const connect = async (): Promise<string> => 'link';
  const login = (target: string, protocol: string) => begin(protocol, '192.0.2.3', `alice+${target}`).succeeded('password');
  await assert.rejects(gateway.admission.open(login('nowhere', 'ssh'), connect, () => undefined), Refusal);
  await assert.rejects(gateway.admission.open(login('db01', 'ssh'), connect, () => undefined), Refusal);
  const a = await gateway.admission.open(login('web01', 'ssh'), connect, () => undefined);
  const b = await gateway.admission.open(login('db01', 'postgres'), connect, () => undefined);
  m = scrape();
  assert.equal(sampleValue(m, 'recgate_sessions_refused_total', { protocol: 'ssh', reason: 'no-such-target' }), 1);
  assert.equal(sampleValue(m, 'recgate_sessions_refused_total', { protocol: 'ssh', reason: 'wrong-protocol' }), 1);
  assert.equal(sampleValue(m, 'recgate_sessions_live', { protocol: 'ssh' }), 1);
  assert.equal(sampleValue(m, 'recgate_sessions_live', { protocol: 'postgres' }), 1);
  assert.equal(sampleValue(m, 'recgate_sessions_started_total', { protocol: 'ssh' }), 1);

  a.session.output(Buffer.from('hello'));
  await a.session.end('closed');
  await b.session.terminate('bye');
  const text = gateway.metrics!.render();
  m = parseExposition(text);
  assert.equal(sampleValue(m, 'recgate_sessions_ended_total', { protocol: 'ssh', reason: 'closed' }), 1);
  assert.equal(sampleValue(m, 'recgate_sessions_ended_total', { protocol: 'postgres', reason: 'terminated' }), 1);
  assert.equal(sampleValue(m, 'recgate_sessions_live', { protocol: 'ssh' }), 0);
  assert.ok(sampleValue(m, 'recgate_recorded_bytes_total', { protocol: 'ssh', stream: 'tty' })! >= 5);
  for (const word of ['alice', 'mallory', 'web01', 'db01', 'nowhere', '192.0.2.']) assert.ok(!text.includes(word), `no ${word} in /metrics`);
});
