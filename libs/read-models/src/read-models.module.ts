import { Global, Module } from '@nestjs/common';
import { CASSANDRA_CLIENT, type CqlClient } from '#libs/cassandra';
import { ConversationStore } from './conversation.store.js';
import { DeviceStore } from './device.store.js';
import { InboxStore } from './inbox.store.js';
import { PresenceStore } from './presence.store.js';
import { ReceiptStore } from './receipt.store.js';
import { TimelineStore } from './timeline.store.js';

const stores = [InboxStore, TimelineStore, ConversationStore, DeviceStore, ReceiptStore, PresenceStore];

/** The read-model stores over the Cassandra client (requires CassandraModule). */
@Global()
@Module({
  providers: stores.map((Store) => ({
    provide: Store,
    inject: [CASSANDRA_CLIENT],
    useFactory: (cql: CqlClient) => new Store(cql),
  })),
  exports: stores,
})
export class ReadModelsModule {}
