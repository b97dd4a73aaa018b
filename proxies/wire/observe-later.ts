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
  /** True while the relay waits in the scheduler's queue; the scheduler alone sets it. */
  awaitingObservation: boolean;
  /** Observes every chunk queued so far, in order; never throws. */
  observePending(): void;
}

/**
 * This turn's relays, in the order first queued. An array and a flag on each
 * relay rather than a Set: with hundreds of sessions a turn queues hundreds of
 * relays, and a Set filled and emptied every turn rehashes as it goes.
 */
const due: Observable[] = [];

/** `relay` has chunks to observe: it is called once this turn's I/O is done. */
export function observeLater(relay: Observable): void {
  if (relay.awaitingObservation) return;
  relay.awaitingObservation = true;
  if (due.push(relay) === 1) setImmediate(observeDue);
}

function observeDue(): void {
  let i = 0;
  try {
    // A relay queued during the pass (again, or for the first time) is observed in it too.
    for (; i < due.length; i++) {
      const relay = due[i]!;
      relay.awaitingObservation = false;
      relay.observePending();
    }
  } finally {
    // Every relay; after a throw (observePending never should), those up to the one that threw.
    due.splice(0, i + 1);
    if (due.length > 0) setImmediate(observeDue);
  }
}
