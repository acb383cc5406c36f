/** Messages between the bench driver and a fleet worker (a child process holding device connections). */

export interface FleetStats {
  /** Sockets open now. */
  readonly open: number;
  /** Connections that closed after they were up (an idle fleet must show 0). */
  readonly drops: number;
  /** Heartbeats the driver asked this worker to send, and their answers. */
  readonly sent: number;
  readonly answered: number;
  readonly errors: number;
  /** This worker's own CPU seconds (user + system), to tell a busy load generator from a busy gateway. */
  readonly cpuSeconds: number;
}

export type ToWorker =
  | {
      readonly kind: 'connect';
      readonly urls: readonly string[];
      /** Each device's access token and the index in `urls` of the gateway it connects to first. */
      readonly devices: ReadonlyArray<{ readonly token: string; readonly gateway: number }>;
      /** Loopback source addresses; connection i binds localAddresses[i % length]. */
      readonly localAddresses: readonly string[];
      /** true: the SDK sends heartbeats itself at the gateway's interval; false: only on 'rate'. */
      readonly sdkHeartbeats: boolean;
      readonly concurrency: number;
    }
  | { readonly kind: 'rate'; readonly perSecond: number }
  | { readonly kind: 'stats' }
  | { readonly kind: 'close' };

export type FromWorker =
  | {
      readonly kind: 'connected';
      readonly open: number;
      readonly failed: number;
      readonly firstError?: string;
    }
  | ({ readonly kind: 'stats' } & FleetStats)
  | { readonly kind: 'closed' };
