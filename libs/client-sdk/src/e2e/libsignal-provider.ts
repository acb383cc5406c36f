import { randomInt, randomUUID } from 'node:crypto';
import * as S from '@signalapp/libsignal-client';
import type { DeviceBundle, PublicPreKey, SignedPublicPreKey } from '#libs/protocol';
import type { E2eAddress, E2eCiphertext, E2eProvider, PublishableKeys } from './e2e-provider.js';

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const bytes = (s: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(s, 'base64'));
const own = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b);
/**
 * libsignal's device ids are 1-127; ours are strings. Each of our devices is its own libsignal "name"
 * (`userId.deviceId`) with device number 1, so sessions and identities stay per device.
 */
const addressOf = (a: E2eAddress): S.ProtocolAddress => S.ProtocolAddress.new(`${a.userId}.${a.deviceId}`, 1);

/** In-memory libsignal stores: a real client persists them; tests and benchmarks need no more. */
class Stores {
  readonly sessions = new Map<string, S.SessionRecord>();
  readonly identities = new Map<string, S.PublicKey>();
  readonly preKeys = new Map<number, S.PreKeyRecord>();
  readonly signedPreKeys = new Map<number, S.SignedPreKeyRecord>();
  readonly kyberPreKeys = new Map<number, S.KyberPreKeyRecord>();
  readonly senderKeys = new Map<string, S.SenderKeyRecord>();

  constructor(
    readonly identity: S.IdentityKeyPair,
    readonly registrationId: number,
  ) {}

  sessionStore(): S.SessionStore {
    const m = this.sessions;
    return new (class extends S.SessionStore {
      saveSession(name: S.ProtocolAddress, record: S.SessionRecord): Promise<void> {
        m.set(name.toString(), record);
        return Promise.resolve();
      }
      getSession(name: S.ProtocolAddress): Promise<S.SessionRecord | null> {
        return Promise.resolve(m.get(name.toString()) ?? null);
      }
      getExistingSessions(addresses: S.ProtocolAddress[]): Promise<S.SessionRecord[]> {
        return Promise.resolve(addresses.map((a) => m.get(a.toString())!).filter(Boolean));
      }
    })();
  }

  identityStore(): S.IdentityKeyStore {
    const { identities, identity, registrationId } = this;
    return new (class extends S.IdentityKeyStore {
      getIdentityKey(): Promise<S.PrivateKey> {
        return Promise.resolve(identity.privateKey);
      }
      getLocalRegistrationId(): Promise<number> {
        return Promise.resolve(registrationId);
      }
      saveIdentity(name: S.ProtocolAddress, key: S.PublicKey): Promise<S.IdentityChange> {
        const before = identities.get(name.toString());
        identities.set(name.toString(), key);
        return Promise.resolve(
          before && !before.equals(key) ? S.IdentityChange.ReplacedExisting : S.IdentityChange.NewOrUnchanged,
        );
      }
      // Trust on first use; a changed key is the app's to show ("security code changed").
      isTrustedIdentity(): Promise<boolean> {
        return Promise.resolve(true);
      }
      getIdentity(name: S.ProtocolAddress): Promise<S.PublicKey | null> {
        return Promise.resolve(identities.get(name.toString()) ?? null);
      }
    })();
  }

  preKeyStore(): S.PreKeyStore {
    const m = this.preKeys;
    return new (class extends S.PreKeyStore {
      savePreKey(id: number, record: S.PreKeyRecord): Promise<void> {
        m.set(id, record);
        return Promise.resolve();
      }
      getPreKey(id: number): Promise<S.PreKeyRecord> {
        const r = m.get(id);
        return r ? Promise.resolve(r) : Promise.reject(new Error(`no prekey ${id}`));
      }
      removePreKey(id: number): Promise<void> {
        m.delete(id);
        return Promise.resolve();
      }
    })();
  }

  signedPreKeyStore(): S.SignedPreKeyStore {
    const m = this.signedPreKeys;
    return new (class extends S.SignedPreKeyStore {
      saveSignedPreKey(id: number, record: S.SignedPreKeyRecord): Promise<void> {
        m.set(id, record);
        return Promise.resolve();
      }
      getSignedPreKey(id: number): Promise<S.SignedPreKeyRecord> {
        const r = m.get(id);
        return r ? Promise.resolve(r) : Promise.reject(new Error(`no signed prekey ${id}`));
      }
    })();
  }

