/**
 * What a bounded mailbox does when it is full.
 *
 * - `reject`: `tell` throws {@link MailboxFull} at once. For request paths, which should shed
 *   load and answer "overloaded" rather than queue work they cannot finish in time.
 * - `wait`: `tell` never throws `MailboxFull`; the message waits in line for space behind any
 *   earlier waiting senders. For stream consumers, which should `await ref.send(message)` so
 *   back-pressure reaches the stream (a bare `tell` still queues, but unboundedly).
 *
 * Under either policy `send` waits for space instead of failing.
 */
export const OverflowPolicy = { Reject: "reject", Wait: "wait" } as const;

/** One of the values of {@link OverflowPolicy}. */
export type OverflowPolicy = (typeof OverflowPolicy)[keyof typeof OverflowPolicy];
