/**
 * What the MySQL packet framer (framer.ts) asks of the one it hands messages
 * to: whether it wants each message, the messages it wants, and, where it
 * says so, runs of rows it reads in place or refuses.
 */
export interface PacketSink {
  /**
   * Asked once per message. `firstByte` is the payload's first byte (-1
   * for an empty payload); `length` is the first packet's payload length:
   * MAX_PACKET_PAYLOAD means more packets follow and the total is not known
   * yet. `seq` is the first packet's sequence id.
   */
  wants(firstByte: number, length: number, seq: number): boolean;
  /**
   * A wanted message. `totalLength` is the whole payload's length; when
   * `truncated`, `payload` holds only its first maxBuffered bytes. `seq` is
   * the first packet's sequence id; the last packet's is the framer's
   * `lastSequenceId`.
   */
  message(payload: Buffer, truncated: boolean, seq: number, totalLength: number): void;
  /**
   * A wanted one-packet message whose whole (non-empty) payload lies in the chunk being pushed,
   * at `bytes[start, end)`, offered to be read where it lies: true when the sink did, false to
   * have it through `message` as a Buffer of its own. Making that Buffer (a view of the chunk)
   * costs more than reading the few bytes of most packets; a sink that keeps part of `bytes`
   * should copy it.
   */
  messageAt?(bytes: Buffer, start: number, end: number, seq: number): boolean;
  /** An unwanted message, once its last byte has gone by. */
  skipped?(firstByte: number, totalLength: number, seq: number): void;
  /**
   * Asked after `wants` said no: true when the sink will say no to every
   * following one-packet message that is not an EOF, OK or ERR packet (first
   * byte 0xFE or 0xFF) while sequence ids follow on. Those are then reported
   * together to `skippedRun` (which a sink answering true must have).
   */
  skipsRun?(firstByte: number, length: number, seq: number): boolean;
  /** `count` unwanted one-packet messages of `bytes` payload bytes in all, the last with sequence id `lastSeq`. */
  skippedRun?(count: number, lastSeq: number, bytes: number): void;
  /**
   * Offered, after a wanted message, each following message that could be a row of a result
   * set: a one-packet message whole in the chunk being pushed, at `bytes[start, end)`, not
   * empty nor longer than maxBuffered, with the next sequence id and a first byte that does not
   * start an EOF, OK or ERR packet (below 0xFE). True when the sink took it as a row, in place
   * of `wants` and `message`; false to decline it, having changed nothing: it then takes the
   * ordinary path, and nothing more is offered until a message is wanted again.
   */
  rowAt?(bytes: Buffer, start: number, end: number, seq: number): boolean;
}
