/**
 * After `keys rotate`, the gateway config must name the new public key so new
 * recordings are sealed to it. `recipientEdit` says what to change; with
 * `--update-config` `applyRecipientEdit` changes it in the YAML itself through
 * the yaml library's Document API, so comments, order and layout elsewhere in
 * the file stay as the operator wrote them.
 */
import { relative, dirname, isAbsolute } from 'node:path';
import { isMap, isSeq, parseDocument, type Document, type YAMLMap } from 'yaml';
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

/** The config text with the edit made; everything else (comments included) as it was. */
export function applyRecipientEdit(text: string, edit: RecipientEdit, file: string): string {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) throw new ConfigError(`${file}: ${doc.errors[0]!.message.split('\n')[0]}`);
  const recipients = doc.get('recipients', true);
  if (recipients !== undefined && recipients !== null && !isSeq(recipients)) throw new ConfigError(`${file}: recipients: a list expected`);
  if (!recipients) {
    doc.set('recipients', doc.createNode([edit.entry], { flow: false }));
    return doc.toString();
  }
  const item = edit.replaces === null ? undefined : recipients.items.find((i) => isMap(i) && i.get('name') === edit.replaces);
  if (item === undefined) {
    const node = doc.createNode(edit.entry);
    if (recipients.flow) node.flow = true;
    recipients.items.push(node);
    return doc.toString();
  }
  const map = item as YAMLMap;
  map.delete('publicKey');
  map.set('publicKeyFile', edit.entry.publicKeyFile);
  return (doc as Document).toString();
}
