import { type DynamicModule, Global, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { S3Config } from '#libs/config';
import type { HealthIndicator } from '#libs/platform';
import { createS3Client, ObjectStore } from './object-store.js';

@Injectable()
export class S3HealthIndicator implements HealthIndicator {
  readonly name = 's3';
  constructor(private readonly store: ObjectStore) {}

  check(): Promise<void> {
    return this.store.ping();
  }
}

@Global()
@Module({})
export class S3Module implements OnApplicationShutdown {
  constructor(private readonly store: ObjectStore) {}

  static forRoot(config: Readonly<S3Config>): DynamicModule {
    return {
      module: S3Module,
      providers: [
        { provide: ObjectStore, useFactory: () => new ObjectStore(createS3Client(config), config.S3_BUCKET) },
        S3HealthIndicator,
      ],
      exports: [ObjectStore, S3HealthIndicator],
    };
  }

  onApplicationShutdown(): void {
    this.store.client.destroy();
  }
}
