/** A clock that only moves when a test moves it. */
export function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  return {
    now: () => now,
    advance(seconds: number) {
      now += seconds * 1000;
    },
    set(ms: number) {
      now = ms;
    },
  };
}

/** A waitUntil that records what it was handed, as a Worker's ExecutionContext would keep it alive. */
export function recordingWaitUntil() {
  const promises: Promise<unknown>[] = [];
  return {
    promises,
    waitUntil: (promise: Promise<unknown>) => {
      promises.push(promise);
    },
    /** Settles everything handed over so far, and anything that work handed over in turn. */
    async drain() {
      for (let seen = 0; seen < promises.length; ) {
        const batch = promises.slice(seen);
        seen = promises.length;
        await Promise.allSettled(batch);
      }
    },
  };
}

/** A promise with its resolve and reject exposed. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