  kyberPreKeyStore(lastResortId: () => number): S.KyberPreKeyStore {
    const m = this.kyberPreKeys;
    return new (class extends S.KyberPreKeyStore {
      saveKyberPreKey(id: number, record: S.KyberPreKeyRecord): Promise<void> {
        m.set(id, record);
        return Promise.resolve();
      }
      getKyberPreKey(id: number): Promise<S.KyberPreKeyRecord> {
        const r = m.get(id);
        return r ? Promise.resolve(r) : Promise.reject(new Error(`no kyber prekey ${id}`));
      }
      // A one-time Kyber key is used once; the last-resort one stays.
      markKyberPreKeyUsed(id: number): Promise<void> {
        if (id !== lastResortId()) m.delete(id);
        return Promise.resolve();
      }
    })();
  }

  senderKeyStore(): S.SenderKeyStore {
    const m = this.senderKeys;
    return new (class extends S.SenderKeyStore {
      saveSenderKey(
        sender: S.ProtocolAddress,
        distributionId: string,
        record: S.SenderKeyRecord,
      ): Promise<void> {
        m.set(`${sender.toString()}/${distributionId}`, record);
        return Promise.resolve();
      }
      getSenderKey(sender: S.ProtocolAddress, distributionId: string): Promise<S.SenderKeyRecord | null> {
        return Promise.resolve(m.get(`${sender.toString()}/${distributionId}`) ?? null);
      }
    })();
  }
}

/**
 * The reference E2E provider over the Signal protocol's own library (`@signalapp/libsignal-client`):
 * PQXDH session setup from the key directory's bundles, the double ratchet, and sender keys for groups.
 * Optional: the SDK's index does not import it, so only clients that choose it load the native library.
 * A linked device is built with its primary's identity key pair (copied at linking, out of band).
 */
export class LibsignalProvider implements E2eProvider {
  private readonly stores: Stores;
  private nextKeyId = 1;
  private lastResortKyberId = 0;
  /** The distribution id of this device's current sender key per group. */
  private readonly distributionIds = new Map<string, string>();

  constructor(
    readonly me: E2eAddress,
    identity: S.IdentityKeyPair = S.IdentityKeyPair.generate(),
  ) {
    this.stores = new Stores(identity, randomInt(1, 16380));
  }

  get identity(): S.IdentityKeyPair {
    return this.stores.identity;
  }

  get registrationId(): number {
    return this.stores.registrationId;
  }

  async keysToPublish(oneTimeCount: number): Promise<PublishableKeys> {
    const identity = this.stores.identity;
    const signedId = this.nextKeyId++;
    const signedPriv = S.PrivateKey.generate();
    const signedPub = signedPriv.getPublicKey();
    const signedSig = identity.privateKey.sign(signedPub.serialize());
    this.stores.signedPreKeys.set(
      signedId,
      S.SignedPreKeyRecord.new(signedId, Date.now(), signedPub, signedPriv, signedSig),
    );
    const lastResort = this.kyberKey();
    this.lastResortKyberId = lastResort.keyId;
    const more = await this.moreOneTimeKeys(oneTimeCount);
    return {
      identityKey: b64(identity.publicKey.serialize()),
      registrationId: this.stores.registrationId,
      signedPreKey: { keyId: signedId, publicKey: b64(signedPub.serialize()), signature: b64(signedSig) },
      kyberLastResortPreKey: lastResort,
      ...more,
    };
  }

  private kyberKey(): SignedPublicPreKey {
    const id = this.nextKeyId++;
    const pair = S.KEMKeyPair.generate();
    const sig = this.stores.identity.privateKey.sign(pair.getPublicKey().serialize());
    this.stores.kyberPreKeys.set(id, S.KyberPreKeyRecord.new(id, Date.now(), pair, sig));
    return { keyId: id, publicKey: b64(pair.getPublicKey().serialize()), signature: b64(sig) };
  }

  moreOneTimeKeys(count: number): Promise<{ preKeys: PublicPreKey[]; kyberPreKeys: SignedPublicPreKey[] }> {
    const preKeys: PublicPreKey[] = [];
    const kyberPreKeys: SignedPublicPreKey[] = [];
    for (let i = 0; i < count; i++) {
      const id = this.nextKeyId++;
      const priv = S.PrivateKey.generate();
      this.stores.preKeys.set(id, S.PreKeyRecord.new(id, priv.getPublicKey(), priv));
      preKeys.push({ keyId: id, publicKey: b64(priv.getPublicKey().serialize()) });
      kyberPreKeys.push(this.kyberKey());
    }
    return Promise.resolve({ preKeys, kyberPreKeys });
  }

