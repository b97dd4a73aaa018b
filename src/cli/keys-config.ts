/**
 * After `keys rotate`, the gateway config must name the new public key so new
 * recordings are sealed to it. `recipientEdit` says what to change; with
 * `--update-config` `applyRecipientEdit` changes it in the YAML itself through
 * the yaml library's Document API, so comments, order and layout elsewhere in
 * the file stay as the operator wrote them.
 */
import { relative, dirname, isAbsolute } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, stringify, type Document, type Node, type Scalar, type YAMLMap } from 'yaml';
import type { Config } from '../config/index.js';
import { ConfigError } from '../errors.js';

export interface RecipientEdit {
  /** The recipient entry that holds the old key (it keeps its name, so targets naming it still do), or null: a new entry. */
  replaces: string | null;
  /** The entry to write. */
  entry: { name: string; publicKeyFile: string };
}

/**
 * What the config needs: the recipient holding `oldKey` takes the new key file,
 * or, when no recipient holds it, a new recipient named `newName` is added.
 */
export function recipientEdit(config: Config, oldKey: Uint8Array, newName: string, newKeyFile: string): RecipientEdit {
  const holder = config.recipients.find((r) => Buffer.compare(Buffer.from(r.publicKey), Buffer.from(oldKey)) === 0);
  const dir = dirname(config.source);
  const rel = relative(dir, newKeyFile);
  const publicKeyFile = isAbsolute(rel) ? newKeyFile : rel;
  return { replaces: holder?.name ?? null, entry: { name: holder?.name ?? newName, publicKeyFile } };
}

/** The YAML lines an operator puts under `recipients:` by hand. */
export function describeEdit(edit: RecipientEdit, configPath: string): string {
  const line = `  - { name: ${edit.entry.name}, publicKeyFile: ${JSON.stringify(edit.entry.publicKeyFile)} }`;
  const what = edit.replaces === null ? `add under recipients: in ${configPath}` : `in ${configPath}, replace the recipient ${edit.replaces} under recipients: with`;
  return `${what}\n${line}\n`;
}

/**
 * The config text with the edit made, and nothing else touched: the nodes the
 * Document API finds are edited in the source text at their ranges, so
 * comments, quoting, flow or block style and line breaks stay as written.
 */
export function applyRecipientEdit(text: string, edit: RecipientEdit, file: string): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ConfigError(`${file}: ${doc.errors[0]!.message.split('\n')[0]}`);
  const recipients = doc.get('recipients', true);
  if (recipients !== undefined && recipients !== null && !isSeq(recipients)) throw new ConfigError(`${file}: recipients: a list expected`);
  const entry = `{ name: ${scalar(edit.entry.name)}, publicKeyFile: ${scalar(edit.entry.publicKeyFile)} }`;
  if (!isSeq(recipients) || recipients.items.length === 0) {
    const rest = recipients ? cut(text, doc, 'recipients') : text;
    return `${rest}${rest.endsWith('\n') || rest === '' ? '' : '\n'}recipients:\n  - ${entry}\n`;
  }
  const item = edit.replaces === null ? undefined : recipients.items.find((i): i is YAMLMap => isMap(i) && i.get('name') === edit.replaces);
  if (item === undefined) {
    const last = recipients.items.at(-1) as Node;
    const end = last.range![1];
    if (recipients.flow) return splice(text, end, end, `, ${entry}`);
    const lineStart = text.lastIndexOf('\n', last.range![0] - 1) + 1;
    const indent = text.slice(lineStart, last.range![0]).replace(/-\s*$/, '').replace(/[^ ]/g, ' ');
    return splice(text, end, end, `\n${indent}- ${entry}`);
  }
  const pair = item.items.find((p) => isScalar(p.key) && (p.key.value === 'publicKeyFile' || p.key.value === 'publicKey'));
  const key = pair?.key as Scalar | undefined;
  const value = pair?.value as Node | undefined;
  if (!key?.range || !value?.range) throw new ConfigError(`${file}: recipient ${edit.replaces}: no publicKey or publicKeyFile to replace`);
  // Value first: it lies after the key, so the key's offsets stay right.
  const withValue = splice(text, value.range[0], value.range[1], scalar(edit.entry.publicKeyFile));
  return splice(withValue, key.range[0], key.range[1], 'publicKeyFile');
}

function scalar(value: string): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

function splice(text: string, from: number, to: number, insert: string): string {
  return text.slice(0, from) + insert + text.slice(to);
}

/** The text without the top-level `key` pair (an empty `recipients:` to be written again). */
function cut(text: string, doc: Document, key: string): string {
  const pair = isMap(doc.contents) ? doc.contents.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined;
  const start = (pair?.key as Node | undefined)?.range?.[0];
  const end = (pair?.value as Node | undefined)?.range?.[2] ?? (pair?.key as Node | undefined)?.range?.[2];
  return start === undefined || end === undefined ? text : splice(text, start, end, '');
}
