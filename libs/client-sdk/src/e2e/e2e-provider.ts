import type { DeviceBundle, PublicPreKey, SignedPublicPreKey } from '#libs/protocol';

/** A device as the encryption layer names it. */
export interface E2eAddress {
  readonly userId: string;
  readonly deviceId: string;
}

/** One ciphertext of a pairwise session: libsignal's message type and bytes. */
export interface E2eCiphertext {
  readonly type: number;
  readonly body: Uint8Array;
}

/** What `PUT /v1/keys` takes (base64 of every key). */
export interface PublishableKeys {
  readonly identityKey: string;
  readonly registrationId: number;
  readonly signedPreKey: SignedPublicPreKey;
  readonly kyberLastResortPreKey: SignedPublicPreKey;
  readonly preKeys: PublicPreKey[];
  readonly kyberPreKeys: SignedPublicPreKey[];
}

/**
 * The cryptography the SDK's encryption layer (E2eSession) delegates to: sessions per device (X3DH/PQXDH
 * from a claimed bundle, then the double ratchet) and sender keys per group. The SDK ships a reference
 * provider over libsignal (`libsignal-provider.ts`, an optional module: only what imports it loads the
 * native library); another implementation (a platform keystore, a test double) plugs in here.
 * The server never sees anything of this but base64 ciphertexts.
 */
export interface E2eProvider {
  /** This device's keys to publish; generates the identity (or takes the account's) on first use. */
  keysToPublish(oneTimeCount: number): Promise<PublishableKeys>;
  /** More one-time prekeys (EC and Kyber) after the server said they run low. */
  moreOneTimeKeys(count: number): Promise<{ preKeys: PublicPreKey[]; kyberPreKeys: SignedPublicPreKey[] }>;
  hasSession(peer: E2eAddress): Promise<boolean>;
  /** Starts a session from a bundle the key directory handed out (claimed one-time keys included). */
  startSession(peer: E2eAddress, bundle: DeviceBundle): Promise<void>;
  /** Forgets a session (the device was reinstalled: its registration id is stale). */
  forgetSession(peer: E2eAddress): Promise<void>;
  encrypt(peer: E2eAddress, plaintext: Uint8Array): Promise<E2eCiphertext>;
  decrypt(peer: E2eAddress, message: E2eCiphertext): Promise<Uint8Array>;
  /** This device's current sender key for a group, as a distribution message (to send pairwise). */
  senderKeyDistribution(groupId: string): Promise<Uint8Array>;
  /** Starts a new sender key for the group (after its members changed). */
  rotateSenderKey(groupId: string): Promise<void>;
  acceptSenderKeyDistribution(sender: E2eAddress, groupId: string, distribution: Uint8Array): Promise<void>;
  groupEncrypt(groupId: string, plaintext: Uint8Array): Promise<Uint8Array>;
  groupDecrypt(sender: E2eAddress, groupId: string, ciphertext: Uint8Array): Promise<Uint8Array>;
}
