import type { RecordingSummary } from '../store/types.js';
import { withContext, type GlobalOptions } from './context.js';
import { toListFilter, type FilterOptions } from './filters.js';
import { formatColumns, printable, safeJson, type Column } from './printable.js';

export async function listRecordings(options: GlobalOptions & FilterOptions & { json?: boolean; quiet?: boolean }): Promise<void> {
  await withContext(options, async (ctx) => {
    const rows = await ctx.store().list(toListFilter(options));
    if (options.quiet) {
      // Ids only, one a line, nothing when none match: for $(recgate recordings list -q ...).
      process.stdout.write(rows.map((r) => printable(r.id) + '\n').join(''));
      return;
    }
    if (options.json) {
      process.stdout.write(safeJson(rows, 2) + '\n');
      return;
    }
    process.stdout.write(formatTable(rows));
  });
}

const COLUMNS: Column<RecordingSummary>[] = [
  ['ID', (r) => r.id],
  ['USER', (r) => r.user],
  ['TARGET', (r) => r.target],
  ['PROTOCOL', (r) => r.protocol],
  ['STARTED', (r) => r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')],
  ['DURATION', (r) => (r.durationMs === null ? '-' : formatDuration(r.durationMs))],
  ['SIZE', (r) => formatBytes(r.bytes)],
  ['STATUS', (r) => r.status + (r.endReason && r.endReason !== 'closed' && r.status !== 'interrupted' ? ` (${r.endReason})` : '')],
];

export function formatTable(rows: RecordingSummary[]): string {
  if (rows.length === 0) return 'no recordings\n';
  return formatColumns(COLUMNS, rows);
}

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}
