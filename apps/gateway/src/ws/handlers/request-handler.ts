import type { RequestType, Requests } from '#libs/protocol';
import type { DeviceConnection } from '../device-connection.js';

/** One request type of the protocol: its DTO class and what it does. */
export interface RequestHandler<T extends RequestType = RequestType> {
  readonly type: T;
  readonly dto: new () => object;
  handle(conn: DeviceConnection, data: Requests[T]['data']): Promise<Requests[T]['result']>;
}
