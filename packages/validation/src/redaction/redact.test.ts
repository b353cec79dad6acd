import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Redactor, redactSecrets } from "./redact.ts";

const SEED = 0x5eed;

describe("redactSecrets", () => {
  it.each([
    [
      "an e-mail",
      "write to jane.doe+tag@mail.example.co.uk today",
      "write to [redacted:email] today",
    ],
    ["an OpenAI key", "key=sk-proj-AbCdEfGhIjKlMnOpQrStUv012345", "key=[redacted:api_key]"],
    ["an Anthropic key", "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv0123-xyz", "[redacted:api_key]"],
    [
      "a GitHub token",
      "token ghp_0123456789abcdefghijABCDEFGHIJ012345",
      "token [redacted:api_key]",
    ],
    [
      "a fine-grained GitHub token",
      "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
      "[redacted:api_key]",
    ],
    ["a Stripe key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "[redacted:api_key]"],
    ["a Slack token", "xoxb-123456789012-abcdefABCDEF", "[redacted:api_key]"],
    ["a Google key", "AIzaSyA1234567890abcdefghijklmnopqrstuv", "[redacted:api_key]"],
    ["an AWS access key id", "id AKIAIOSFODNN7EXAMPLE.", "id [redacted:aws_access_key]."],
    [
      "a labelled AWS secret",
      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "aws_secret_access_key = [redacted:aws_secret_key]",
    ],
    [
      "a bearer token",
      "Authorization: Bearer abc.DEF-123456789_xyz",
      "Authorization: Bearer [redacted:bearer_token]",
    ],
    [
      "a JWT",
      "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
      "jwt [redacted:jwt]",
    ],
    [
      "a US phone number",
      "call (555) 123-4567 or 555.123.4567",
      "call [redacted:phone] or [redacted:phone]",
    ],
    ["an international number", "ring +44 20 7946 0958!", "ring [redacted:phone]!"],
    ["a +1 number with brackets", "+1 (202) 555-0143", "[redacted:phone]"],
  ])("redacts %s", (_, text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it("redacts a private key block, and a truncated one", () => {
    const body = "MIIEpAIBAAKCAQEA1234567890abcdefghijABCDEFGHIJklmnopqrstuvwxyz0123\nAbCd==";
    const block = `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`;

    expect(redactSecrets(`key:\n${block}\nthanks`)).toBe("key:\n[redacted:private_key]\nthanks");
    expect(redactSecrets(`key:\n${block.slice(0, 90)}\n\nthanks!`)).toBe(
      "key:\n[redacted:private_key]\n\nthanks!",
    );
  });

  it.each([
    ["a version", "install pkg@1.2.3 and @types/node@20.1.0"],
    ["a date", "due 2024-01-15, at 10:30"],
    ["an IP address", "host 192.168.1.1"],
    ["a bare number", "order 5551234567"],
    ["an ISBN", "ISBN 978-3-16-148410-0"],
    ["the word bearer", "the bearer of bad news, bearer internationalization"],
    ["a word ending in sk-", "task-abcdefghijklmnopqrstuvwxyz"],
    ["prose", "The quick brown fox jumps over the lazy dog."],
  ])("leaves %s alone", (_, text) => {
    expect(redactSecrets(text)).toBe(text);
  });

  it("counts what it replaced by label", () => {
    expect(new Redactor().redact("a@b.co c@d.co 555-123-4567")).toEqual({
      text: "[redacted:email] [redacted:email] [redacted:phone]",
      counts: { email: 2, phone: 1 },
      total: 3,
    });
  });
});

// Generators of the shapes the rules promise to find.
const chars = (alphabet: string, minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = LOWER.toUpperCase();
const DIGITS = "0123456789";
const ALNUM = LOWER + UPPER + DIGITS;

const email = fc
  .tuple(
    chars(`${LOWER}${DIGITS}._%+-`, 1, 24),
    fc.array(chars(`${LOWER}${DIGITS}-`, 1, 12), { minLength: 1, maxLength: 3 }),
    chars(LOWER, 2, 6),
  )
  .map(([local, labels, tld]) => `${local}@${labels.join(".")}.${tld}`);
const openAiKey = chars(`${ALNUM}_-`, 20, 60).map((rest) => `sk-${rest}`);
const githubToken = fc
  .tuple(fc.constantFrom("ghp", "gho", "ghu", "ghs", "ghr"), chars(ALNUM, 36, 40))
  .map(([prefix, rest]) => `${prefix}_${rest}`);
const awsKey = chars(UPPER + DIGITS, 16, 16).map((rest) => `AKIA${rest}`);
const bearer = fc
  .tuple(chars(`${ALNUM}._~+/-`, 15, 60), fc.constantFrom(...DIGITS))
  .map(([token, digit]) => ({ prefix: "Bearer ", secret: `${digit}${token}` }));
const usPhone = fc
  .tuple(
    chars(DIGITS, 3, 3),
    chars(DIGITS, 3, 3),
    chars(DIGITS, 4, 4),
    fc.constantFrom(" ", "-", "."),
    fc.boolean(),
  )
  .map(([a, b, c, sep, brackets]) =>
    brackets ? `(${a}) ${b}${sep}${c}` : `${a}${sep}${b}${sep}${c}`,
  );
const intlPhone = fc
  .tuple(chars(DIGITS, 1, 3), fc.array(chars(DIGITS, 2, 4), { minLength: 2, maxLength: 3 }))
  .filter(([cc, groups]) => {
    const digits = cc.length + groups.join("").length;
    return digits >= 7 && digits <= 15;
  })
  .map(([cc, groups]) => `+${cc} ${groups.join(" ")}`);

/** A sensitive value and the text that introduces it (only a bearer token needs one). */
const shape = fc.oneof(
  ...[email, openAiKey, githubToken, awsKey, usPhone, intlPhone].map((g) =>
    g.map((secret) => ({ prefix: "", secret })),
  ),
  bearer,
);
/** Ordinary words between the shapes; the separators around them are whitespace. */
const filler = fc.constantFrom("hello", "the order", "see", "and", "thanks", "", "—", "ok:");

describe("redactSecrets properties", () => {
  it("removes every generated e-mail, key, token and phone number", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(filler, shape), { minLength: 1, maxLength: 6 }), (parts) => {
        const text = parts.map(([word, s]) => `${word} ${s.prefix}${s.secret}`).join("\n");
        const redacted = redactSecrets(text);
        for (const [, s] of parts) expect(redacted).not.toContain(s.secret);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it("is idempotent on any text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => {
        const once = redactSecrets(text);
        expect(redactSecrets(once)).toBe(once);
      }),
      { seed: SEED, numRuns: 1_000 },
    );
  });

  it("is idempotent on shapes glued to arbitrary text", () => {
    const glue = fc.string({ unit: fc.constantFrom(..."aZ09@.+-_ ()[]:=/\n"), maxLength: 6 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(glue, shape), { minLength: 1, maxLength: 6 }),
        glue,
        (parts, tail) => {
          const text = parts.map(([g, s]) => `${g}${s.prefix}${s.secret}`).join("") + tail;
          const once = redactSecrets(text);
          expect(redactSecrets(once)).toBe(once);
        },
      ),
      { seed: SEED, numRuns: 1_000 },
    );
  });
});
