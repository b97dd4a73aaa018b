/**
 * RDP benchmark: one busy desktop session three ways, measured in one run on
 * this machine with the real xfreerdp and FreeRDP's shadow server (TLS):
 *
 *   direct     xfreerdp → shadow server, as the client negotiates it (GFX, H.264)
 *   filtered   xfreerdp → a bare relay applying the gateway's recording edits
 *              (no GFX, no compression, plain bitmaps), recording nothing, in a
 *              process of its own (bench/rdp-floor.ts): what the capability
 *              filtering alone costs, and the latency floor of any relay that
 *              terminates TLS on this machine
 *   recgate    xfreerdp → the gateway (recording) → shadow server
 *
 *   node dist/bench/rdp.js [--seconds 30] [--keys 200] [--width 1920] [--height 1080]
 *                          [--routes direct,filtered,recgate] [--phases busy,export,input]
 *                          [--probe] [--cpu-prof DIR] [--under-load]
 *
 *   busy       a full-screen xterm scrolling text on the target for N seconds:
 *              bytes to the client per minute, relay CPU per minute, bytes
 *              recorded per minute
 *   input      key presses into an xterm running cat: time from the client's
 *              input PDU to the first update the target sends back (p50, p99),
 *              read at a byte counter in front of each route; for the gateway
 *              and the filtered relay also the time spent inside it, from a
 *              second counter between it and the target (the target's own
 *              frame pacing drops out): the gateway's figure less the relay's
 *              is what recording adds
 *
 *   export     after the busy phase, the gateway's recording of it exported by the
 *              real CLI (`recordings export --video`) to MP4 and to WebM: wall
 *              time, CPU of the CLI and its ffmpeg, and × real time (the video's
 *              length over the wall time)
 *
 *   --under-load  the input phase with a second xterm scrolling text beside
 *              the one typed into: keys and their updates queue behind a
 *              stream of screen updates the gateway records
 *   --probe    the gateway's event-loop delay, GC pauses and CPU over each
 *              recgate phase (bench/gateway-probe.ts)
 *   --cpu-prof the gateway's CPU profile (node --cpu-prof) into DIR, written
 *              when it stops
 *   --keep DIR a copy of the gateway's home (config, keys, store) left in DIR,
 *              to export or profile its recordings on their own afterwards
 *              (`recgate recordings export ID --config DIR/recgate.yaml --key DIR/keys/officer.key`,
 *              RECGATE_PASSPHRASE as in test/fixtures/gateway-env.ts)
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { benchArgs } from './args.js';
import { machineBusySeconds } from './measure.js';
import { ALICE_PASSWORD, RdpGateway } from '../test/fixtures/rdp-gateway.js';
import { startClient, type RdpClient } from '../test/fixtures/rdp/xfreerdp.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A TCP relay in front of a route that counts bytes and notes when each direction last moved. */
interface Tap {
  port: number;
  toClient: number;
  toServer: number;
  /** Times (performance.now) of client→server and server→client chunks, while `watching`. */
  events: { dir: 'c2s' | 's2c'; t: number }[];
  watching: boolean;
  close(): Promise<void>;
}

async function tap(targetPort: number | (() => number)): Promise<Tap> {
  const sockets = new Set<Socket>();
  const t: Tap = { port: 0, toClient: 0, toServer: 0, events: [], watching: false, close: async () => undefined };
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: typeof targetPort === 'number' ? targetPort : targetPort() });
    sockets.add(client).add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (d: Buffer) => {
      t.toServer += d.length;
      if (t.watching) t.events.push({ dir: 'c2s', t: performance.now() });
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      t.toClient += d.length;
      if (t.watching) t.events.push({ dir: 's2c', t: performance.now() });
      client.write(d);
    });
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      a.on('close', () => b.destroy());
      a.on('error', () => b.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.port = (server.address() as AddressInfo).port;
  t.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return t;
}

/** CPU seconds (user + system) of a process so far, from /proc; with `children`, of its waited-for descendants instead. */
function cpuOf(pid: number | 'self', children = false): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const at = children ? 13 : 11;
  return (Number(fields[at]) + Number(fields[at + 1])) / 100;
}

/**
 * The recording exported as each video format by the real CLI: wall time, the CLI's and
 * ffmpeg's CPU, × real time, and what everything else on the machine spent meanwhile.
 */
