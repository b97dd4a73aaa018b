// The Debian packages the test suite drives for real, by the program each provides.
// `ensureSystemDeps()` installs what is missing when it can (root with apt-get),
// and otherwise names the exact command to run.
import { execFileSync, spawnSync } from 'node:child_process';

export const SYSTEM_DEPS = [
  { program: 'script', pkg: 'bsdutils', why: 'typescript format reference' },
  { program: 'scriptreplay', pkg: 'bsdutils', why: 'replaying exported typescripts' },
  { program: 'fincore', pkg: 'util-linux', why: "what of the store's files stays in the page cache" },
  { program: '/usr/sbin/sshd', pkg: 'openssh-server', why: 'the SSH target' },
  { program: 'ssh', pkg: 'openssh-client', why: 'the SSH client' },
  { program: 'sftp', pkg: 'openssh-client', why: 'the SFTP client' },
  { program: 'ssh-keygen', pkg: 'openssh-client', why: 'test keys' },
  { program: 'tmux', pkg: 'tmux', why: 'driving interactive clients in a terminal, and a shell inside tmux on the target' },
  { program: 'vim', pkg: 'vim', why: 'a full-screen editor on the target' },
  { program: 'less', pkg: 'less', why: 'a pager on the target' },
  // initdb is off PATH in Debian (/usr/lib/postgresql/<version>/bin); the shell expands the glob.
  { program: '/usr/lib/postgresql/*/bin/initdb', pkg: 'postgresql', why: 'the PostgreSQL target' },
  { program: 'psql', pkg: 'postgresql-client', why: 'the PostgreSQL client' },
  // Debian 12 ships pgbench with the server, not the client.
  { program: 'pgbench', pkg: 'postgresql', why: 'the PostgreSQL benchmark client' },
  { program: 'pkill', pkg: 'procps', why: 'interrupting a client as Ctrl-C would' },
  // mariadb-server (not only -core) also brings the auth_ed25519 plugin and the mysql OS account.
  { program: '/usr/sbin/mariadbd', pkg: 'mariadb-server', why: 'the MySQL/MariaDB target' },
  { program: 'mariadb-install-db', pkg: 'mariadb-server', why: 'the MariaDB template data directory' },
  { program: 'mariadb', pkg: 'mariadb-client', why: 'the MySQL/MariaDB client' },
  { program: 'sysbench', pkg: 'sysbench', why: 'concurrent MySQL clients with prepared statements' },
  { program: 'openssl', pkg: 'openssl', why: 'test CAs and server certificates' },
  // A client on MariaDB Connector/C, the library behind the mariadb client, for server-side cursors.
  { program: 'cc', pkg: 'gcc', why: "building the store's page-cache addon and a Connector/C test client" },
  { program: 'mariadb_config', pkg: 'libmariadb-dev', why: 'building a Connector/C test client' },
  // MariaDB Connector/J: a JDBC client whose query timeout and product name go by the server it is told of.
  { program: 'javac', pkg: 'default-jdk-headless', why: 'building the Connector/J test client' },
  { program: '/usr/share/java/mariadb-java-client.jar', pkg: 'libmariadb-java', why: 'MariaDB Connector/J' },
  // Remote desktops: virtual displays, FreeRDP's client and shadow server, xrdp with its Xorg driver.
  { program: 'Xvfb', pkg: 'xvfb', why: 'virtual X displays for RDP targets and clients' },
  { program: 'xfreerdp', pkg: 'freerdp2-x11', why: 'the RDP client' },
  { program: 'freerdp-shadow-cli', pkg: 'freerdp2-shadow-x11', why: 'an RDP target with NLA' },
  { program: 'winpr-hash', pkg: 'winpr-utils', why: 'NT hashes for the RDP targets and users' },
  { program: 'xrdp', pkg: 'xrdp', why: 'an RDP target with TLS' },
  { program: '/usr/lib/xorg/modules/drivers/xrdpdev_drv.so', pkg: 'xorgxrdp', why: "xrdp's Xorg session" },
  { program: 'Xvnc', pkg: 'tigervnc-standalone-server', why: 'a target display whose resolution changes mid-session (xrandr), which Xvfb cannot' },
  { program: 'tesseract', pkg: 'tesseract-ocr', why: 'reading text back from exported video frames' },
  { program: 'xsetroot', pkg: 'x11-xserver-utils', why: 'known colours on a target display' },
  { program: 'xdotool', pkg: 'xdotool', why: 'typing and clicking into the RDP client' },
  { program: 'xterm', pkg: 'xterm', why: 'a terminal on the RDP target that typed text reaches (and the rdp bench scrolls)' },
  { program: 'ffmpeg', pkg: 'ffmpeg', why: "reading the RDP client's screen, and video export" },
  { program: 'tesseract', pkg: 'tesseract-ocr', why: "reading the words of the gateway's messages off the RDP client's screen" },
  // A monospace font for the video export's captions (ffmpeg's drawtext finds it through fontconfig).
  { program: '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf', pkg: 'fonts-dejavu-core', why: 'the font of video captions' },
  // The Prometheus project's own text-format parser reads /metrics beside the test's strict one.
  { program: '/usr/lib/python3/dist-packages/prometheus_client/parser.py', pkg: 'python3-prometheus-client', why: "Prometheus' text-format parser, reading the gateway's /metrics" },
  // Headless Chromium, driven by playwright-core, runs the web console's page in its tests.
  { program: '/usr/bin/chromium', pkg: 'chromium', why: "a real browser for the web console's tests" },
];

// The peers the benchmarks measure beside the gateway (npm run bench:*), by bench.
// Each bench also needs the servers and clients the tests install (SYSTEM_DEPS).
export const BENCH_DEPS = [
  { program: '/usr/sbin/pgbouncer', pkg: 'pgbouncer', why: 'the PostgreSQL pooler the postgres bench compares with', bench: 'postgres' },
  { program: '/usr/sbin/haproxy', pkg: 'haproxy', why: 'the TCP proxy the mysql bench compares with', bench: 'mysql' },
  { program: 'valgrind', pkg: 'valgrind', why: 'callgrind counts the instructions bench\'s instructions', bench: 'instructions' },
];

function has(program) {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

export function missingDeps(deps = SYSTEM_DEPS) {
  return deps.filter((d) => !has(d.program));
}

/**
 * Installs the missing programs of `deps` when it can (root with apt-get), and
 * otherwise stops naming the exact command. `what` says who needs them.
 */
export function ensureSystemDeps(deps = SYSTEM_DEPS, what = 'npm test') {
  const missing = missingDeps(deps);
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((d) => d.pkg))];
  const list = missing.map((d) => `${d.program} (${d.pkg}: ${d.why})`).join(', ');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get')) {
    console.error(`${what} needs: ${list}.\nInstall them with: sudo apt-get install -y ${pkgs.join(' ')}`);
    process.exit(1);
  }
  console.error(`installing Debian packages for ${what}: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
  const still = missingDeps(deps);
  if (still.length > 0) {
    console.error(`still missing after install: ${still.map((d) => d.program).join(', ')}`);
    process.exit(1);
  }
}
