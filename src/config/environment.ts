/**
 * The process environment variables recgate reads outside the config file.
 * Everything else reaches code through the loaded config.
 */
export interface Environment {
  /** RECGATE_PASSPHRASE: the passphrase of an auditor key file, for scripts. */
  passphrase?: string;
}

export function environment(env: NodeJS.ProcessEnv = process.env): Environment {
  const out: Environment = {};
  if (env.RECGATE_PASSPHRASE !== undefined) out.passphrase = env.RECGATE_PASSPHRASE;
  return out;
}
