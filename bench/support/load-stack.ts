import { ChatStack } from '../../test/support/chat-stack.js';
import { signUp, type TestDevice } from '../../test/support/chat-users.js';
import { progress } from './report.js';

/** An isolated deployment for a benchmark: the rate limits are lifted so the load is not refused. */
export async function startLoadStack(
  gateways = 1,
  overrides: Record<string, string> = {},
): Promise<ChatStack> {
  progress(`starting an isolated stack (${gateways} gateway(s) and a projector)...`);
  return ChatStack.start({
    gateways,
    overrides: {
      RATE_LIMIT_FRAMES_PER_SECOND: '1000000',
      RATE_LIMIT_BURST: '1000000',
      RATE_LIMIT_ACCOUNT_PER_SECOND: '1000000',
      RATE_LIMIT_ACCOUNT_BURST: '1000000',
      CONVERSATIONS_PER_HOUR: '1000000',
      MAX_QUEUED_FRAMES_PER_SOCKET: '10000',
      ...overrides,
    },
  });
}

/** Attempts per user: a keep-alive connection the gateway closed just as a request went out fails it. */
const SIGN_UP_ATTEMPTS = 3;

/**
 * Signs up `n` users through the real HTTP API, `concurrency` at a time, with progress about every 5 %.
 * A request that failed in the network (not an HTTP error) is tried again with a fresh phone number:
 * on a loaded machine one such failure in 19,000 sign-ups must not throw away minutes of work.
 */
export async function signUpMany(stack: ChatStack, n: number, concurrency = 32): Promise<TestDevice[]> {
  const every = Math.max(100, Math.round(n / 2000) * 100);
  const t0 = performance.now();
  const out = new Array<TestDevice>(n);
  let next = 0;
  let done = 0;
  let retried = 0;
  const one = async (worker: number): Promise<TestDevice> => {
    for (let attempt = 1; ; attempt++) {
      const gateways = stack.liveGateways;
      try {
        return await signUp(stack, gateways[worker % gateways.length]);
      } catch (err) {
        if (!(err instanceof TypeError) || attempt >= SIGN_UP_ATTEMPTS) throw err;
        retried++;
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async (_, worker) => {
      for (let i = next++; i < n; i = next++) {
        out[i] = await one(worker);
        if (++done % every === 0 || done === n)
          progress(
            `  signed up ${done}/${n} (${Math.round(done / ((performance.now() - t0) / 1000))}/s${retried ? `, ${retried} retried after a network error` : ''})`,
          );
      }
    }),
  );
  return out;
}
