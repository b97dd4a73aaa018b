/**
 * SSH benchmark: the gateway (recording on) beside a direct sshd and an
 * OpenSSH ProxyJump bastion (a second sshd, the no-recording baseline), all
 * measured in one run on this machine.
 *
 *   node dist/bench/ssh.js [--mib 1024] [--keys 1000] [--sessions 200]
 *
 *   throughput   `head -c N /dev/zero` through the real ssh client, output to /dev/null
 *   keystrokes   echo round trip of single keystrokes in a pty running cat (ssh2 client)
 *   idle memory  RSS added per idle interactive session, over N concurrent sessions
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import ssh2 from 'ssh2';
import { SshGateway } from '../test/fixtures/ssh-gateway.js';
import { startSshd, type Sshd } from '../test/fixtures/sshd.js';

interface Route {
  name: string;
  sshArgs: string[];
  connect: () => Promise<ssh2.Client>;
  /** Processes whose memory counts for this route. */
  pids: () => Promise<number[]>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function sshClient(config: ssh2.ConnectConfig): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.once('ready', () => resolve(c));
    c.once('error', reject);
    c.connect({ readyTimeout: 60_000, ...config });
  });
}

async function throughput(route: Route, mib: number): Promise<number> {
  const t0 = performance.now();
  const child = spawn('ssh', [...route.sshArgs, `head -c ${mib * 1048576} /dev/zero`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let bytes = 0;
  child.stdout.on('data', (d: Buffer) => (bytes += d.length));
  await new Promise((r) => child.on('close', r));
  if (bytes !== mib * 1048576) throw new Error(`${route.name}: got ${bytes} bytes`);
  return bytes / 1e6 / ((performance.now() - t0) / 1000);
}

async function keystrokes(route: Route, count: number): Promise<{ p50: number; p99: number }> {
  const c = await route.connect();
  const stream = await new Promise<ssh2.ClientChannel>((resolve, reject) =>
    c.shell({ term: 'dumb', cols: 80, rows: 24 }, (err, s) => (err ? reject(err) : resolve(s))),
  );
  let seen = '';
  stream.on('data', (d: Buffer) => (seen += d.toString('latin1')));
  stream.write('exec cat\n');
  await sleep(500);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    seen = '';
    const t0 = performance.now();
    stream.write('k');
    while (!seen.includes('k')) await new Promise((r) => setImmediate(r));
    times.push(performance.now() - t0);
  }
  c.end();
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(count * 0.5)]!, p99: times[Math.floor(count * 0.99)]! };
}

function rssKiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  } catch {
    return 0;
  }
}

async function idleMemory(route: Route, sessions: number): Promise<number> {
  const before = (await route.pids()).reduce((n, p) => n + rssKiB(p), 0);
  const clients: ssh2.Client[] = [];
  for (let i = 0; i < sessions; i++) {
    const c = await route.connect();
    await new Promise<void>((resolve, reject) => c.shell({ term: 'xterm', cols: 80, rows: 24 }, (err) => (err ? reject(err) : resolve())));
    clients.push(c);
  }
  await sleep(2000);
  const after = (await route.pids()).reduce((n, p) => n + rssKiB(p), 0);
  for (const c of clients) c.end();
  await sleep(1000);
  return (after - before) / sessions;
}

/** sshd's listener and every process it forked (two per session with privilege separation). */
async function sshdPids(sshd: Sshd): Promise<number[]> {
  const root = Number(readFileSync(join(sshd.dir, 'sshd.pid'), 'utf8').trim());
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const pids = [root];
  for (let i = 0; i < pids.length; i++) for (const [pid, ppid] of parents) if (ppid === pids[i]) pids.push(pid);
  return pids;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { mib: { type: 'string', default: '1024' }, keys: { type: 'string', default: '1000' }, sessions: { type: 'string', default: '200' } } });
  const mib = Number(values.mib);
  const gw = await SshGateway.start({ sshdConfig: ['MaxStartups 500', 'MaxSessions 500'] });
  const target = gw.sshd;
  const bastion = await startSshd(['MaxStartups 500', 'MaxSessions 500', 'AllowTcpForwarding yes']);
  await writeFile(join(bastion.dir, 'authorized_keys'), readFileSync(`${target.clientKeyPath}.pub`));
  const cfg = join(target.dir, 'client_config');
  await writeFile(cfg, [`Host *`, `  IdentityFile ${target.clientKeyPath}`, '  StrictHostKeyChecking no', '  UserKnownHostsFile /dev/null', '  LogLevel ERROR', '  BatchMode yes', ''].join('\n'));
  const key = readFileSync(target.clientKeyPath);
  const direct: Route = {
    name: 'direct sshd',
    sshArgs: ['-F', cfg, '-p', String(target.port), `${target.user}@127.0.0.1`],
    connect: () => sshClient({ host: '127.0.0.1', port: target.port, username: target.user, privateKey: key }),
    pids: () => sshdPids(target),
  };
  const jump: Route = {
    name: 'OpenSSH ProxyJump',
    sshArgs: ['-F', cfg, '-J', `${target.user}@127.0.0.1:${bastion.port}`, '-p', String(target.port), `${target.user}@127.0.0.1`],
    connect: async () => {
      const hop = await sshClient({ host: '127.0.0.1', port: bastion.port, username: target.user, privateKey: key });
      const sock = await new Promise<ssh2.ClientChannel>((resolve, reject) =>
        hop.forwardOut('127.0.0.1', 0, '127.0.0.1', target.port, (err, s) => (err ? reject(err) : resolve(s))),
      );
      return sshClient({ sock, username: target.user, privateKey: key });
    },
    pids: () => sshdPids(bastion),
  };
  const gateway: Route = {
    name: 'recgate (recording)',
    sshArgs: gw.sshArgs(),
    connect: () => sshClient({ host: '127.0.0.1', port: gw.port, username: 'alice+web01', privateKey: readFileSync(gw.aliceKey) }),
    pids: async () => [gw.daemonProcess!.pid!],
  };
  const routes = [direct, jump, gateway];
  const rows: string[][] = [];
  for (const r of routes) {
    const mbps = await throughput(r, mib);
    const keys = await keystrokes(r, Number(values.keys));
    const mem = await idleMemory(r, Number(values.sessions));
    rows.push([r.name, mbps.toFixed(0), keys.p50.toFixed(3), keys.p99.toFixed(3), mem.toFixed(0)]);
  }
  const base = rows[0]!;
  console.log(`recgate SSH benchmark: ${mib} MiB output, ${values.keys} keystrokes, ${values.sessions} idle sessions; MB = 10^6 bytes\n`);
  const head = ['route', 'throughput MB/s', '% of direct', 'echo p50 ms', 'echo p99 ms', 'added p99 ms', 'KiB per idle session'];
  const table = rows.map((r) => [r[0]!, r[1]!, `${((100 * Number(r[1])) / Number(base[1])).toFixed(0)}%`, r[2]!, r[3]!, (Number(r[3]) - Number(base[3])).toFixed(3), r[4]!]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const t of table) console.log(line(t));
  console.log('\nKiB per idle session: direct counts the target sshd and the processes it forks; ProxyJump counts the bastion sshd');
  console.log('and its forks (the target behind it is the same for all three); recgate counts its own process.');
  // Sessions a server has not noticed closing can hold its stop; the figures are printed, so never wait long.
  await Promise.race([Promise.all([bastion.stop(), gw.stop()]), sleep(15_000)]);
}

main().then(() => process.exit(0)).catch((err) => {
  console.error(err);
  process.exit(1);
});
