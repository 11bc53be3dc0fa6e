/** What `withTimeout` rejects with: the work did not settle in time (it may still finish later). */
export class DeadlineExceeded extends Error {
  override readonly name = "DeadlineExceeded";
}

/** Rejects when `work` has not settled within `ms`: no external call may hang a run or a request. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DeadlineExceeded(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
