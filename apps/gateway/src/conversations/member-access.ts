import {
  isMember,
  NOT_A_MEMBER_MESSAGE,
  type ActiveConversation,
  type ConversationState,
} from '#libs/domain';
import { ApiError } from '../http/api-error.js';

/**
 * Lets only members through, with one answer (NOT_A_MEMBER) for a conversation that exists and one that
 * does not: a direct chat's id follows from its two users, so telling them apart would tell a stranger
 * who talks to whom. Every frame and request that names a conversation checks with this first.
 */
export function requireMember(state: ConversationState, userId: string): asserts state is ActiveConversation {
  if (!isMember(state, userId)) throw new ApiError('NOT_A_MEMBER', NOT_A_MEMBER_MESSAGE);
}
