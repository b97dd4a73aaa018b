/**
 * The one login path, driven as a proxy drives it, against a real Gateway
 * (config file, local store, signing key): the limit, the verdict, routing
 * and the refusals a person reads.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startInProcessGateway, type InProcessGateway } from '../../test/fixtures/in-process-gateway.js';
import { loadConfig, type TargetConfig } from '../config/index.js';
import type { Gateway } from '../daemon/gateway.js';
import { silentLogger } from '../log.js';
import type { Login } from './admission.js';
import { PreLoginGuard } from './guard.js';
import { Refusal } from './refusal.js';

const log = silentLogger();
let gw: InProcessGateway;
let gateway: Gateway;

before(async () => {
  gw = await startInProcessGateway({ maxFailures: 3 });
  gateway = gw.gateway;
});
after(() => gw?.close());

function login(target: string, protocol = 'ssh', address = '192.0.2.1'): Login {
  const attempt = gateway.admission.begin({ protocol, address, loginName: `alice+${target}`, log });
  assert.equal(attempt.user?.name, 'alice');
  return attempt.succeeded('password');
}

async function refusal(promise: Promise<unknown>): Promise<Refusal> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof Refusal, String(err));
    return err;
  }
  assert.fail('not refused');
}

test('a target that does not exist and one the person may not reach are refused in the same words', async () => {
  const connect = async (): Promise<string> => 'link';
  const unknown = await refusal(gateway.admission.open(login('nope'), connect, () => undefined));
  const forbidden = await refusal(gateway.admission.open(login('web02'), connect, () => undefined));
  assert.equal(unknown.kind, 'no-such-target');
  assert.equal(forbidden.kind, 'no-such-target');
  assert.equal(unknown.message.replace('nope', 'X'), forbidden.message.replace('web02', 'X'));
  const wrong = await refusal(gateway.admission.open(login('db01', 'ssh'), connect, () => undefined));
  assert.equal(wrong.kind, 'wrong-protocol');
  assert.match(wrong.message, /db01 is a postgres target/);
});

test('an allowed target: the proxy connects, then the session opens (a failed connect is a target refusal)', async () => {
  const connected: TargetConfig[] = [];
  const admitted = await gateway.admission.open(login('web01'), async (t) => (connected.push(t), 'link'), () => undefined);
  assert.deepEqual([admitted.link, admitted.target.name, connected.length], ['link', 'web01', 1]);
  assert.equal(admitted.session.user, 'alice');
  assert.equal(admitted.session.clientAddress, '192.0.2.1');
  assert.ok(gateway.sessions.get(admitted.session.id), 'listed for operators');
  await admitted.session.end('closed');
  const cause = new Error('recgate: cannot reach web01: connection refused');
  const down = await refusal(gateway.admission.open(login('web01'), async () => Promise.reject(cause), () => undefined));
  assert.deepEqual([down.kind, down.cause, down.message], ['target', cause, cause.message]);
});

test('attempts are counted when they start, over every protocol, and a verdict frees the place before login', () => {
  const guard = new PreLoginGuard({ maxTotal: 10, maxPerAddress: 10, graceMs: 60_000 });
  const place = guard.enter('198.51.100.7', () => undefined)!;
  const begin = (protocol: string) => gateway.admission.begin({ protocol, address: '198.51.100.7', loginName: 'mallory+web01', log, place });
  const attempts = [begin('ssh'), begin('postgres'), begin('mysql')];
  assert.throws(() => begin('ssh'), (err: unknown) => err instanceof Refusal && err.kind === 'too-many-failures');
  assert.equal(attempts[0]!.user, undefined, 'an unknown user is no user, yet goes through the motions');
  for (const a of attempts) assert.equal(a.failed('wrong password').kind, 'login-failed');
  assert.throws(() => attempts[0]!.succeeded('password'), Refusal, 'a verdict is given once');
  assert.equal(guard.size, 1, 'failures do not free the place');
  const other = gateway.admission.begin({ protocol: 'ssh', address: '198.51.100.8', loginName: 'alice+web01', log, place });
  other.succeeded('password');
  assert.equal(guard.size, 0);
});

test('a login name without a target fails like a wrong password', () => {
  const attempt = gateway.admission.begin({ protocol: 'ssh', address: '203.0.113.9', loginName: 'alice', log });
  assert.equal(attempt.name, null);
  assert.throws(() => attempt.succeeded('password'), (err: unknown) => err instanceof Refusal && err.kind === 'login-failed');
});

test('a locked person is refused after authentication, before the target is contacted, and it is no failed login', async () => {
  const until = new Date(Date.now() + 60_000).toISOString();
  await gateway.locks.add({ user: 'alice', scope: 'target', target: 'web01', until, message: 'audit', by: 'root', at: new Date().toISOString() });
  let connects = 0;
  const connect = async (): Promise<string> => (connects++, 'link');
  for (let i = 0; i < 5; i++) {
    const locked = await refusal(gateway.admission.open(login('web01', 'ssh', '192.0.2.50'), connect, () => undefined));
    assert.equal(locked.kind, 'locked');
    assert.match(locked.message, /^audit \(locked out of web01 until \d{4}-\d\d-\d\d \d\d:\d\d UTC\)$/);
  }
  assert.equal(connects, 0, 'the target is never contacted');
  const other = await gateway.admission.open(login('db01', 'postgres', '192.0.2.50'), connect, () => undefined);
  assert.equal(other.target.name, 'db01', 'a target lock keeps the person off that target only; five locked logins did not block the address (limit 3)');
  await other.session.end('closed');
  await gateway.locks.remove('alice', undefined);
  const back = await gateway.admission.open(login('web01', 'ssh', '192.0.2.50'), connect, () => undefined);
  await back.session.end('closed');
  assert.equal(connects, 2);
});
