// A wait bounded in time: for the Git work a request may wait on (an on-demand fetch, a history read)
// and for the web view's access reviews. The work goes on after the bound; the caller does not wait for it.

export const TIMED_OUT = Symbol("timed out");

/** `work`'s value, or TIMED_OUT when it takes longer than `timeoutMs`. */
export async function within<T>(work: Promise<T>, timeoutMs: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
