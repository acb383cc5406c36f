import { Global, Module } from '@nestjs/common';
import { CASSANDRA_CLIENT, type CqlClient } from '#libs/cassandra';
import { chatEventCodec, PersonalDataVault } from '#libs/events';
import { CassandraPersonalKeyStore } from './personal-key.store.js';
import { ConversationStore } from './conversation.store.js';
import { DeviceStore } from './device.store.js';
import { GroupStore } from './group.store.js';
import { InboxStore } from './inbox.store.js';
import { MediaStore } from './media.store.js';
import { PresenceStore } from './presence.store.js';
import { ProfileStore } from './profile.store.js';
import { ContactSetStore } from './contact-set.store.js';
import { ReportStore } from './report.store.js';
import { AccountGenerationStore } from './account-generation.store.js';
import { PushSettingsStore } from './push-settings.store.js';
import { ReadModelVersions } from './read-model-versions.js';
import { ReceiptStore } from './receipt.store.js';
import { TimelineStore } from './timeline.store.js';
import { MessageActionStore } from './message-action.store.js';
import { ConversationPrefsStore } from './conversation-prefs.store.js';
import { E2eKeyStore } from './e2e-key.store.js';
import { MessageExpiryStore } from './message-expiry.store.js';

const stores = [
  InboxStore,
  MediaStore,
  PushSettingsStore,
  ProfileStore,
  ContactSetStore,
  ReportStore,
  AccountGenerationStore,
  E2eKeyStore,
  ConversationPrefsStore,
  MessageExpiryStore,
];
/** Stores of read models `chatctl rebuild` can version: they follow `read_model_versions`. */
const versioned = [
  DeviceStore,
  TimelineStore,
  ConversationStore,
  ReceiptStore,
  GroupStore,
  PresenceStore,
  MessageActionStore,
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
    // Readers and the live projector follow `chatctl rebuild` through the versions table.
    ...versioned.map((Store) => ({
      provide: Store,
      inject: [CASSANDRA_CLIENT, ReadModelVersions],
      useFactory: (cql: CqlClient, versions: ReadModelVersions) => new Store(cql, versions),
    })),
    {
      provide: CassandraPersonalKeyStore,
      inject: [CASSANDRA_CLIENT],
      useFactory: (cql: CqlClient) => new CassandraPersonalKeyStore(cql),
    },
    // The one way the apps read and write events: personal fields sealed with their owner's key.
    {
      provide: PersonalDataVault,
      inject: [CassandraPersonalKeyStore],
      useFactory: (keys: CassandraPersonalKeyStore) => new PersonalDataVault(chatEventCodec, keys),
    },
  ],
  exports: [...stores, ...versioned, ReadModelVersions, CassandraPersonalKeyStore, PersonalDataVault],
})
export class ReadModelsModule {}
