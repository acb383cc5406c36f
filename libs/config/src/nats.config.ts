import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { ToInt } from './transforms.js';

export class NatsConfig {
  @Matches(/^(nats|tls|ws|wss):\/\/[^\s,]+(,(nats|tls|ws|wss):\/\/[^\s,]+)*$/, {
    message: 'a comma-separated list of nats:// URLs, e.g. nats://127.0.0.1:4222',
  })
  NATS_URL!: string;

  /** Prefixes every subject and stream name, so tests and tenants can share one server. */
  @IsOptional()
  @Matches(/^[a-z][a-z0-9_]{0,30}$/, { message: 'a lowercase token (letters, digits, _), or empty for none' })
  NATS_NAMESPACE?: string;

  /** k in CHAT_0..CHAT_{k-1}: conversations are spread over k streams (docs/ARCHITECTURE.md). */
  @ToInt()
  @IsInt({ message: 'a whole number of conversation stream partitions' })
  @Min(1, { message: 'at least 1 partition' })
  @Max(64, { message: 'at most 64 partitions' })
  CHAT_STREAM_PARTITIONS = 1;

  @ToInt()
  @IsInt({ message: 'JetStream stream replicas (1 locally, 3 in a cluster)' })
  @IsIn([1, 3, 5], { message: '1, 3 or 5 replicas' })
  NATS_STREAM_REPLICAS = 1;
}
