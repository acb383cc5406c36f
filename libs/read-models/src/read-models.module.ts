import { Global, Module } from '@nestjs/common';
import { CASSANDRA_CLIENT, type CqlClient } from '#libs/cassandra';
import { ConversationStore } from './conversation.store.js';
import { DeviceStore } from './device.store.js';
import { GroupStore } from './group.store.js';
import { InboxStore } from './inbox.store.js';
import { MediaStore } from './media.store.js';
import { PresenceStore } from './presence.store.js';
import { PushSettingsStore } from './push-settings.store.js';
import { ReadModelVersions } from './read-model-versions.js';
import { ReceiptStore } from './receipt.store.js';
import { TimelineStore } from './timeline.store.js';

const stores = [
  InboxStore,
  TimelineStore,
  ConversationStore,
  ReceiptStore,
  MediaStore,
  GroupStore,
  PushSettingsStore,
  PresenceStore,
];

/** The read-model stores over the Cassandra client (requires CassandraModule). */
@Global()
@Module({
  providers: [
    ...stores.map((Store) => ({
      provide: Store,
      inject: [CASSANDRA_CLIENT],
      useFactory: (cql: CqlClient) => new Store(cql),
    })),
    {
      provide: ReadModelVersions,
      inject: [CASSANDRA_CLIENT],
      useFactory: (cql: CqlClient) => new ReadModelVersions(cql),
    },
    // Readers and the live projector follow `chatctl rebuild users` through the versions table.
    {
      provide: DeviceStore,
      inject: [CASSANDRA_CLIENT, ReadModelVersions],
      useFactory: (cql: CqlClient, versions: ReadModelVersions) => new DeviceStore(cql, versions),
    },
  ],
  exports: [...stores, DeviceStore, ReadModelVersions],
})
export class ReadModelsModule {}
