/**
 * Metrics in Prometheus' text exposition format (version 0.0.4), written by
 * hand: counters, gauges and histograms with labels, and collectors that set
 * values from elsewhere just before a scrape. Small enough that a dependency
 * (prom-client) would bring more than it saves; the format is fixed.
 *
 *   # HELP <name> <text, \\ and \n escaped>
 *   # TYPE <name> counter|gauge|histogram
 *   <name>{<label>="<value, \\ \" \n escaped>",...} <float>
 *   histogram: <name>_bucket{...,le="<bound>"} cumulative, le="+Inf" last,
 *              then <name>_sum and <name>_count
 *
 * Invariant: label names are fixed when a metric is declared and every
 * series gives each of them; label values come from code, never from what a
 * person typed (callers keep to fixed sets: protocols, reasons, operations).
 */

export type Labels = Readonly<Record<string, string>>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A sample value as the format writes it. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatLabels(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const pairs = names.map((n, i) => `${n}="${escapeLabelValue(values[i]!)}"`);
  if (extra) pairs.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}`);
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith('__') || l === 'le') throw new Error(`invalid label name ${JSON.stringify(l)} for ${name}`);
    }
  }

  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  protected abstract lines(): string[];

  render(): string {
    return [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`, ...this.lines()].join('\n') + '\n';
  }

  /** The label values in declaration order, checked: each declared label given, no other. */
  protected key(labels: Labels = {}): string[] {
    const given = Object.keys(labels);
    if (given.length !== this.labelNames.length || !this.labelNames.every((n) => typeof labels[n] === 'string')) {
      throw new Error(`${this.name} takes labels ${JSON.stringify(this.labelNames)}, got ${JSON.stringify(given)}`);
    }
    return this.labelNames.map((n) => labels[n]!);
  }
}

/** One value per label combination (counters and gauges). */
abstract class ValueMetric extends Metric {
  private readonly values = new Map<string, { labels: string[]; value: number }>();

  protected entry(labels?: Labels): { labels: string[]; value: number } {
    const key = this.key(labels);
    const id = JSON.stringify(key);
    let e = this.values.get(id);
    if (!e) {
      e = { labels: key, value: 0 };
      this.values.set(id, e);
    }
    return e;
  }

  get(labels?: Labels): number {
    return this.values.get(JSON.stringify(this.key(labels)))?.value ?? 0;
  }

  /** Drops every series (a gauge set afresh by its collector). */
  reset(): void {
    this.values.clear();
  }

  protected lines(): string[] {
    const out: string[] = [];
    for (const e of this.values.values()) out.push(`${this.name}${formatLabels(this.labelNames, e.labels)} ${formatValue(e.value)}`);
    // A metric without labels shows 0 before anything happened.
    if (out.length === 0 && this.labelNames.length === 0) out.push(`${this.name} 0`);
    return out;
  }
}

export class Counter extends ValueMetric {
  readonly type = 'counter' as const;

  inc(labels?: Labels, by = 1): void {
    if (!(by >= 0)) throw new Error(`${this.name}: a counter only goes up (by ${by})`);
    this.entry(labels).value += by;
  }

  /** A total counted elsewhere (a store's own count): never goes down. */
  mirror(value: number, labels?: Labels): void {
    const e = this.entry(labels);
    if (value > e.value) e.value = value;
  }
}

export class Gauge extends ValueMetric {
  readonly type = 'gauge' as const;

  set(value: number, labels?: Labels): void {
    this.entry(labels).value = value;
  }
}

export class Histogram extends Metric {
  readonly type = 'histogram' as const;
  private readonly series = new Map<string, { labels: string[]; counts: number[]; sum: number; count: number }>();

  constructor(name: string, help: string, labelNames: readonly string[], readonly buckets: readonly number[]) {
    super(name, help, labelNames);
    if (buckets.length === 0 || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!))) {
      throw new Error(`${name}: buckets must be finite and increasing`);
    }
  }

  observe(value: number, labels?: Labels): void {
    const key = this.key(labels);
    const id = JSON.stringify(key);
    let s = this.series.get(id);
    if (!s) {
      s = { labels: key, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(id, s);
    }
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  protected lines(): string[] {
    const out: string[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += s.counts[i]!;
        out.push(`${this.name}_bucket${formatLabels(this.labelNames, s.labels, ['le', formatValue(bound)])} ${cumulative}`);
      });
      out.push(`${this.name}_bucket${formatLabels(this.labelNames, s.labels, ['le', '+Inf'])} ${s.count}`);
      out.push(`${this.name}_sum${formatLabels(this.labelNames, s.labels)} ${formatValue(s.sum)}`);
      out.push(`${this.name}_count${formatLabels(this.labelNames, s.labels)} ${s.count}`);
    }
    return out;
  }
}

/** The metrics of one process, rendered together; collectors run before each render. */
export class Registry {
  private readonly metrics = new Map<string, Metric>();
  private readonly collectors: (() => void)[] = [];

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  /** `collect` sets values read from elsewhere (live sessions, the store's health) just before a scrape. */
  onCollect(collect: () => void): void {
    this.collectors.push(collect);
  }

  render(): string {
    for (const collect of this.collectors) collect();
    return [...this.metrics.values()].map((m) => m.render()).join('');
  }

  private add<M extends Metric>(metric: M): M {
    for (const existing of this.metrics.keys()) {
      if (existing === metric.name || (metric instanceof Histogram && [`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`].includes(existing))) {
        throw new Error(`metric ${metric.name} is declared twice`);
      }
    }
    this.metrics.set(metric.name, metric);
    return metric;
  }
}
