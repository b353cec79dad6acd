/** The labels a redaction leaves in the text, as `[redacted:<label>]`. */
export const RedactionLabel = {
  Email: "email",
  Phone: "phone",
  ApiKey: "api_key",
  AwsAccessKey: "aws_access_key",
  AwsSecretKey: "aws_secret_key",
  BearerToken: "bearer_token",
  Jwt: "jwt",
  PrivateKey: "private_key",
} as const;

/** One of the {@link RedactionLabel} values. */
export type RedactionLabel = (typeof RedactionLabel)[keyof typeof RedactionLabel];

/** The switches of the `pii_redaction` validator, each turning on a group of rules. */
export const RedactionGroup = { Emails: "emails", Phones: "phones", ApiKeys: "apiKeys" } as const;

/** One of the {@link RedactionGroup} values. */
export type RedactionGroup = (typeof RedactionGroup)[keyof typeof RedactionGroup];

/** One shape of sensitive text: what it is, which switch turns it on, and how to find it. */
export interface RedactionRule {
  readonly label: RedactionLabel;
  readonly group: RedactionGroup;
  /**
   * Global, so `replace` finds every occurrence. Safe to share across concurrent calls:
   * `replace` resets `lastIndex` itself (only `test`/`exec` on a global regex keep state).
   */
  readonly pattern: RegExp;
}

// Characters of the key-like shapes below. Each rule starts with a negative lookbehind on its
// own alphabet so a match can only begin at the start of a run: that keeps the scan linear on
// long runs without a match, and stops `task-…` from being read as an `sk-…` key.
const KEY_EDGE = "(?<![A-Za-z0-9_-])";

/**
 * The rules, in the order they run: whole blocks and tokens first, so a key inside a bearer
 * header or an e-mail-like string is redacted by its most specific rule; phone numbers last,
 * since digits are the loosest shape.
 *
 * Secrets favour recall (a redacted slug costs little, a leaked key a lot); e-mails and phone
 * numbers favour precision, since ordinary text is full of versions, dates and IDs.
 */
export const REDACTION_RULES: readonly RedactionRule[] = Object.freeze([
  {
    // A PEM private key: its header, base64 lines and `Name: value` header lines, and the END
    // line when it is there, so a truncated sample is redacted too. Lines are separated by
    // whitespace, so the body can be read only one way and the regex never backtracks over
    // it; a scan for the END line instead would be quadratic in the number of BEGIN lines.
    label: RedactionLabel.PrivateKey,
    group: RedactionGroup.ApiKeys,
    pattern:
      /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----(?:\s+(?:[A-Za-z0-9+/]{16,}={0,2}|[A-Za-z-]{1,40}:[^\n]*))*(?:\s+[A-Za-z0-9+/]{1,15}={0,2}(?=\s*-----END))?(?:\s*-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----)?/g,
  },
  {
    // A JSON Web Token: base64url of `{"` starts both the header and the payload.
    label: RedactionLabel.Jwt,
    group: RedactionGroup.ApiKeys,
    pattern: new RegExp(
      `${KEY_EDGE}eyJ[A-Za-z0-9_-]{4,}\\.eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*`,
      "g",
    ),
  },
  {
    // The token after `Bearer` (RFC 6750 b64token), 16 characters or more with a digit: "bearer"
    // is an English word, and "bearer internationalization" is no credential.
    label: RedactionLabel.BearerToken,
    group: RedactionGroup.ApiKeys,
    pattern:
      /(?<=\bbearer\s{1,8})(?=[A-Za-z0-9._~+/-]{16})(?=[A-Za-z._~+/-]*\d)[A-Za-z0-9._~+/-]+=*/gi,
  },
  {
    // OpenAI (`sk-`, `sk-proj-`) and Anthropic (`sk-ant-`) keys.
    label: RedactionLabel.ApiKey,
    group: RedactionGroup.ApiKeys,
    pattern: new RegExp(`${KEY_EDGE}sk-[A-Za-z0-9_-]{20,}`, "g"),
  },
  {
    // GitHub tokens: classic (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) and fine-grained.
    label: RedactionLabel.ApiKey,
    group: RedactionGroup.ApiKeys,
    pattern: new RegExp(
      `${KEY_EDGE}(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})`,
      "g",
    ),
  },
  {
    // Stripe secret and restricted keys.
    label: RedactionLabel.ApiKey,
    group: RedactionGroup.ApiKeys,
    pattern: new RegExp(`${KEY_EDGE}(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}`, "g"),
  },
  {
    // Slack tokens.
    label: RedactionLabel.ApiKey,
    group: RedactionGroup.ApiKeys,
    pattern: new RegExp(`${KEY_EDGE}xox[abposr]-[A-Za-z0-9-]{10,}`, "g"),
  },
  {
    // Google API keys.
    label: RedactionLabel.ApiKey,
    group: RedactionGroup.ApiKeys,
    pattern: new RegExp(`${KEY_EDGE}AIza[A-Za-z0-9_-]{35,}`, "g"),
  },
  {
    // AWS access key ids: a four-letter prefix naming the kind of id, then 16 characters.
    label: RedactionLabel.AwsAccessKey,
    group: RedactionGroup.ApiKeys,
    pattern:
      /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  },
  {
    // An AWS secret access key is 40 characters of base64 with no prefix, too common a shape
    // to take alone: only where it is labelled as one.
    label: RedactionLabel.AwsSecretKey,
    group: RedactionGroup.ApiKeys,
    pattern:
      /(?<=aws_?secret_?access_?key["']?\s{0,4}[:=]\s{0,4}["']?)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/gi,
  },
  {
    // The domain must end in a label starting with a letter, so `pkg@1.2.3` stays.
    label: RedactionLabel.Email,
    group: RedactionGroup.Emails,
    pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z][A-Za-z0-9-]*/g,
  },
  {
    // International numbers written with `+`: 7 to 15 digits with spaces, dots, dashes and
    // an optional bracketed group.
    label: RedactionLabel.Phone,
    group: RedactionGroup.Phones,
    pattern: /(?<![\w+])\+\d(?:[ .-]?\(?\d\)?){6,14}(?!\d)/g,
  },
  {
    // North American numbers with separators (`555-123-4567`, `(555) 123 4567`). Bare digit
    // runs and ISO dates are left alone: they are IDs and timestamps far more often.
    label: RedactionLabel.Phone,
    group: RedactionGroup.Phones,
    pattern: /(?<![\w+.-])(?:1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-]|\.\d)/g,
  },
]);