async function exportSpeed(g: RdpGateway, id: string): Promise<string[][]> {
  const rows: string[][] = [];
  for (const format of ['mp4', 'webm']) {
    const [t0, cpu0, busy0] = [performance.now(), cpuOf('self', true), machineBusySeconds()];
    const file = await g.exportVideo(id, format);
    const [wall, cpu] = [(performance.now() - t0) / 1000, cpuOf('self', true) - cpu0];
    const other = machineBusySeconds() - busy0 - cpu;
    const probe = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=width,height', '-of', 'json', file]).toString();
    const { format: f, streams } = JSON.parse(probe) as { format: { duration: string }; streams: { width: number; height: number }[] };
    const length = Number(f.duration);
    rows.push([format, `${streams[0]!.width}×${streams[0]!.height}`, length.toFixed(1), wall.toFixed(1), (length / wall).toFixed(1), cpu.toFixed(1), Math.max(0, other).toFixed(1)]);
    rmSync(file, { force: true });
  }
  return rows;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface Route {
  name: string;
  /** The port a client connects to: a fresh bare relay for each connection (its editor follows one connection). */
  open(): Promise<{ port: number; close(): Promise<void> }>;
  user: string;
  password: string;
  /** CPU seconds of what relays (the gateway process, the bare relay's process, or this process for direct). */
  cpu(): number;
  /** Bytes the route recorded so far. */
  recorded(): Promise<number>;
  /** With --probe, for the gateway: what its probe saw since the last call. */
  probe?(): Promise<string>;
}

/** What the gateway's probe saw, as a line for the report. */
function probeLine(json: string): string {
  const p = JSON.parse(json) as { loopDelay: { p50: number; p99: number; max: number }; gc: Record<string, { count: number; totalMs: number; maxMs: number }>; cpuSeconds: number };
  const gc = Object.entries(p.gc).map(([kind, g]) => `${g.count} ${kind} (${g.totalMs} ms, longest ${g.maxMs})`);
  return `event-loop delay p50 ${p.loopDelay.p50} ms, p99 ${p.loopDelay.p99} ms, max ${p.loopDelay.max} ms; GC ${gc.join(', ') || 'none'}; CPU ${p.cpuSeconds.toFixed(2)} s`;
}

async function busy(route: Route, seconds: number, shadowDisplay: string, width: number, height: number): Promise<string[]> {
  const way = await route.open();
  const t = await tap(way.port);
  const client = await startClient({ port: t.port, user: route.user, password: route.password, security: 'tls', width, height });
  let scroller: ChildProcess | undefined;
  try {
    await sleep(3000);
    await route.probe?.();
    const [bytes0, cpu0, rec0] = [t.toClient, route.cpu(), await route.recorded()];
    scroller = spawn('xterm', ['-geometry', `${Math.floor(width / 6)}x${Math.floor(height / 13)}+0+0`, '-e', 'sh', '-c', 'while :; do seq 1 1000000; done'], {
      env: { ...process.env, DISPLAY: shadowDisplay },
      stdio: 'ignore',
    });
    await sleep(seconds * 1000);
    const perMinute = 60 / seconds;
    const [bytes, cpu, rec] = [t.toClient - bytes0, route.cpu() - cpu0, (await route.recorded()) - rec0];
    if (route.probe) console.log(`busy, ${route.name}: ${probeLine(await route.probe())}`);
    return [route.name, (bytes * perMinute / 1e6).toFixed(1), (cpu * perMinute).toFixed(1), rec > 0 ? (rec * perMinute / 1e6).toFixed(1) : '–'];
  } finally {
    scroller?.kill('SIGKILL');
    await client.stop();
    await t.close();
    await way.close();
  }
}

interface Latency {
  p50: number;
  p99: number;
  n: number;
  /** Through the gateway: the time the key and its update spent inside it (both legs tapped). */
  inside?: { p50: number; p99: number; n: number };
}

/** The first event of `dir` at or after `t`. */
const firstAfter = (events: Tap['events'], dir: 'c2s' | 's2c', t: number): number | undefined => events.find((e) => e.dir === dir && e.t >= t)?.t;

async function input(route: Route, keys: number, shadowDisplay: string, back: Tap | undefined, underLoad: boolean): Promise<Latency> {
  const way = await route.open();
  const t = await tap(way.port);
  const display = { env: { ...process.env, DISPLAY: shadowDisplay }, stdio: 'ignore' } as const;
  const echo = spawn('xterm', ['-geometry', '40x10+100+100', '-e', 'cat'], display);
  const load = underLoad ? spawn('xterm', ['-geometry', '80x30+400+100', '-e', 'sh', '-c', 'while :; do seq 1 1000000; done'], display) : undefined;
  let client: RdpClient | undefined;
  try {
    await sleep(1500);
    client = await startClient({ port: t.port, user: route.user, password: route.password, security: 'tls', width: 1024, height: 768 });
    await sleep(4000);
    // Give the target's xterm the focus: a click on it through the client.
    await client.click(200, 150);
    await sleep(1000);
    await route.probe?.();
    const delays: number[] = [];
    const inside: number[] = [];
    for (let i = 0; i < keys; i++) {
      for (const x of [t, back]) if (x) (x.events.length = 0), (x.watching = true);
      // Not execFileSync: the taps live in this process, and a blocked event loop would time them late.
      await promisify(execFile)('xdotool', ['key', 'a'], { env: { ...process.env, DISPLAY: client.screen.display } });
      await sleep(150);
      for (const x of [t, back]) if (x) x.watching = false;
      const press = firstAfter(t.events, 'c2s', 0);
      const shown = press === undefined ? undefined : t.events.find((e) => e.dir === 's2c' && e.t > press)?.t;
      if (press !== undefined && shown !== undefined) delays.push(shown - press);
      if (back && press !== undefined) {
        // The key leaves the gateway, the target answers, the answer leaves the gateway.
        const forwarded = firstAfter(back.events, 'c2s', press);
        const answered = forwarded === undefined ? undefined : firstAfter(back.events, 's2c', forwarded);
        const relayed = answered === undefined ? undefined : firstAfter(t.events, 's2c', answered);
        if (forwarded !== undefined && answered !== undefined && relayed !== undefined) inside.push(forwarded - press + (relayed - answered));
      }
    }
    if (route.probe) console.log(`input, ${route.name}: ${probeLine(await route.probe())}`);
    delays.sort((a, b) => a - b);
    inside.sort((a, b) => a - b);
    const result: Latency = { p50: percentile(delays, 50), p99: percentile(delays, 99), n: delays.length };
    if (back) result.inside = { p50: percentile(inside, 50), p99: percentile(inside, 99), n: inside.length };
    return result;
  } finally {
    await client?.stop();
    echo.kill('SIGKILL');
    load?.kill('SIGKILL');
    await t.close();
    await way.close();
  }
}

function table(title: string, head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  console.log(`\n${title}\n`);
  console.log(`| ${head.map((h, i) => h.padEnd(widths[i]!)).join(' | ')} |`);
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(`| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`);
}

/** Asks the gateway's probe for what it saw since the last call (SIGUSR2), and reads its line. */
async function probeOf(pid: number, file: string): Promise<string> {
  const before = readLines(file).length;
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 50; i++) {
    await sleep(20);
    const lines = readLines(file);
    if (lines.length > before) return lines.at(-1)!;
  }
  throw new Error('the gateway probe did not answer');
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const { values } = benchArgs({
    options: {
      seconds: { type: 'string', default: '30' },
      keys: { type: 'string', default: '200' },
      width: { type: 'string', default: '1920' },
      height: { type: 'string', default: '1080' },
      routes: { type: 'string', default: 'direct,filtered,recgate' },
      phases: { type: 'string', default: 'busy,export,input' },
      probe: { type: 'boolean', default: false },
      'under-load': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      keep: { type: 'string' },
    },
  });
  const phases = values.phases.split(',');
  const probeOut = values.probe ? join(process.cwd(), `rdp-probe-${process.pid}.jsonl`) : undefined;
  // The gateway's node flags, for the one process started next (not this one, not the CLI calls after).
  const nodeOptions = [
    ...(probeOut ? [`--import=${fileURLToPath(new URL('./gateway-probe.js', import.meta.url))}`] : []),
    ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : []),
  ];
  const seconds = Number(values.seconds);
  const width = Number(values.width);
  const height = Number(values.height);
  // A byte tap between the gateway and the target: with the one in front, the time a key and its update spend inside the gateway.
  let shadowPort = 0;
  const back = await tap(() => shadowPort);
  const g = await RdpGateway.start({ shadow: { security: 'tls', width, height }, shadow01Port: back.port, nodeOptions, env: probeOut ? { RECGATE_PROBE_OUT: probeOut } : {} });
  shadowPort = g.shadow.port;
  // The bare relay runs in a process of its own behind the same back tap as the gateway: its CPU is its own, and its inside time is the floor.
  let floorPid = 0;
  let floorCpu = 0;
  const bareRelay = async (): Promise<{ port: number; close(): Promise<void> }> => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./rdp-floor.js', import.meta.url)), String(back.port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve((JSON.parse(d.toString('utf8')) as { port: number }).port));
      child.once('exit', (code) => reject(new Error(`the bare relay exited (${code}) before listening`)));
    });
    floorPid = child.pid!;
    const exited = new Promise((r) => child.once('exit', r));
    return {
      port,
      close: async () => {
        floorCpu += cpuOf(floorPid);
        floorPid = 0;
        child.kill('SIGTERM');
        await exited;
      },
    };
  };
  const straight = (port: number) => async () => ({ port, close: async () => undefined });
  const cpuSelf = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const gatewayPid = Number(execFileSync('pgrep', ['-n', '-f', g.home.dir]).toString().trim());
  const routes: Route[] = [
    { name: 'direct', open: straight(g.shadow.port), user: g.shadow.user, password: g.shadow.password, cpu: cpuSelf, recorded: async () => 0 },
    { name: 'filtered relay, no recording', open: bareRelay, user: g.shadow.user, password: g.shadow.password, cpu: () => floorCpu + (floorPid ? cpuOf(floorPid) : 0), recorded: async () => 0 },
    {
      name: 'recgate (recording)',
      open: straight(g.port),
      user: 'alice+shadow01',
      password: ALICE_PASSWORD,
      cpu: () => cpuOf(gatewayPid),
      recorded: async () => (await g.recordings()).reduce((sum, r) => sum + ((r as { bytes?: number }).bytes ?? 0), 0),
      ...(probeOut ? { probe: () => probeOf(gatewayPid, probeOut) } : {}),
    },
  ].filter((r) => values.routes.split(',').some((name) => r.name.startsWith(name)));
  try {
    const rows: string[][] = [];
    let exported: string[][] = [];
    for (const route of phases.includes('busy') ? routes : []) {
      const before = route.name.startsWith('recgate') ? (await g.recordings()).length : undefined;
      rows.push(await busy(route, seconds, g.shadow.screen.display, width, height));
      if (before !== undefined && phases.includes('export')) exported = await exportSpeed(g, (await g.endedRecording(before)).id);
    }
    if (rows.length) table(`busy ${width}×${height} session (xterm scrolling text, ${seconds} s, scaled to a minute)`, ['route', 'MB to client / min', 'relay CPU s / min', 'MB recorded / min'], rows);
    if (exported.length) table('video export of the recorded busy session (`recordings export --video`, decrypting and decoding included)', ['format', 'video', 'length s', 'wall s', '× real time', 'CPU s (CLI + ffmpeg)', 'CPU s of the rest of the machine'], exported);
    const latency: string[][] = [];
    const inside: string[][] = [];
    for (const route of phases.includes('input') ? routes : []) {
      const r = await input(route, Number(values.keys), g.shadow.screen.display, route.name.startsWith('direct') ? undefined : back, values['under-load']);
      latency.push([route.name, r.p50.toFixed(2), r.p99.toFixed(2), String(r.n)]);
      if (r.inside) inside.push([route.name, r.inside.p50.toFixed(2), r.inside.p99.toFixed(2), String(r.inside.n)]);
    }
    if (latency.length) table(`key press to the update that shows it (ms, at the client${values['under-load'] ? ', text scrolling beside it' : ''})`, ['route', 'p50', 'p99', 'samples'], latency);
    if (inside.length) table('inside the relay (ms: a key in to out, plus its update in to out, both legs tapped)', ['route', 'p50', 'p99', 'samples'], inside);
    console.log('\nThe direct row\'s CPU is this process\'s byte counter alone. The filtered relay and the gateway sit behind a second');
    console.log('byte counter (to the target) in this process; their CPU is their own process\'s.');
  } finally {
    if (values.keep) {
      cpSync(g.home.dir, values.keep, { recursive: true, filter: (path) => !path.endsWith('.sock') });
      console.log(`\nThe gateway's home is copied to ${values.keep} (config ${g.home.configPath.replace(g.home.dir, values.keep)}).`);
    }
    await g.stop();
    await back.close();
    if (probeOut) rmSync(probeOut, { force: true });
  }
}

await main();
