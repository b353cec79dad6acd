/**
 * A stored value as the CLI shows it. Patinox writes JSON, but the CLI is where a person looks
 * when something is wrong, so it shows whatever is there: JSON parsed, other UTF-8 text as a
 * string, anything else as base64.
 */
export type RecordValue =
  | { readonly format: "json"; readonly value: unknown }
  | { readonly format: "text"; readonly value: string }
  | { readonly format: "binary"; readonly value: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes a stored payload into a {@link RecordValue}. */
export function decodeRecordValue(payload: Uint8Array): RecordValue {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return { format: "binary", value: Buffer.from(payload).toString("base64") };
  }
  try {
    return { format: "json", value: JSON.parse(text) as unknown };
  } catch {
    return { format: "text", value: text };
  }
}
