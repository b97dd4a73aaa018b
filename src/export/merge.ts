/**
 * Merge of frame streams that are each in time order into one sequence in time order.
 * Frames with equal times keep the order of the sources as listed (the caller lists
 * keystrokes before output so an echo follows the key that caused it), and frames of
 * one source always keep their own order. Only one frame per source is held at a time.
 */
import type { Frame } from '../recording/frames.js';

export interface MergeSource<L extends string> {
  label: L;
  frames: AsyncIterable<Frame>;
}

export interface MergedFrame<L extends string> {
  source: L;
  frame: Frame;
}

interface Head<L extends string> {
  label: L;
  iterator: AsyncIterator<Frame>;
  frame: Frame | undefined;
}

export async function* mergeByTime<L extends string>(sources: MergeSource<L>[]): AsyncGenerator<MergedFrame<L>> {
  const heads: Head<L>[] = sources.map((s) => ({
    label: s.label,
    iterator: s.frames[Symbol.asyncIterator](),
    frame: undefined,
  }));
  const open = new Set(heads);
  try {
    for (const head of heads) await advance(head, open);
    for (;;) {
      const next = earliest(heads);
      if (next === undefined) return;
      yield { source: next.label, frame: next.frame! };
      await advance(next, open);
    }
  } finally {
    await Promise.allSettled([...open].map((h) => h.iterator.return?.()));
  }
}

async function advance<L extends string>(head: Head<L>, open: Set<Head<L>>): Promise<void> {
  const r = await head.iterator.next();
  if (r.done) {
    head.frame = undefined;
    open.delete(head);
  } else {
    head.frame = r.value;
  }
}

function earliest<L extends string>(heads: Head<L>[]): Head<L> | undefined {
  let best: Head<L> | undefined;
  for (const head of heads) {
    if (head.frame !== undefined && (best === undefined || head.frame.t < best.frame!.t)) best = head;
  }
  return best;
}
