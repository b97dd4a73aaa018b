/**
 * The client half of the PostgreSQL observer (observer.ts): each frontend message the server
 * answers is queued, in order, with what it means for the statements and portals the
 * connection holds; a Query or Execute goes into the transcript at the prompt as it is sent.
 */
import { decodeBind, decodeClose, decodeCopyFail, decodeDescribe, decodeExecute, decodeFunctionCall, decodeParse, formatCode, type Parse, type Target } from './protocol/frontend.js';
import { bindAt, describeAt, executePortalAt, parseAt } from './protocol/frontend-at.js';
import { formatValue } from './protocol/values.js';
import { textFacts } from '../../src/transcript/index.js';
import { cutParse, decoded, leadingStrings, queryText, queryTextAt } from './observer-reading.js';
import { type ConnectionState, F, keep, MAX_KEPT_PARAM, MAX_KEPT_TEXT, remember, type Statement } from './observer-state.js';

/**
 * A message whose body lies whole at `bytes[start, end)`, read there (the framer's messageAt): a
 * Query, and the Parse, Bind, Describe and Execute of the extended protocol. False for any other
 * message, and for one the readers in place refuse (frontend-at.ts): it then comes to
 * clientMessage as a Buffer, the same message read the same way.
 */
export function clientMessageAt(c: ConnectionState, type: number, bytes: Buffer, start: number, end: number): boolean {
  if (type !== F.Query && type !== F.Parse && type !== F.Bind && type !== F.Describe && type !== F.Execute) return false;
  // As clientMessage: up to the next Sync (whose body is empty, never read here) nothing counts.
  if (c.skippingToSync) return true;
  switch (type) {
    case F.Query:
      c.queue.push({ kind: 'query', run: c.begin(queryTextAt(bytes, start, end), undefined, false) });
      return true;
    case F.Parse: {
      const p = parseAt(bytes, start, end);
      if (p === undefined) return false;
      parse(c, p, false);
      return true;
    }
    case F.Bind: {
      const b = bindAt(bytes, start, end);
      if (b === undefined) return false;
      const statement = statementOf(c, b.statement);
      bind(c, b.portal, statement, shownParams(statement, b.params, b.paramFormats), b.resultFormats);
      return true;
    }
    case F.Describe: {
      const d = describeAt(bytes, start, end);
      if (d === undefined) return false;
      describe(c, d);
      return true;
    }
    default: {
      const portal = executePortalAt(bytes, start, end);
      if (portal === undefined) return false;
      execute(c, portal);
      return true;
    }
  }
}

/** A statement prepared (`truncated`: the framer kept only the start of the Parse). */
function parse(c: ConnectionState, p: Parse, truncated: boolean): void {
  const text = keep(p.query, MAX_KEPT_TEXT);
  const statement: Statement = { text, facts: textFacts(text), cut: truncated || p.query.length > MAX_KEPT_TEXT, paramTypes: p.paramTypes, fields: null };
  // Known from here on: a Bind right behind it (pipelined) names it before the server answers.
  // If the Parse fails or is skipped, error() puts back what the name meant before.
  const previous = c.statements.get(p.statement);
  remember(c.statements, p.statement, statement);
  c.queue.push({ kind: 'parse', name: p.statement, statement, previous });
}

/** The statement a Bind names; one the observer does not know (prepared before it watched) by its name. */
function statementOf(c: ConnectionState, name: string): Statement {
  return c.statements.get(name) ?? { text: `EXECUTE ${name || '<unnamed>'}`, paramTypes: [], fields: null };
}

/**
 * A Bind's values made, in their own array, what the transcript and the event show: text as it
 * is, others by the statement's types.
 */
function shownParams(statement: Statement, values: (string | Buffer | null)[], formats: readonly number[]): (string | null)[] {
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    const text = value === null || typeof value === 'string' ? value : formatValue(value, formatCode(formats, i), statement.paramTypes[i] ?? 0);
    values[i] = text === null ? null : keep(text, MAX_KEPT_PARAM);
  }
  return values as (string | null)[];
}

/** A portal bound to `statement`; `params` undefined when the Bind could not be read. */
function bind(c: ConnectionState, portalName: string, statement: Statement, params: (string | null)[] | undefined, resultFormats: number[]): void {
  // Its columns: a Describe of the portal answers them, else one of the statement did (portalFields).
  remember(c.portals, portalName, { statement, params, fields: null, resultFormats });
  c.queue.push({ kind: 'bind', statement, params });
}

/** A Describe, answered by a RowDescription or NoData; `d` undefined when it could not be read. */
function describe(c: ConnectionState, d: Target | undefined): void {
  c.queue.push(d === undefined ? { kind: 'describe' } : d.target === 'statement' ? { kind: 'describe', statement: c.statements.get(d.name) } : { kind: 'describe', portal: c.portals.get(d.name) });
}

/** An Execute of the portal named: the statement goes into the transcript as it is sent. */
function execute(c: ConnectionState, portalName: string): void {
  const portal = c.portals.get(portalName);
  const run = c.begin(portal?.statement.text ?? `EXECUTE portal ${portalName || '<unnamed>'}`, portal?.params, portal?.statement.cut, portal?.statement.facts);
  run.portal = portal;
  c.queue.push({ kind: 'execute', run });
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
    case F.Parse:
      parse(c, decoded(decodeParse, body) ?? cutParse(body), truncated);
      break;
    case F.Bind: {
      const b = decoded(decodeBind, body);
      if (b === undefined) {
        // Parameters of a Bind that cannot be read are left out rather than guessed.
        const [portalName, statementName] = leadingStrings(body, 2);
        bind(c, portalName!, statementOf(c, statementName!), undefined, []);
        break;
      }
      const statement = statementOf(c, b.statement);
      bind(c, b.portal, statement, shownParams(statement, b.params, b.paramFormats), b.resultFormats);
      break;
    }
    case F.Describe:
      describe(c, decoded(decodeDescribe, body));
      break;
    case F.Execute:
      execute(c, decoded(decodeExecute, body)?.portal ?? leadingStrings(body, 1)[0]!);
      break;
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
