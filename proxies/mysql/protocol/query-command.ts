/**
 * COM_QUERY, the text protocol's command (MySQL Source Code Documentation,
 * "Client/Server Protocol", section "Text Protocol"; MariaDB Knowledge Base,
 * "2 - Text Protocol"). Its query attributes are a parameter block, as
 * COM_STMT_EXECUTE sends one (statement-commands.ts).
 *
 *   COM_QUERY 0x03                [with CLIENT_QUERY_ATTRIBUTES: count:int<lenenc>
 *                                 | sets:int<lenenc> (1) | if count > 0: NULL bitmap
 *                                 ((count + 7) / 8 bytes, bit offset 0) | 0x01
 *                                 | (type:int<2> | name:string<lenenc>) * count
 *                                 | values (binary protocol)] | query:string<EOF>
 *
 * Invariants: the payload must hold exactly its fields, and decodes even
 * when the framer cut it, as the query is the last field; strings are UTF-8.
 */
import { Capability } from './capabilities.js';
import { Command, commandReader, commandWriter, expectCommand } from './commands.js';
import { readParams, writeParams, type Param } from './statement-commands.js';
import { protocolError } from './wire.js';

export interface Query {
  query: string;
  /** Query attributes (CLIENT_QUERY_ATTRIBUTES); [] when none. */
  attributes: Param[];
}

/** The COM_QUERY at `payload[start, end)` (by default the whole of `payload`). */
export function decodeQuery(payload: Buffer, capabilities: number, start = 0, end = payload.length): Query {
  const r = commandReader(payload, 'COM_QUERY', start, end);
  expectCommand(r, Command.COM_QUERY);
  let attributes: Param[] = [];
  if (capabilities & Capability.CLIENT_QUERY_ATTRIBUTES) {
    const count = r.lenencInt('the query attribute count');
    r.lenencInt('the query attribute set count');
    if (count !== 0) {
      r.expectRoom(count, 'query attributes', 2);
      const block = readParams(r, Number(count), true, undefined, undefined);
      if (!block.newParamsBound) r.fail('has query attributes without types (new-params-bound flag 0)');
      attributes = block.params!;
    }
  }
  return { query: r.restString(), attributes };
}

/** With CLIENT_QUERY_ATTRIBUTES the attribute block is always written, empty when there are none. */
export function encodeQuery(query: string, capabilities: number, attributes: readonly Param[] = []): Buffer {
  const w = commandWriter().int1(Command.COM_QUERY);
  if (capabilities & Capability.CLIENT_QUERY_ATTRIBUTES) {
    w.lenencInt(attributes.length, 'query attribute count').lenencInt(1, 'parameter set count');
    if (attributes.length > 0) writeParams(w, attributes, true, true);
  } else if (attributes.length > 0) {
    throw protocolError('client', 'query attributes need CLIENT_QUERY_ATTRIBUTES');
  }
  return w.string(query).finish();
}
