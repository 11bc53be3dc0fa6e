/**
 * A body passed through without being buffered, and a promise of how many bytes went through once
 * it has ended (fully sent, failed or cancelled): what usage counts and when the lease is released.
 */
export interface MeteredBody {
  body: ReadableStream<Uint8Array>;
  done: Promise<number>;
}

/**
 * With a known length, workerd's own FixedLengthStream carries the bytes (no JavaScript per chunk,
 * and the length stays declared); otherwise a TransformStream counts each chunk as it passes, so a
 * server-sent-events stream still flows chunk by chunk.
 */
export function meteredBody(source: ReadableStream<Uint8Array>, declaredLength: number | null): MeteredBody {
  if (declaredLength !== null) {
    const { readable, writable } = new FixedLengthStream(declaredLength);
    const done = source.pipeTo(writable).then(
      () => declaredLength,
      () => 0,
    );
    return { body: readable, done };
  }
  let bytes = 0;
  let finish!: (bytes: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bytes += chunk.byteLength;
      controller.enqueue(chunk);
    },
    flush() {
      finish(bytes);
    },
  });
  source.pipeTo(counter.writable).catch(() => finish(bytes));
  return { body: counter.readable, done };
}

/** A Content-Length header as a number, or null when absent or not a plain non-negative integer. */
export function declaredLength(headers: Headers): number | null {
  const value = headers.get("Content-Length");
  if (value === null || !/^\d{1,15}$/.test(value.trim())) return null;
  return Number(value.trim());
}
