/**
 * The shared memory publish seals in: batches of frames in SharedArrayBuffers that the sealing
 * workers read and write in place. A SharedArrayBuffer's memory goes only once every thread that
 * saw it has collected it, and the sealing workers allocate so little that they rarely collect:
 * a fresh slot per publish piled up by hundreds of MiB under many small uploads. So every
 * publish of the process takes its slots from one pool of at most MAX_SLOTS, waiting when all are
 * in use: memory is bounded by design, whatever the number of publishes at once.
 */

/** 8 x ~4 MiB: two sealing threads' worth of batches in flight, twice over. */
export const MAX_SLOTS = 8;

const idle = new Map<number, Uint8Array[]>();
let made = 0;
const waiting: Array<{ length: number; grant: (slot: Uint8Array) => void }> = [];

function make(length: number): Uint8Array {
  made++;
  return new Uint8Array(new SharedArrayBuffer(length));
}

/** A slot of `length` bytes, as soon as one is free. */
export function takeSlot(length: number, signal?: AbortSignal): Promise<Uint8Array> {
  signal?.throwIfAborted();
  const reused = idle.get(length)?.pop();
  if (reused !== undefined) return Promise.resolve(reused);
  if (made < MAX_SLOTS) return Promise.resolve(make(length));
  // A slot of another length (another segment size) may be idle: let it go for one of ours.
  for (const [other, slots] of idle) {
    if (slots.pop() !== undefined) {
      made--;
      if (slots.length === 0) idle.delete(other);
      return Promise.resolve(make(length));
    }
  }
  return new Promise((resolve, reject) => {
    const entry = { length, grant: resolve };
    waiting.push(entry);
    signal?.addEventListener("abort", () => {
      const index = waiting.indexOf(entry);
      if (index !== -1) waiting.splice(index, 1);
      reject(signal.reason);
    }, { once: true });
  });
}

/** Gives a slot back; nothing may read or write it any more. */
export function releaseSlot(slot: Uint8Array): void {
  const next = waiting.shift();
  if (next === undefined) {
    const list = idle.get(slot.length) ?? [];
    list.push(slot);
    idle.set(slot.length, list);
  } else if (next.length === slot.length) {
    next.grant(slot);
  } else {
    made--; // this one's memory goes; the waiter gets one of its own length
    next.grant(make(next.length));
  }
}

/** Slots made and not dropped, for tests. */
export function slotsMade(): number {
  return made;
}