  async hasSession(peer: E2eAddress): Promise<boolean> {
    const record = await this.stores.sessionStore().getSession(addressOf(peer));
    return record?.hasCurrentState() ?? false;
  }

  async startSession(peer: E2eAddress, bundle: DeviceBundle): Promise<void> {
    const b = S.PreKeyBundle.new(
      bundle.registrationId,
      1,
      bundle.preKey ? bundle.preKey.keyId : null,
      bundle.preKey ? S.PublicKey.deserialize(bytes(bundle.preKey.publicKey)) : null,
      bundle.signedPreKey.keyId,
      S.PublicKey.deserialize(bytes(bundle.signedPreKey.publicKey)),
      bytes(bundle.signedPreKey.signature),
      S.PublicKey.deserialize(bytes(bundle.identityKey)),
      bundle.kyberPreKey.keyId,
      S.KEMPublicKey.deserialize(bytes(bundle.kyberPreKey.publicKey)),
      bytes(bundle.kyberPreKey.signature),
    );
    await S.processPreKeyBundle(
      b,
      addressOf(peer),
      addressOf(this.me),
      this.stores.sessionStore(),
      this.stores.identityStore(),
    );
  }

  forgetSession(peer: E2eAddress): Promise<void> {
    this.stores.sessions.delete(addressOf(peer).toString());
    return Promise.resolve();
  }

  async encrypt(peer: E2eAddress, plaintext: Uint8Array): Promise<E2eCiphertext> {
    const m = await S.signalEncrypt(
      own(plaintext),
      addressOf(peer),
      addressOf(this.me),
      this.stores.sessionStore(),
      this.stores.identityStore(),
    );
    return { type: m.type(), body: m.serialize() };
  }

  async decrypt(peer: E2eAddress, message: E2eCiphertext): Promise<Uint8Array> {
    const from = addressOf(peer);
    const me = addressOf(this.me);
    if (message.type === S.CiphertextMessageType.PreKey)
      return S.signalDecryptPreKey(
        S.PreKeySignalMessage.deserialize(own(message.body)),
        from,
        me,
        this.stores.sessionStore(),
        this.stores.identityStore(),
        this.stores.preKeyStore(),
        this.stores.signedPreKeyStore(),
        this.stores.kyberPreKeyStore(() => this.lastResortKyberId),
      );
    if (message.type === S.CiphertextMessageType.Whisper)
      return S.signalDecrypt(
        S.SignalMessage.deserialize(own(message.body)),
        from,
        me,
        this.stores.sessionStore(),
        this.stores.identityStore(),
      );
    throw new Error(`not a pairwise message type: ${message.type}`);
  }

  private distributionId(groupId: string): string {
    let id = this.distributionIds.get(groupId);
    if (!id) {
      id = randomUUID();
      this.distributionIds.set(groupId, id);
    }
    return id;
  }

  async senderKeyDistribution(groupId: string): Promise<Uint8Array> {
    const m = await S.SenderKeyDistributionMessage.create(
      addressOf(this.me),
      this.distributionId(groupId),
      this.stores.senderKeyStore(),
    );
    return m.serialize();
  }

  rotateSenderKey(groupId: string): Promise<void> {
    this.distributionIds.delete(groupId); // a new distribution id is a new sender key chain
    return Promise.resolve();
  }

  async acceptSenderKeyDistribution(
    sender: E2eAddress,
    _groupId: string,
    distribution: Uint8Array,
  ): Promise<void> {
    await S.processSenderKeyDistributionMessage(
      addressOf(sender),
      S.SenderKeyDistributionMessage.deserialize(own(distribution)),
      this.stores.senderKeyStore(),
    );
  }

  async groupEncrypt(groupId: string, plaintext: Uint8Array): Promise<Uint8Array> {
    const m = await S.groupEncrypt(
      addressOf(this.me),
      this.distributionId(groupId),
      this.stores.senderKeyStore(),
      own(plaintext),
    );
    return m.serialize();
  }

  groupDecrypt(sender: E2eAddress, _groupId: string, ciphertext: Uint8Array): Promise<Uint8Array> {
    return S.groupDecrypt(addressOf(sender), this.stores.senderKeyStore(), own(ciphertext));
  }
}
