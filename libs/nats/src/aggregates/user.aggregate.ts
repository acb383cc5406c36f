import { decideUser, evolveUser, initialUserState, type UserCommand, type UserState } from '#libs/domain';
import { userSubject, type SubjectSpace, type UserEvent } from '#libs/events';
import { userStreamName } from '../stream-topology.js';
import type { Aggregate } from './aggregate.js';

/** Users (account, devices, push tokens, settings): every event on `chat.user.<id>`, all checked. */
export function userAggregate(space: SubjectSpace): Aggregate<UserCommand, UserState, UserEvent> {
  return {
    initialState: initialUserState,
    evolve: (state, event) => evolveUser(state, event),
    decide: decideUser,
    locate: (userId) => {
      const subject = userSubject(space, userId);
      return { stream: userStreamName(space), stateSubject: subject, subjectOf: () => subject };
    },
  };
}
