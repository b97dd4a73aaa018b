/**
 * `recgate reload`: the running gateway reads its config file again, through
 * its control socket (as SIGHUP does). Prints what changed. A config with
 * errors changes nothing: the gateway logs it and the command prints the
 * gateway's one-line error and exits 1.
 */
import { controlPlaceOfFile } from '../config/control-place.js';
import { loadConfig, resolveConfigPath } from '../config/index.js';
import { describeDiff } from '../config/reload.js';
import { GatewayError, NotFoundError } from '../errors.js';
import type { GlobalOptions } from './context.js';
import { printable } from './printable.js';
import { request } from './sessions.js';

export async function reloadGateway(options: GlobalOptions): Promise<void> {
  const file = resolveConfigPath(options.config);
  let where: Parameters<typeof request>[0];
  let invalid: GatewayError | undefined;
  try {
    where = loadConfig(file, process.env, { targetSecrets: 'defer' });
  } catch (err) {
    // The file no longer loads: still reach the gateway, which keeps its running config and logs why.
    const place = controlPlaceOfFile(file);
    if (!place || !(err instanceof GatewayError)) throw err;
    where = place;
    invalid = err;
  }
  let response;
  try {
    response = await request(where, { op: 'reload' });
  } catch (err) {
    if (invalid && err instanceof NotFoundError) throw invalid;
    throw err;
  }
  const diff = response.diff!;
  process.stdout.write('reloaded\n' + describeDiff(diff).map((l) => `  ${printable(l)}\n`).join(''));
  if (diff.needsRestart.length > 0) process.stderr.write(`recgate: ${diff.needsRestart.join(', ')} changed and need a restart of the gateway\n`);
}
