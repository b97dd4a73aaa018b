/**
 * Observation after forwarding, once per turn of the event loop: a relay
 * forwards each chunk as it is read and queues it; the chunks of every relay
 * read in one turn are observed together once that turn's I/O callbacks are
 * done (a setImmediate runs after the poll phase). So under load no chunk
 * waits for the transcript and events of other sessions' chunks read in the
 * same turn: every forward of the turn goes out first. Work per chunk is
 * unchanged; only its order within the turn is.
 *
 * A relay that needs its observer current (to write a message of the
 * gateway's own at a boundary, to end, to answer a refused command) observes
 * its queue at once instead; see DatabaseRelay.observePending.
 */

/** What the scheduler drives: a relay with chunks waiting to be observed. */
export interface Observable {
  /** Observes every chunk queued so far, in order; never throws. */
  observePending(): void;
}

const due = new Set<Observable>();
let scheduled = false;

/** `relay` has chunks to observe: it is called once this turn's I/O is done. */
export function observeLater(relay: Observable): void {
  due.add(relay);
  if (scheduled) return;
  scheduled = true;
  setImmediate(observeDue);
}

function observeDue(): void {
  scheduled = false;
  for (const relay of due) {
    due.delete(relay);
    relay.observePending();
  }
}
