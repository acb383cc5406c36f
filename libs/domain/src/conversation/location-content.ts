import { coordinatesOf, validPoint, type MessageSent } from '#libs/events';
import { reject, rejected, type DomainError } from '../errors.js';

/** Live location is shared for at least a minute and at most eight hours. */
export const LIVE_LOCATION_MIN_SECONDS = 60;
export const LIVE_LOCATION_MAX_SECONDS = 8 * 3600;
const NAME_MAX = 256;
const ADDRESS_MAX = 512;

/** A location message as the client asked for it: a point, and for live location how long it is shared. */
export interface LocationContentInput {
  readonly type: 'location';
  readonly latitude: number;
  readonly longitude: number;
  readonly name?: string;
  readonly address?: string;
  readonly liveSeconds?: number;
}

type LocationContent = Extract<MessageSent['data']['content'], { type: 'location' }>;

/** Latitude -90..90, longitude -180..180, name and address bounded and not blank; live for a bounded time. */
export function decideLocationContent(
  input: LocationContentInput,
  now: Date,
): { ok: true; content: LocationContent } | { ok: false; error: DomainError } {
  if (!validPoint(input.latitude, input.longitude))
    return rejected(
      reject('VALIDATION_FAILED', 'latitude must be within -90..90 and longitude within -180..180', {
        fields: [{ field: 'location', problem: 'out of range' }],
      }),
    );
  for (const [field, value, max] of [
    ['name', input.name, NAME_MAX],
    ['address', input.address, ADDRESS_MAX],
  ] as const)
    if (value !== undefined && (value.trim().length === 0 || [...value].length > max))
      return rejected(reject('VALIDATION_FAILED', `a location's ${field} is 1-${max} characters, not blank`));
  const live = input.liveSeconds;
  if (
    live !== undefined &&
    (!Number.isInteger(live) || live < LIVE_LOCATION_MIN_SECONDS || live > LIVE_LOCATION_MAX_SECONDS)
  )
    return rejected(
      reject(
        'VALIDATION_FAILED',
        `live location is shared for ${LIVE_LOCATION_MIN_SECONDS}-${LIVE_LOCATION_MAX_SECONDS} seconds`,
      ),
    );
  return {
    ok: true,
    content: {
      type: 'location',
      coordinates: coordinatesOf(input.latitude, input.longitude),
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.address !== undefined ? { address: input.address } : {}),
      ...(live !== undefined ? { liveUntil: new Date(now.getTime() + live * 1000).toISOString() } : {}),
    },
  };
}
