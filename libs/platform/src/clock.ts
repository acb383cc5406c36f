/** Time is a dependency, so the domain and its tests need no real clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
