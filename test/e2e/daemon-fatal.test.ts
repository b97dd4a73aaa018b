/**
 * An error that escapes every handler in `recgate start` (a bug): the daemon logs it as fatal
 * in its own log, with its origin and message, and exits 70 instead of dying with a bare stack
 * trace. The fault is raised for real inside the daemon process, by a module loaded with
 * `--import` that throws, or rejects a promise nobody handles, on SIGUSR2.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GatewayHome } from '../fixtures/gateway-env.js';

let home: GatewayHome;
before(async () => {
  home = await GatewayHome.create();
});
after(() => home.remove());

const fault = (kind: 'throw' | 'reject'): string =>
  `data:text/javascript,process.on('SIGUSR2', () => setImmediate(() => { ${
    kind === 'throw' ? "throw new Error('a fault raised by the test')" : "void Promise.reject(new Error('a fault raised by the test'))"
  } }));`;

for (const [kind, origin] of [['throw', 'uncaughtException'], ['reject', 'unhandledRejection']] as const) {
  test(`an ${origin} is logged as fatal and stops the gateway with exit code 70`, async () => {
    const daemon = await home.startDaemon(home.configPath, { nodeOptions: ['--import', fault(kind)] });
    daemon.child.kill('SIGUSR2');
    const code = await daemon.exited;
    assert.equal(code, 70, daemon.log());
    const fatal = daemon
      .log()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; origin?: string; err?: { message: string } })
      .find((entry) => entry.level === 60);
    assert.ok(fatal, `a fatal entry in the log:\n${daemon.log()}`);
    assert.match(fatal.msg, /an unexpected error stopped the gateway/);
    assert.equal(fatal.origin, origin);
    assert.equal(fatal.err?.message, 'a fault raised by the test');
  });
}
