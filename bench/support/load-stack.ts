import { ChatStack } from '../../test/support/chat-stack.js';
import { signUp, type TestDevice } from '../../test/support/chat-users.js';
import { progress } from './report.js';

/** An isolated deployment for a benchmark: the per-device rate limit is lifted so the load is not refused. */
export async function startLoadStack(
  gateways = 1,
  overrides: Record<string, string> = {},
): Promise<ChatStack> {
  progress(`starting an isolated stack (${gateways} gateway(s) and a projector)...`);
  return ChatStack.start({
    gateways,
    overrides: { RATE_LIMIT_FRAMES_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000', ...overrides },
  });
}

/** Signs up `n` users through the real HTTP API, a few at a time, with progress. */
export async function signUpMany(stack: ChatStack, n: number, concurrency = 16): Promise<TestDevice[]> {
  const out: TestDevice[] = new Array<TestDevice>(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) {
      out[i] = await signUp(stack, stack.liveGateways[i % stack.liveGateways.length]);
      if ((i + 1) % 100 === 0) progress(`  signed up ${i + 1}/${n}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return out;
}
