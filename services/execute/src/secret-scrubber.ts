import { redactSecrets } from "@patinox/validation";

/** Shortest secret replaced verbatim; a one-letter "key" would garble every message. */
const MIN_SECRET_LENGTH = 4;

/**
 * Removes a provider's credentials from text that came back from it (an error message may
 * echo the key it was sent): every configured secret verbatim, then anything shaped like a
 * key, token or e-mail address (`redactSecrets`), since a provider may echo a key we do not
 * hold (a proxy's, a rotated one).
 */
export class SecretScrubber {
  readonly #secrets: readonly string[];

  /** Scrubs `secrets` (the revealed values), longest first so none leaves a tail behind. */
  constructor(secrets: readonly string[]) {
    this.#secrets = secrets
      .filter((secret) => secret.length >= MIN_SECRET_LENGTH)
      .sort((a, b) => b.length - a.length);
  }

  /** The text with every secret replaced by `[redacted]`. */
  scrub(text: string): string {
    let clean = text;
    for (const secret of this.#secrets) clean = clean.replaceAll(secret, "[redacted]");
    return redactSecrets(clean);
  }
}
