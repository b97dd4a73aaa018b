/**
 * The one error the RDP codecs throw: a ProtocolError whose layer path
 * starts at `rdp` and names the layers the bytes went through, outermost
 * first (pyrdp's ParsingError idea), e.g. `rdp/tpkt/x224/mcs`.
 */
import { ProtocolError } from '../../../src/errors.js';

export function codecError(layers: string[], message: string): ProtocolError {
  return new ProtocolError(['rdp', ...layers], message);
}

/**
 * `err` with the layers a PDU went through before the failing one put in
 * front of its own path: `rdp/tpkt/mcs/share-control/bitmap: ...`.
 */
export function throughLayers(err: unknown, outer: string[]): unknown {
  if (!(err instanceof ProtocolError) || err.layers[0] !== 'rdp') return err;
  const inner = err.layers.slice(1);
  const message = err.message.slice(err.layers.join('/').length + 2);
  return new ProtocolError(['rdp', ...outer, ...inner], message, { cause: err });
}
