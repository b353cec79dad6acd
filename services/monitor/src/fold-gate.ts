/** What the gate needs from one consumer-info reply (a snapshot of the server's view). */
export interface ConsumerSnapshot {
  /** Messages handed out and not yet acked (or terminated), at the snapshot. */
  readonly numAckPending: number;
  /**
   * The consumer sequence of the last delivery at the snapshot (`delivered.consumer_seq`).
   * Every delivery, first or repeated, takes the next consumer sequence.
   */
  readonly deliveredConsumerSeq: number;
}

/** A message the folder holds unacked. */
export interface HeldDelivery {
  /** Its stream sequence. */
  readonly seq: number;
  /** The lowest consumer (delivery) sequence under which this folder received it. */
  readonly firstDelivery: number;
}

/**
 * Which of the held messages may be folded now, or `undefined` to wait.
 *
 * Folding must never put a newer event into a window before an older one (the window's
 * high-water mark would then skip the older one when it comes back). So the folder may fold
 * only when it holds *every* message the consumer had outstanding at the snapshot:
 *
 * - a held message received under a delivery sequence at or below the snapshot's was handed
 *   out before the snapshot and is still unacked (nobody else acks what the folder holds; the
 *   intake guards against a deposed leader's late acks), so it is one of the `numAckPending`;
 * - if there are at least `numAckPending` of them, they are exactly the outstanding set;
 * - and every message older than the newest of them was first delivered before it (first
 *   deliveries go out in stream order), hence before the snapshot, so it is either among them
 *   or acked (folded).
 *
 * Those messages are returned. Held messages received only after the snapshot wait for the
 * next round: one of them may be older than a message handed to someone else (a dead
 * instance's pull still open at the server) after the snapshot. Nothing here relies on
 * `delivered.stream_seq` (an attempt that did livelocked on 2.9.10; see docs/monitor.md).
 *
 * `settledThrough` is a stream sequence at or below which every message is known to be acked or
 * terminated (the highest sequence this folder has acked in a batch — everything older was
 * settled with it — or the consumer's ack floor). A message at or below it that is still held
 * is a stale copy: a redelivery sent before the server took the ack. It is not outstanding, so
 * counting it would let the gate open while an older message is out elsewhere.
 *
 * The answer errs only towards waiting: acks still in flight, or outstanding messages still
 * on their way, make it wait a round; it never folds early.
 */
export function foldableSequences(
  held: Iterable<HeldDelivery>,
  snapshot: ConsumerSnapshot,
  settledThrough: number,
): number[] | undefined {
  const ready: number[] = [];
  for (const { seq, firstDelivery } of held) {
    if (seq > settledThrough && firstDelivery <= snapshot.deliveredConsumerSeq) ready.push(seq);
  }
  if (ready.length === 0 || ready.length < snapshot.numAckPending) return undefined;
  return ready;
}
