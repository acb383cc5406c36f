import { ChatStack } from '../../test/support/chat-stack.js';
import { signUpMany as signUpUsers, type TestDevice } from '../../test/support/chat-users.js';
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

/** Signs up `n` users through the real HTTP API, with progress every hundred. */
export function signUpMany(stack: ChatStack, n: number): Promise<TestDevice[]> {
  return signUpUsers(stack, n, 32, (done) => {
    if (done % 100 === 0 || done === n) progress(`  signed up ${done}/${n}`);
  });
}
