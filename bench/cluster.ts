/**
 * Sessions across nodes, measured with two real `recgate start` nodes sharing
 * a real PostgreSQL store (test/fixtures/cluster.ts) and a real ssh session
 * through node A:
 *
 * - follow latency: a line typed on node A until `recordings play --follow`
 *   run with node B's config prints it (the recorder's flushInterval, the
 *   store's append and NOTIFY, the tail's read, decryption);
 * - terminate round trip: a terminate queued from node B's side until node A
 *   confirmed it (the session and its recording ended);
 * - takeover: node A killed with SIGKILL until node B has marked it dead and
 *   its recording interrupted (heartbeatTimeout plus at most one interval).
 *
 *   node dist/bench/cluster.js [--markers N] [--terminates N] [--interval MS] [--timeout MS]
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { terminateInCluster } from '../src/cluster/directory.js';
import { Secret } from '../src/config/secret.js';
import { silentLogger } from '../src/log.js';
import { CLI, PASSPHRASE } from '../test/fixtures/gateway-env.js';
import { eventually, GatewayCluster } from '../test/fixtures/cluster.js';
import { Tmux } from '../test/fixtures/tmux.js';
import { parseOptions, runBenchmark } from './common.js';
import { machineLine } from './report.js';

const options = parseOptions({ markers: 10, terminates: 5, interval: 500, timeout: 3000 });

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `median ${at(0.5)} ms, max ${sorted.at(-1)} ms (n=${sorted.length})`;
}

async function sessionOn(cluster: GatewayCluster, node: string, pool: pg.Pool): Promise<{ term: Tmux; id: string }> {
  const before = new Set((await pool.query<{ id: string }>('SELECT id FROM cluster_sessions')).rows.map((r) => r.id));
  const term = await Tmux.start(['ssh', ...cluster.sshArgs(node)], 120, 40);
  await term.waitFor(/:~[#$]/, 30_000);
  const id = await eventually('the session listed', 10_000, async () => (await pool.query<{ id: string }>('SELECT id FROM cluster_sessions WHERE node_id = $1', [node])).rows.find((r) => !before.has(r.id))?.id);
  return { term, id };
}

async function followLatency(cluster: GatewayCluster, pool: pg.Pool): Promise<number[]> {
  const { term, id } = await sessionOn(cluster, 'node-a', pool);
  const child = spawn(process.execPath, [CLI, 'recordings', 'play', '--follow', id, '--key', cluster.home.key('officer'), '--config', cluster.node('node-b').config], {
    env: { ...process.env, RECGATE_PASSPHRASE: PASSPHRASE },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  try {
    await eventually('the follower in step', 15_000, () => out.includes(':~'));
    const samples: number[] = [];
    for (let i = 0; i < options.markers; i++) {
      await term.type(`echo FOLLOW-$((${i}+1000))-END`);
      const t0 = Date.now();
      await eventually(`marker ${i}`, 10_000, () => out.includes(`FOLLOW-${i + 1000}-END`));
      samples.push(Date.now() - t0);
      // Spread over the flush interval, so the samples are not all in step with it.
      await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 1000)));
    }
    return samples;
  } finally {
    child.kill('SIGTERM');
    await term.stop();
  }
}

async function terminateRoundTrip(cluster: GatewayCluster, pool: pg.Pool): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < options.terminates; i++) {
    const { term, id } = await sessionOn(cluster, 'node-a', pool);
    try {
      const t0 = performance.now();
      await terminateInCluster(pool, new Secret(cluster.storeUrl, 'inline'), options.timeout, { id, message: 'bench', by: 'bench', timeoutMs: 30_000 }, silentLogger());
      samples.push(Math.round(performance.now() - t0));
    } finally {
      await term.stop();
    }
  }
  return samples;
}

async function takeover(cluster: GatewayCluster, pool: pg.Pool): Promise<number> {
  const { term, id } = await sessionOn(cluster, 'node-a', pool);
  try {
    const killedAt = Date.now();
    await cluster.node('node-a').daemon!.stop('SIGKILL');
    const dead = await eventually('node-a taken for dead', 60_000, async () => (await pool.query<{ dead_at: Date }>("SELECT dead_at FROM cluster_nodes WHERE node_id = 'node-a' AND dead_at IS NOT NULL")).rows[0]?.dead_at);
    const status = await pool.query<{ status: string }>('SELECT status FROM recordings WHERE id = $1', [id]);
    if (status.rows[0]?.status !== 'interrupted') throw new Error(`recording ${id} is ${status.rows[0]?.status}`);
    return dead.getTime() - killedAt;
  } finally {
    await term.stop();
  }
}

runBenchmark(async (cleanup) => {
  const cluster = await GatewayCluster.start(['node-a', 'node-b'], { heartbeatInterval: `${options.interval}ms`, heartbeatTimeout: `${options.timeout}ms` });
  cleanup.add(() => cluster.stop());
  const pool = new pg.Pool({ connectionString: cluster.storeUrl, max: 2 });
  cleanup.add(() => pool.end());
  console.log(machineLine());
  console.log(`two nodes, one PostgreSQL store; heartbeatInterval ${options.interval} ms, heartbeatTimeout ${options.timeout} ms, recording.flushInterval 1 s (default)`);
  console.log('');
  console.log('| figure | result |');
  console.log('| --- | --- |');
  console.log(`| typed on node A → printed by play --follow on node B | ${summary(await followLatency(cluster, pool))} |`);
  console.log(`| terminate queued for node A → confirmed | ${summary(await terminateRoundTrip(cluster, pool))} |`);
  console.log(`| SIGKILL of node A → taken for dead by node B, recording interrupted | ${await takeover(cluster, pool)} ms |`);
});
