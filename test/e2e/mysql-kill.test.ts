/**
 * KILL through the MySQL proxy, with real clients: the mariadb client's
 * Ctrl-C (a second connection through the gateway sends KILL QUERY with the
 * connection id the gateway greeted with) stops the person's statement and
 * nothing else; a KILL naming another connection's thread is refused and
 * recorded, and that connection's statement goes on.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ALICE_PASSWORD, MyGateway } from '../fixtures/my-gateway.js';
import { Tmux } from '../fixtures/tmux.js';

let g: MyGateway;

before(async () => {
  g = await MyGateway.start();
});
after(async () => {
  await g?.stop();
});

async function allEvents(): Promise<Record<string, unknown>[]> {
  const recs = await g.recordings();
  return (await Promise.all(recs.filter((r) => r.status !== 'recording').map((r) => g.events(r.id)))).flat();
}

/** The target thread running `sql` for `app`, as the target's processlist shows it. */
async function threadRunning(sql: string): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const r = await g.my.mariadb(['-N', '-e', `SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE '${sql}%' AND ID <> CONNECTION_ID()`]);
    if (r.stdout.trim()) return Number(r.stdout.trim().split('\n')[0]);
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no thread runs ${sql}`);
}

test("the mariadb client's Ctrl-C stops its statement within about a second, and nothing else on the target", async () => {
  const term = await Tmux.start(
    ['env', 'MYSQL_HISTFILE=/dev/null', 'mariadb', '--no-defaults', '--protocol=TCP', '--host=127.0.0.1', `--port=${g.port}`, '--user=alice+my01', `--password=${ALICE_PASSWORD}`, '--skip-ssl', '--database=app'],
    120,
    30,
  );
  try {
    await term.waitFor(/\[app\]>\s*$/m);
    // Someone else's statement on the same target, directly.
    const bystander = g.my.mariadb(['-N', '-e', 'SELECT SLEEP(4) AS bystander']);
    await threadRunning('SELECT SLEEP(4) AS bystander');
    await term.type('SELECT SLEEP(30) \\g');
    await threadRunning('SELECT SLEEP(30)').catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}; screen:\n${await term.screen()}`);
    });
    const pressed = Date.now();
    await term.key('C-c');
    const screen = await term.waitFor(/ERROR 1317 \(70100\)/, 5000);
    const elapsed = Date.now() - pressed;
    assert.match(screen, /query killed/i);
    assert.ok(elapsed < 2000, `Ctrl-C took ${elapsed} ms to stop the statement`);
    console.log(`# Ctrl-C to ERROR 1317 through the gateway: ${elapsed} ms`);
    // The session goes on.
    await term.type('SELECT 40 + 2 AS answer \\g');
    await term.waitFor(/\b42\b/);
    const b = await bystander;
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout, '0\n', 'the direct statement was not interrupted');
    await term.type('exit');
  } finally {
    await term.stop();
  }
  await g.endedRecording(0);
  const events = await allEvents();
  // In the recording of the connection that sent the KILL, and in the one whose statement it stopped.
  const cancel = events.find((e) => e['type'] === 'cancel' && e['targetThread'] !== undefined);
  assert.ok(cancel, 'the cancel is recorded');
  assert.equal(cancel['scope'], 'query');
  const cancelled = events.find((e) => e['type'] === 'cancel' && e['by'] !== undefined);
  assert.ok(cancelled, "the cancelled session's recording says so");
  assert.equal(cancelled['scope'], 'query');
});

test("a KILL of another connection's thread is refused and recorded, and that statement goes on", async () => {
  const victim = g.my.mariadb(['-N', '-e', 'SELECT SLEEP(3) AS victim']);
  const thread = await threadRunning('SELECT SLEEP(3) AS victim');
  const before = (await g.recordings()).length;
  for (const sql of [`KILL QUERY ${thread}`, `KILL ${thread}`, 'KILL USER app']) {
    const r = await g.mariadb(['-e', sql]);
    assert.notEqual(r.code, 0, sql);
    assert.match(r.stderr, sql.includes('USER') ? /ERROR 1227 \(42000\)/ : new RegExp(`ERROR 1094 \\(HY000\\).*Unknown thread id: ${thread}`), sql);
  }
  const v = await victim;
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout, '0\n', 'the direct statement survived');
  await g.endedRecording(before + 2);
  const refused = (await allEvents()).filter((e) => e['type'] === 'command-refused' && e['command'] === 'KILL');
  assert.equal(refused.length, 3);
  assert.match(String(refused[0]!['message']), /Unknown thread id/);
});
