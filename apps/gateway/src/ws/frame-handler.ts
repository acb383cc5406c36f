import { Command, CommandHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { RequestType, Requests } from '#libs/protocol';
import type { DeviceConnection } from './device-connection.js';

/** A frame that changes something: its type, the device that sent it and its validated data. */
export abstract class FrameCommand<D extends object, R> extends Command<R> {
  constructor(
    readonly type: RequestType,
    readonly conn: DeviceConnection,
    readonly data: D,
  ) {
    super();
  }
}

/** A frame that only reads. */
export abstract class FrameQuery<D extends object, R> extends Query<R> {
  constructor(
    readonly type: RequestType,
    readonly conn: DeviceConnection,
    readonly data: D,
  ) {
    super();
  }
}

type FrameMessage = FrameCommand<object, unknown> | FrameQuery<object, unknown>;
type FrameMessageClass = new (type: RequestType, conn: DeviceConnection, data: never) => FrameMessage;

/** How the frame router turns a frame of one type into a command or query. */
export interface FrameBinding {
  readonly type: RequestType;
  readonly dto: new () => object;
  readonly message: FrameMessageClass;
  readonly bus: 'command' | 'query';
}

const bindings = new Map<RequestType, FrameBinding>();

/** The result a frame type's message class must promise: the protocol's. */
type Answers<T extends RequestType> = new (
  ...args: never[]
) => FrameCommand<object, Requests[T]['result']> | FrameQuery<object, Requests[T]['result']>;

/**
 * Marks a class as the handler of one or more frame types: it becomes @nestjs/cqrs's @CommandHandler
 * (or @QueryHandler) of `message`, and each frame type is bound to its DTO and to `message` when its
 * file is loaded (by cqrs-handlers.loader.ts, which also makes the class a provider): nothing lists it.
 */
export function FrameHandler<T extends RequestType>(
  message: Answers<T>,
  dtos: { readonly [K in T]: new () => object },
): ClassDecorator {
  return (target) => {
    const msg = message as unknown as FrameMessageClass;
    const bus = msg.prototype instanceof FrameCommand ? 'command' : 'query';
    (bus === 'command' ? CommandHandler(msg) : QueryHandler(msg))(target);
    for (const [type, dto] of Object.entries(dtos) as [T, new () => object][]) {
      if (bindings.has(type)) throw new Error(`two handlers for frame type ${type}`);
      bindings.set(type, { type, dto, message: msg, bus });
    }
  };
}

export const frameBindings: ReadonlyMap<string, FrameBinding> = bindings;

/** The boot-time check: throws naming every frame type that no loaded handler is bound to. */
export function requireFrameHandlers(types: readonly string[]): void {
  const missing = types.filter((t) => !frameBindings.has(t));
  if (missing.length > 0) throw new Error(`no handler for frame types ${missing.join(', ')}`);
}
