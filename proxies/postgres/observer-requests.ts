/**
 * The client half of the PostgreSQL observer (observer.ts): each frontend message the server
 * answers is queued, in order, with what it means for the statements and portals the
 * connection holds; a Query or Execute goes into the transcript at the prompt as it is sent.
 */
import { decodeBind, decodeClose, decodeCopyFail, decodeDescribe, decodeExecute, decodeFunctionCall, decodeParse, formatCode } from './protocol/frontend.js';
import { formatValue } from './protocol/values.js';
import { cutParse, decoded, leadingStrings, queryText, queryTextAt } from './observer-reading.js';
import { type ConnectionState, F, keep, MAX_KEPT_PARAM, MAX_KEPT_TEXT, type Pending, remember, type Statement } from './observer-state.js';

/** A Query whose body lies whole at `bytes[start, end)`, read there (the framer's messageAt); see clientMessage. */
export function clientQueryAt(c: ConnectionState, bytes: Buffer, start: number, end: number): void {
  if (c.skippingToSync) return;
  c.queue.push({ kind: 'query', run: c.begin(queryTextAt(bytes, start, end), undefined, false) });
}

/** A message from the client, read for what it asks the server. */
export function clientMessage(c: ConnectionState, type: number, body: Buffer, truncated: boolean): void {
  // After an error in the extended protocol the server ignores everything up to Sync; so does this.
  if (c.skippingToSync && type !== F.Sync) return;
  switch (type) {
    // A message the server answers is queued even when it cannot be read (a Parse or Bind longer than
    // the framer keeps, or a malformed one): the answer to it must not be taken for the next one's.
    case F.Query: {
      const text = queryText(body);
      const run = c.begin(text, undefined, truncated);
      c.queue.push({ kind: 'query', run });
      break;
    }
    case F.Parse: {
      const p = decoded(decodeParse, body) ?? cutParse(body);
      const statement: Statement = { text: keep(p.query, MAX_KEPT_TEXT), cut: truncated || p.query.length > MAX_KEPT_TEXT, paramTypes: p.paramTypes, fields: null };
      // Known from here on: a Bind right behind it (pipelined) names it before the server answers.
      // If the Parse fails or is skipped, error() puts back what the name meant before.
      const previous = c.statements.get(p.statement);
      remember(c.statements, p.statement, statement);
      c.queue.push({ kind: 'parse', name: p.statement, statement, previous });
      break;
    }
    case F.Bind: {
      const b = decoded(decodeBind, body);
      const [portalName, statementName] = b ? [b.portal, b.statement] : leadingStrings(body, 2);
      const statement = c.statements.get(statementName!) ?? { text: `EXECUTE ${statementName || '<unnamed>'}`, paramTypes: [], fields: null };
      // Parameters of a Bind that cannot be read are left out rather than guessed.
      const params = b?.params.map((value, i) => {
        const shown = formatValue(value, formatCode(b.paramFormats, i), statement.paramTypes[i] ?? 0);
        return shown === null ? null : keep(shown, MAX_KEPT_PARAM);
      });
      // Its columns: a Describe of the portal answers them, else one of the statement did (portalFields).
      remember(c.portals, portalName!, { statement, params, fields: null, resultFormats: b?.resultFormats ?? [] });
      c.queue.push({ kind: 'bind', statement, params });
      break;
    }
    case F.Describe: {
      const d = decoded(decodeDescribe, body);
      const entry: Pending =
        d === undefined ? { kind: 'describe' } : d.target === 'statement' ? { kind: 'describe', statement: c.statements.get(d.name) } : { kind: 'describe', portal: c.portals.get(d.name) };
      c.queue.push(entry);
      break;
    }
    case F.Execute: {
      const portalName = decoded(decodeExecute, body)?.portal ?? leadingStrings(body, 1)[0]!;
      const portal = c.portals.get(portalName);
      const run = c.begin(portal?.statement.text ?? `EXECUTE portal ${portalName || '<unnamed>'}`, portal?.params, portal?.statement.cut);
      run.portal = portal;
      c.queue.push({ kind: 'execute', run });
      break;
    }
    case F.Close: {
      const close = decoded(decodeClose, body);
      // The statement closed is kept with the Close, for error() to put back should the server skip it.
      const statement = close?.target === 'statement' ? c.statements.get(close.name) : undefined;
      if (close?.target === 'statement') c.statements.delete(close.name);
      else if (close) c.portals.delete(close.name);
      c.queue.push({ kind: 'close', name: close?.name, statement });
      break;
    }
    case F.Sync:
      c.skippingToSync = false;
      c.queue.push({ kind: 'sync' });
      break;
    case F.Function: {
      c.queue.push({ kind: 'function' });
      const f = decodeFunctionCall(body);
      c.out.event({ type: 'function-call', oid: f.functionOid, args: f.args.length });
      break;
    }
    case F.Terminate:
      c.clientLeft = true;
      break;
    case F.CopyFail: {
      const reason = decodeCopyFail(body).message;
      c.out.event({ type: 'copy-fail', message: reason.slice(0, 1024) });
      break;
    }
    default:
      break;
  }
}
